import type { App } from '../app.ts'
import type { Actor } from '../audit/actor.ts'
import { runAuditLogPass } from '../audit/log-service.ts'
import { runCommand } from '../audit/run-command.ts'
import { executeDueRequests } from '../changes/due.ts'
import { noticeEffectiveUnlocks } from '../changes/swap-unlocks.ts'
import { expireReservations } from '../inventory/reservations.ts'
import { checkProvisioningBacklog } from '../provisioning/index.ts'
import { sweepDueNumbers } from '../recycling/sweep.ts'
import { runSmsWork } from '../sms/recovery.ts'

const WORKER: Actor = { kind: 'system', component: 'worker' }

/** One pass over due work; each task is its own short transaction. Later issues add their sweeps here. */
export async function runDueWork(app: App): Promise<Record<string, number>> {
  let expired = 0
  for (;;) {
    const out = await runCommand(app.deps, WORKER, (ctx) => expireReservations(ctx))
    expired += out.expired
    if (out.expired === 0) break
  }
  // Recycling: warnings, suspensions, withdrawals, aging — every custody whose next step is due, until none is.
  const recycling = await sweepDueNumbers(app)
  const steps = recycling.outcomes
  // Provisioning outbox: dead letters whose last lease ran out, and the backlog alert (once per period).
  const provisioning = await checkProvisioningBacklog(app)
  // Changes whose waiting time is over (transfers, swaps, terminations, legal orders), approved and consented.
  const changes = await executeDueRequests(app)
  // SIM-swap locks whose UNLOCK took effect (24 h after it was asked): the holder is told, once.
  const unlocks = await noticeEffectiveUnlocks(app)
  // SMS: settle sends a crashed sender left in doubt (never resent), then send what is due, one-time codes first.
  const sms = await runSmsWork(app)
  // The audit log, last so it takes this pass's records: integrate, sign (at least daily), offer to the witnesses.
  const audit = await runAuditLogPass(app)
  return {
    reservations_expired: expired,
    recycling_warned: steps.warned ?? 0,
    recycling_suspended: steps.suspended ?? 0,
    recycling_withdrawn: steps.withdrawn ?? 0,
    recycling_waiting: steps.waiting ?? 0,
    recycling_aged_out: steps.aged_out ?? 0,
    recycling_reinstated: steps.reinstated ?? 0,
    recycling_failed: recycling.failed,
    provisioning_dead_lettered: provisioning.deadLettered,
    provisioning_backlog_alerts: provisioning.backlogAlerts,
    changes_executed: changes.executed,
    changes_failed: changes.failed,
    swap_unlocks_noticed: unlocks.noticed,
    sms_sent: sms.sent,
    sms_failed: sms.failed,
    sms_unknown: sms.unknown,
    audit_leaves_integrated: audit.integrated,
    audit_checkpoints_signed: audit.checkpoint === undefined ? 0 : 1,
  }
}

export function startWorker(app: App, intervalMs = 10_000): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve()
  let stopped = false
  let busy = false
  const tick = () => {
    if (busy) return // a long pass is still running: never two passes at once in one process
    busy = true
    running = runDueWork(app)
      .then((done) => {
        if (Object.values(done).some((n) => n > 0)) app.logger.info({ done }, 'worker pass')
      })
      .catch((err) => app.logger.error({ err }, 'worker pass failed'))
      .finally(() => {
        busy = false
      })
  }
  const timer = setInterval(() => {
    if (!stopped) tick()
  }, intervalMs)
  timer.unref()
  tick()
  return {
    stop: async () => {
      stopped = true
      clearInterval(timer)
      await running
    },
  }
}
