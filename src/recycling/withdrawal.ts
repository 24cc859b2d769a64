// Day 90: the withdrawal, and the evidence it rests on (invariant 4). A withdrawal happens only when every warning
// of this cycle is evidenced (every part has a final delivery receipt, the last one old enough), no usage falls in
// the veto period and the charging feed is healthy; otherwise it waits, says why, and looks again later.
import { feedHealth } from '../activity/index.ts'
import { type AuditReceipt, type CommandContext, raiseAlert, recordAudit } from '../audit/index.ts'
import { endCustody, moveNumber, unbindSim } from '../custody/index.ts'
import { ConflictError } from '../domain/errors.ts'
import { addDays, agingEndsOn, localDate, localInstant } from '../domain/policy.ts'
import { enqueueProvisioning } from '../provisioning/index.ts'
import { noticeEvidence, queueNotice } from '../sms/index.ts'
import { isReplaceable } from './decision-policies.ts'
import { recordDisconnection } from './disconnections.ts'
import { cycleWarnings, rememberNotice, type StateChange, type StateRow } from './queries.ts'
import type { CycleContext } from './steps.ts'
import { recordWithdrawalDecision } from './withdrawal-decision.ts'

const HOUR = 3_600_000
const DAY = 24 * HOUR
/** How soon a withdrawal waiting on something that has no known end (a receipt, the feed) looks again. */
export const RECHECK_MS = HOUR

/** A warning still without its final receipts this long after it was queued needs a person to look. */
export const EVIDENCE_OVERDUE_MS = DAY

export type WaitReason =
  | 'warnings_missing'
  | 'warnings_in_flight'
  | 'warnings_not_evidenced'
  | 'evidence_too_recent'
  | 'usage_veto'
  | 'feed_silent'

/** Reasons that need a person (an alert, once per cycle); the others are only a matter of time. */
const ALERTING: Record<WaitReason, { kind: string; severity: 'info' | 'warning' } | null> = {
  warnings_missing: { kind: 'withdrawal_waiting', severity: 'warning' },
  // Just queued (a late sweep catching up): receipts normally follow within minutes.
  warnings_in_flight: null,
  warnings_not_evidenced: { kind: 'withdrawal_waiting', severity: 'warning' },
  evidence_too_recent: null,
  usage_veto: { kind: 'usage_veto', severity: 'warning' },
  feed_silent: { kind: 'withdrawal_waiting', severity: 'warning' },
}

export interface WarningEvidence {
  notice_id: string
  stage: number
  queued_at: Date
  state: string
  parts: number | null
  final_parts: number
  last_final_at: Date | null
}

export interface WithdrawalCheck {
  reasons: WaitReason[]
  /** When every reason could have cleared, at the earliest. */
  recheckAt: Date
  warnings: WarningEvidence[]
  lastFinalAt: Date | null
  silentSources: string[]
  /** Usage in the veto period that a compliance officer decided does not stop this cycle's withdrawal. */
  usageVetoOverride: { by: string; at: Date; usage_up_to: Date } | null
}

/**
 * A person's decision to withdraw despite the usage veto holds for the cycle it was taken in, and for the usage
 * they saw: usage that arrives after it vetoes again (the holder may have come back).
 */
export function usageVetoOverride(
  row: Pick<
    StateRow,
    | 'cycle_no'
    | 'last_usage_at'
    | 'usage_veto_override_cycle_no'
    | 'usage_veto_overridden_by'
    | 'usage_veto_overridden_at'
    | 'usage_veto_override_usage_at'
  >,
): WithdrawalCheck['usageVetoOverride'] {
  const seen = row.usage_veto_override_usage_at
  if (row.usage_veto_override_cycle_no !== row.cycle_no || !seen || !row.usage_veto_overridden_by) return null
  if (row.last_usage_at && row.last_usage_at > seen) return null
  return { by: row.usage_veto_overridden_by, at: row.usage_veto_overridden_at ?? seen, usage_up_to: seen }
}

export async function checkWithdrawal(ctx: CommandContext, c: CycleContext): Promise<WithdrawalCheck> {
  const { row, policy } = c
  const now = ctx.now.getTime()
  const queued = await cycleWarnings(ctx.tx, row.custody_id, row.cycle_no)
  const evidence = await noticeEvidence(
    ctx.tx,
    queued.map((w) => w.notice_id),
  )
  const warnings: WarningEvidence[] = queued.map((w) => {
    const e = evidence.get(w.notice_id)
    return {
      notice_id: w.notice_id,
      stage: w.stage,
      queued_at: w.queued_at,
      state: e?.state ?? 'missing',
      parts: e?.partCount ?? null,
      final_parts: e?.finalParts ?? 0,
      last_final_at: e?.allFinal ? e.lastFinalAt : null,
    }
  })
  const reasons: WaitReason[] = []
  const clearAt: number[] = []
  const wait = (reason: WaitReason, at: number) => {
    reasons.push(reason)
    clearAt.push(at)
  }
  if (warnings.length < Math.max(2, policy.warning_days.length)) wait('warnings_missing', now + RECHECK_MS)
  const lastFinalAt = warnings.reduce<Date | null>(
    (last, w) => (w.last_final_at && (!last || w.last_final_at > last) ? w.last_final_at : last),
    null,
  )
  const lacking = warnings.filter((w) => w.last_final_at === null)
  // A warning that ended failed or unknown will never be evidence: a person hears of it at once, not a day later.
  if (lacking.some((w) => isReplaceable(w.state) || now - w.queued_at.getTime() >= EVIDENCE_OVERDUE_MS)) {
    wait('warnings_not_evidenced', now + RECHECK_MS)
  } else if (lacking.length > 0) wait('warnings_in_flight', now + RECHECK_MS)
  else if (lastFinalAt && now - lastFinalAt.getTime() < policy.evidence_days_before_withdrawal * DAY) {
    wait('evidence_too_recent', lastFinalAt.getTime() + policy.evidence_days_before_withdrawal * DAY)
  }
  const vetoDays = policy.usage_veto_days * DAY
  let override: WithdrawalCheck['usageVetoOverride'] = null
  if (row.last_usage_at && now - row.last_usage_at.getTime() < vetoDays) {
    // Only the veto yields to the decision: the evidence and the feed above and below are checked all the same.
    override = usageVetoOverride(row)
    if (!override) wait('usage_veto', row.last_usage_at.getTime() + vetoDays)
  }
  const feed = await feedHealth(ctx.tx, ctx.now, policy.feed_silence_hours)
  if (!feed.healthy) wait('feed_silent', now + RECHECK_MS)
  return {
    reasons,
    recheckAt: new Date(Math.max(now + 1, ...clearAt)),
    warnings,
    lastFinalAt,
    silentSources: feed.silentSources.map((s) => s.source),
    usageVetoOverride: override,
  }
}

/**
 * The withdrawal waits: records why on the row, and raises an alert (with an audit record of the deferral) for each
 * reason that needs a person and has not been raised in this cycle yet.
 */
export async function deferWithdrawal(
  ctx: CommandContext,
  c: CycleContext,
  check: WithdrawalCheck,
): Promise<{ change: StateChange; receipts: AuditReceipt[] }> {
  const { row } = c
  const already = row.alerted_cycle_no === row.cycle_no ? row.alerted_reasons : []
  const fresh = check.reasons.filter((r) => ALERTING[r] && !already.includes(r))
  const receipts: AuditReceipt[] = []
  for (const reason of fresh) {
    const alert = ALERTING[reason]
    if (!alert) continue
    const attempt = {
      action: 'withdraw',
      reason,
      custody_id: row.custody_id,
      cycle_no: row.cycle_no,
      policy_version: c.policyVersion,
      ...(reason === 'usage_veto' ? { last_usage_at: row.last_usage_at } : {}),
      ...(reason === 'feed_silent' ? { silent_sources: check.silentSources } : {}),
      ...(reason.startsWith('warnings_') ? { warnings: check.warnings } : {}),
    }
    const raised = await raiseAlert(ctx, { kind: alert.kind, severity: alert.severity, msisdn: row.msisdn, attempt })
    receipts.push(raised.receipt)
  }
  if (fresh.length > 0) {
    receipts.push(
      await recordAudit(ctx, {
        action: 'recycling.withdrawal_deferred',
        msisdn: row.msisdn,
        after: { waiting: check.reasons, recheck_at: check.recheckAt },
        basis: 'inactivity',
        data: {
          custody_id: row.custody_id,
          cycle_no: row.cycle_no,
          reasons: check.reasons,
          alerted: fresh,
          warnings: check.warnings,
          policy_version: c.policyVersion,
        },
      }),
    )
  }
  return {
    change: {
      step: 'waiting',
      waiting_reason: check.reasons.join(','),
      next_due_at: check.recheckAt,
      alerted_cycle_no: row.cycle_no,
      alerted_reasons: [...already, ...fresh],
    },
    receipts,
  }
}

/**
 * Withdraws the number: the custody ends with reason `inactivity`, its SIM binding ends (the SIM is deactivated),
 * the number ages, the network is told, the holder gets a final SMS, the register records the disconnection, and
 * the audit record carries the evidence the withdrawal rests on.
 */
export async function withdrawNumber(
  ctx: CommandContext,
  c: CycleContext,
  numberState: string,
  check: WithdrawalCheck,
): Promise<{ change: StateChange; receipts: AuditReceipt[] }> {
  const { row, holder, policy } = c
  if (!check.lastFinalAt) {
    throw new ConflictError('withdrawal_not_evidenced', `${row.msisdn}'s warnings are not evidenced`, {
      msisdn: row.msisdn,
    })
  }
  // First the decision, then the end it allows: the database checks one against the other (migration 031).
  await recordWithdrawalDecision(ctx.tx, {
    custodyId: row.custody_id,
    msisdn: row.msisdn,
    cycleNo: row.cycle_no,
    policyVersion: c.policyVersion,
    decidedAt: ctx.now,
    warningNoticeIds: check.warnings.map((w) => w.notice_id),
    lastFinalAt: check.lastFinalAt,
    usageVetoOverriddenBy: check.usageVetoOverride?.by ?? null,
  })
  await endCustody(
    ctx,
    { custodyId: row.custody_id },
    'inactivity',
    () =>
      new ConflictError('custody_already_ended', `The custody of ${row.msisdn} has already ended`, {
        custody_id: row.custody_id,
      }),
  )
  const iccids = await unbindSim(ctx, row.custody_id, 'custody_ended')
  if (iccids.length > 0) {
    // The withdrawn SIM never returns to stock; a reinstatement may bind it again while nothing else holds it.
    await ctx.tx
      .updateTable('sims')
      .set({ state: 'deactivated' })
      .where('iccid', 'in', iccids)
      .where('state', '=', 'bound')
      .execute()
  }
  await moveNumber(
    ctx,
    { msisdn: row.msisdn, from: ['active', 'suspended'], to: 'aging' },
    () =>
      new ConflictError('number_not_held', `${row.msisdn} is not held: it cannot be withdrawn`, {
        msisdn: row.msisdn,
      }),
  )
  const business = holder.party_kind === 'organisation'
  const agingEndsOnDay = agingEndsOn(ctx.now, policy, business)
  const reclaimUntil = addDays(agingEndsOnDay, -1)
  const { eventId } = await enqueueProvisioning(ctx, {
    msisdn: row.msisdn,
    kind: 'withdraw',
    payload: { custody_id: row.custody_id, iccids, reason: 'inactivity' },
  })
  const notice = await queueNotice(ctx, {
    msisdn: row.msisdn,
    purpose: 'withdrawal',
    dedupeKey: `withdrawal:${row.custody_id}`,
    language: holder.language,
    template: 'withdrawal',
    params: { msisdn: row.msisdn, reclaimUntil },
    respectSendWindow: true,
    custodyId: row.custody_id,
  })
  await rememberNotice(
    ctx.tx,
    { custody_id: row.custody_id, cycle_no: row.cycle_no, purpose: 'withdrawal', stage: 1, notice_id: notice.noticeId },
    ctx.now,
  )
  const disconnectedOn = localDate(ctx.now, policy.time_zone)
  const disconnection = await recordDisconnection(ctx, {
    msisdn: row.msisdn,
    custodyId: row.custody_id,
    disconnectedOn,
  })
  const receipt = await recordAudit(ctx, {
    action: 'number.withdrawn',
    msisdn: row.msisdn,
    before: { state: numberState, custody_id: row.custody_id, subscriber_id: holder.subscriber_id },
    after: { state: 'aging', aging_ends_on: agingEndsOnDay, reclaim_until: reclaimUntil },
    basis: 'inactivity',
    data: {
      custody_id: row.custody_id,
      cycle_no: row.cycle_no,
      cycle_started_at: row.cycle_started_at,
      policy_version: c.policyVersion,
      warnings: check.warnings.map((w) => w.notice_id),
      evidence: check.warnings,
      last_final_at: check.lastFinalAt,
      usage_veto_clear: check.usageVetoOverride === null,
      ...(check.usageVetoOverride
        ? {
            usage_veto_overridden_by: check.usageVetoOverride.by,
            usage_veto_overridden_at: check.usageVetoOverride.at,
          }
        : {}),
      last_usage_at: row.last_usage_at,
      feed_healthy: true,
      iccids,
      provisioning_event_id: eventId,
      withdrawal_notice_id: notice.noticeId,
      disconnection_id: disconnection.id,
      disconnected_on: disconnectedOn,
      business,
    },
  })
  return {
    change: {
      stage: 'aging',
      step: 'withdrawn',
      waiting_reason: null,
      withdrawn_at: ctx.now,
      next_due_at: localInstant(agingEndsOnDay, policy.time_zone),
    },
    receipts: [
      receipt,
      ...(notice.receipt ? [notice.receipt] : []),
      ...(disconnection.receipt ? [disconnection.receipt] : []),
    ],
  }
}
