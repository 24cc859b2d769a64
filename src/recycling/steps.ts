// The steps of a cycle that tell the holder and the network: a warning, the suspension (outgoing barred) and the
// reactivation that qualifying activity brings. Each runs inside the sweep's transaction for one custody.
import { type AuditReceipt, type CommandContext, recordAudit } from '../audit/index.ts'
import { moveNumber, moveNumberIfStill } from '../custody/index.ts'
import { ConflictError } from '../domain/errors.ts'
import { addDays, daysBetween, localDate, type PolicyParams, stepDates } from '../domain/policy.ts'
import { enqueueProvisioning } from '../provisioning/index.ts'
import { queueNotice } from '../sms/index.ts'
import { type HolderRow, rememberNotice, type StateRow } from './queries.ts'

/** What every step of one custody's cycle needs to know. */
export interface CycleContext {
  row: StateRow
  holder: HolderRow
  policy: PolicyParams
  /** The version `policy` is: every decision's record names it. */
  policyVersion: number
}

/**
 * The withdrawal date a holder is told: the policy's day 90, or later when the warnings went out late (the
 * withdrawal also waits for the last warning's evidence to be `evidence_days_before_withdrawal` old).
 */
export function announcedWithdrawalOn(c: CycleContext, now: Date): string {
  const { withdrawalOn } = stepDates(c.row.cycle_started_at, c.policy)
  const earliest = addDays(localDate(now, c.policy.time_zone), c.policy.evidence_days_before_withdrawal)
  // YYYY-MM-DD strings sort as the days they name.
  return [earliest, withdrawalOn].sort()[1]
}

/** A warning queued again because its previous attempt ended failed or unknown (see replacements.ts). */
export interface WarningReplacement {
  /** n > 0: the n-th replacement of the stage's warning. */
  attempt: number
  replaces: { notice_id: string; state: string }
  reason: string
  /** True when the sweep replaced a `failed` warning by itself; false when a person decided. */
  automatic: boolean
}

/**
 * Queues warning `stage` of this cycle, keyed by custody, cycle and stage: a new cycle warns again. A replacement
 * gets its own key (`…:r<n>`) and tells the withdrawal date it pushes (the evidence floor counts from its receipts).
 */
export async function queueWarning(
  ctx: CommandContext,
  c: CycleContext,
  stage: number,
  replacement?: WarningReplacement,
): Promise<AuditReceipt[]> {
  const { row, holder, policy } = c
  const withdrawalOn = announcedWithdrawalOn(c, ctx.now)
  const daysLeft = Math.max(1, daysBetween(localDate(ctx.now, policy.time_zone), withdrawalOn))
  const key = `warning:${row.custody_id}:${row.cycle_no}:${stage}`
  const notice = await queueNotice(ctx, {
    msisdn: row.msisdn,
    purpose: 'inactivity_warning',
    dedupeKey: replacement ? `${key}:r${replacement.attempt}` : key,
    language: holder.language,
    template: 'inactivity_warning',
    params: { msisdn: row.msisdn, daysLeft, withdrawalDate: withdrawalOn },
    respectSendWindow: true,
    custodyId: row.custody_id,
  })
  await rememberNotice(
    ctx.tx,
    {
      custody_id: row.custody_id,
      cycle_no: row.cycle_no,
      purpose: 'inactivity_warning',
      stage,
      notice_id: notice.noticeId,
      ...(replacement ? { attempt: replacement.attempt, replaces_notice_id: replacement.replaces.notice_id } : {}),
    },
    ctx.now,
  )
  const receipt = await recordAudit(ctx, {
    action: replacement ? 'recycling.warning_replaced' : 'recycling.warning_queued',
    msisdn: row.msisdn,
    before: replacement ? { notice_id: replacement.replaces.notice_id, state: replacement.replaces.state } : undefined,
    after: { notice_id: notice.noticeId, stage, ...(replacement ? { attempt: replacement.attempt } : {}) },
    basis: 'inactivity',
    data: {
      ...(replacement
        ? {
            attempt: replacement.attempt,
            replaces_notice_id: replacement.replaces.notice_id,
            replaced_state: replacement.replaces.state,
            reason: replacement.reason,
            automatic: replacement.automatic,
          }
        : {}),
      custody_id: row.custody_id,
      cycle_no: row.cycle_no,
      cycle_started_at: row.cycle_started_at,
      stage,
      of_stages: policy.warning_days.length,
      day: policy.warning_days[stage - 1],
      notice_id: notice.noticeId,
      withdrawal_on: withdrawalOn,
      policy_version: c.policyVersion,
    },
  })
  return [receipt, ...(notice.receipt ? [notice.receipt] : [])]
}

/** Day 60: active → suspended (outgoing barred), a `bar_outgoing` event for the network, and an SMS. */
export async function suspendNumber(ctx: CommandContext, c: CycleContext): Promise<AuditReceipt[]> {
  const { row, holder } = c
  await moveNumber(
    ctx,
    { msisdn: row.msisdn, from: 'active', to: 'suspended' },
    () =>
      new ConflictError('number_not_active', `${row.msisdn} is no longer active: it cannot be suspended`, {
        msisdn: row.msisdn,
      }),
  )
  const { eventId } = await enqueueProvisioning(ctx, {
    msisdn: row.msisdn,
    kind: 'bar_outgoing',
    payload: { custody_id: row.custody_id, reason: 'inactivity' },
  })
  const withdrawalOn = announcedWithdrawalOn(c, ctx.now)
  const notice = await queueNotice(ctx, {
    msisdn: row.msisdn,
    purpose: 'suspension',
    dedupeKey: `suspension:${row.custody_id}:${row.cycle_no}`,
    language: holder.language,
    template: 'suspension',
    params: { msisdn: row.msisdn, withdrawalDate: withdrawalOn },
    respectSendWindow: true,
    custodyId: row.custody_id,
  })
  await rememberNotice(
    ctx.tx,
    { custody_id: row.custody_id, cycle_no: row.cycle_no, purpose: 'suspension', stage: 1, notice_id: notice.noticeId },
    ctx.now,
  )
  const receipt = await recordAudit(ctx, {
    action: 'number.suspended',
    msisdn: row.msisdn,
    before: { state: 'active' },
    after: { state: 'suspended' },
    basis: 'inactivity',
    data: {
      custody_id: row.custody_id,
      cycle_no: row.cycle_no,
      cycle_started_at: row.cycle_started_at,
      day: c.policy.suspension_day,
      provisioning_event_id: eventId,
      notice_id: notice.noticeId,
      policy_version: c.policyVersion,
    },
  })
  return [receipt, ...(notice.receipt ? [notice.receipt] : [])]
}

/** Qualifying activity started a new cycle on a suspended number: suspended → active and `unbar`. */
export async function reactivateNumber(ctx: CommandContext, c: CycleContext): Promise<AuditReceipt[]> {
  const { row } = c
  // Moved on meanwhile (withdrawn, ported out): nothing to reactivate.
  if (!(await moveNumberIfStill(ctx, { msisdn: row.msisdn, from: 'suspended', to: 'active' }))) return []
  const { eventId } = await enqueueProvisioning(ctx, {
    msisdn: row.msisdn,
    kind: 'unbar',
    payload: { custody_id: row.custody_id, reason: 'qualifying_activity' },
  })
  return [
    await recordAudit(ctx, {
      action: 'number.reactivated',
      msisdn: row.msisdn,
      before: { state: 'suspended' },
      after: { state: 'active' },
      basis: 'qualifying_activity',
      data: {
        custody_id: row.custody_id,
        cycle_no: row.cycle_no,
        cycle_started_at: row.cycle_started_at,
        provisioning_event_id: eventId,
        policy_version: c.policyVersion,
      },
    }),
  ]
}
