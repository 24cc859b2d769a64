import { pruneThrottleIfDue } from '../access/index.ts'
import { raiseStaffRiskAlertsIfDue } from '../analysis/index.ts'
import type { App } from '../app.ts'
import { reconcileIfDue, runAuditLogPass, runCommand } from '../audit/index.ts'
import { executeDueRequests, noticeEffectiveUnlocks } from '../changes/index.ts'
import { DatabaseUnavailableError, translateDbError } from '../db/errors.ts'
import type { Actor } from '../domain/actor.ts'
import { expireReservations } from '../inventory/index.ts'
import { deliverDueEvents, expireSubscriptions } from '../partner/index.ts'
import { isStopping, requestStop } from '../platform/stopping.ts'
import { checkProvisioningBacklog } from '../provisioning/index.ts'
import { sweepDueNumbers } from '../recycling/index.ts'
import { runSmsWork } from '../sms/index.ts'

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
  // Partner subscriptions: expired ones end; swapped / subscription-ended CloudEvents go to the partners' sinks.
  const partnerExpired = await expireSubscriptions(app)
  const partner = await deliverDueEvents(app)
  // The audit log, last so it takes this pass's records: integrate, sign (at least daily), offer to the witnesses.
  const audit = await runAuditLogPass(app)
  // The log proves the state: at least hourly, every number rebuilt from the leaves and compared with the tables.
  const reconciled = isStopping(app) ? 0 : await reconcileIfDue(app)
  // The sign-in throttle forgets rows a day quiet (hourly).
  const throttlePruned = await pruneThrottleIfDue(app)
  // Staff risk signals above the threshold raise alerts naming the staff member (hourly; src/analysis).
  const staffRiskAlerts = isStopping(app) ? 0 : await raiseStaffRiskAlertsIfDue(app)
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
    partner_subscriptions_expired: partnerExpired,
    partner_events_delivered: partner.delivered,
    partner_events_retried: partner.retried,
    partner_events_dead: partner.dead,
    audit_leaves_integrated: audit.integrated,
    audit_checkpoints_signed: audit.checkpoint === undefined ? 0 : 1,
    audit_reconciled: reconciled,
    sign_in_throttle_pruned: throttlePruned,
    staff_risk_alerts: staffRiskAlerts,
  }
}

/** At most this many ticks are skipped after a pass the database failed (ticks of 10 s: about a minute). */
export const MAX_BACKOFF_TICKS = 6

export interface WorkerTicker {
  /** One tick of the loop: a pass, unless a pass is running or the worker is backing off from a database outage. */
  tick(): Promise<void>
}

/**
 * The loop's decisions, apart from its timer (tests call tick() themselves). A pass that fails because the database
 * is away is logged once, when the outage starts; the next passes are skipped for 1, 2, 4 … ticks (at most
 * MAX_BACKOFF_TICKS) and the first pass that succeeds again says so. Nothing of a failed pass is lost: each task is
 * its own transaction, and what a pass did not do is still due.
 */
export function workerTicker(app: App, pass: (app: App) => Promise<Record<string, number>> = runDueWork): WorkerTicker {
  let running: Promise<void> | undefined
  let outage = false
  let backoff = 0
  let skip = 0
  const once = async () => {
    try {
      const done = await pass(app)
      if (outage) app.logger.info({ done }, 'worker: the database is back; passes resumed')
      else if (Object.values(done).some((n) => n > 0)) app.logger.info({ done }, 'worker pass')
      outage = false
      backoff = 0
    } catch (err) {
      if (!(translateDbError(err) instanceof DatabaseUnavailableError)) {
        app.logger.error({ err }, 'worker pass failed')
        return
      }
      if (!outage) app.logger.warn({ err }, 'worker: the database is unavailable; backing off until it is back')
      outage = true
      backoff = Math.min(Math.max(1, backoff * 2), MAX_BACKOFF_TICKS)
      skip = backoff
    }
  }
  return {
    tick: () => {
      if (running) return running // a long pass is still running: never two passes at once in one process
      if (skip > 0) {
        skip--
        return Promise.resolve()
      }
      running = once().finally(() => {
        running = undefined
      })
      return running
    },
  }
}

export function startWorker(
  app: App,
  intervalMs = 10_000,
  pass: (app: App) => Promise<Record<string, number>> = runDueWork,
): { stop(): Promise<void> } {
  const ticker = workerTicker(app, pass)
  let stopped = false
  let last: Promise<void> = Promise.resolve()
  const tick = () => {
    last = ticker.tick()
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
      requestStop(app) // the pass in flight ends at its next task boundary
      await last
    },
  }
}
