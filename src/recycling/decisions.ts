// The usage veto (DOMAIN: any usage in the last 30 days defers withdrawal and raises an alert for a person to
// decide): a compliance officer keeps the number with its holder (a new cycle starts now, as a qualifying event
// would start one) or lets this cycle's withdrawal go ahead despite the usage — never despite missing warning
// evidence or a silent charging feed (invariant 4): the sweep checks those again before it withdraws.
import { type Audited, audited, type CommandContext, recordAudit } from '../audit/index.ts'
import { ConflictError, ValidationError } from '../domain/errors.ts'
import { loadDecisionContext } from './decision-context.ts'
import { waitingOnUsage } from './decision-policies.ts'
import { checkWithdrawal, usageVetoOverride, type WaitReason } from './withdrawal.ts'

export const USAGE_DECISIONS = ['keep', 'withdraw_despite_usage'] as const
export type UsageDecision = (typeof USAGE_DECISIONS)[number]

/** Reasons an override cannot answer: the warnings are the holder's notice, and only their evidence counts. */
const EVIDENCE_REASONS: readonly WaitReason[] = ['warnings_missing', 'warnings_in_flight', 'warnings_not_evidenced']

export interface UsageDecisionInput {
  msisdn: string
  decision: UsageDecision
  reason: string
}

export interface UsageDecisionResult {
  msisdn: string
  custody_id: string
  decision: UsageDecision
  cycle_no: number
  /** keep: the cycle that starts now. */
  new_cycle_no?: number
  /** withdraw_despite_usage: what the withdrawal still waits on besides the usage (it goes ahead once they clear). */
  still_waiting_on?: WaitReason[]
}

export async function decideUsageVeto(
  ctx: CommandContext,
  input: UsageDecisionInput,
): Promise<Audited<UsageDecisionResult>> {
  if (!(USAGE_DECISIONS as readonly string[]).includes(input.decision)) {
    throw new ValidationError('decision', `decision must be one of ${USAGE_DECISIONS.join(', ')}`)
  }
  const reason = input.reason?.trim() ?? ''
  if (reason.length < 10) throw new ValidationError('reason', 'reason must say why, in at least 10 characters')
  const { c, staff } = await loadDecisionContext(ctx, input.msisdn, 'decide_usage_veto')
  const { row, policy } = c
  if (!waitingOnUsage(row, ctx.now, policy.usage_veto_days)) {
    throw new ConflictError(
      'not_waiting_on_usage',
      `${row.msisdn}'s withdrawal is not waiting on the usage veto: there is no usage decision to take`,
      { msisdn: row.msisdn, step: row.step, waiting_reason: row.waiting_reason, last_usage_at: row.last_usage_at },
    )
  }
  const about = {
    custody_id: row.custody_id,
    cycle_no: row.cycle_no,
    cycle_started_at: row.cycle_started_at,
    last_usage_at: row.last_usage_at,
    reason,
    decided_by: staff.staffId,
    policy_version: c.policyVersion,
  }

  if (input.decision === 'keep') {
    // As ingestion does for a qualifying event: the cycle moves and the row is due now; the sweep sets the new cycle
    // up (its policy version, warnings from the first, and outgoing calls restored on a suspended number).
    const moved = await ctx.tx
      .updateTable('recycling_state')
      .set({
        cycle_no: row.cycle_no + 1,
        cycle_started_at: ctx.now,
        next_due_at: ctx.now,
        lease_id: null,
        updated_at: ctx.now,
      })
      .where('custody_id', '=', row.custody_id)
      .where('cycle_no', '=', row.cycle_no)
      .executeTakeFirst()
    if (Number(moved.numUpdatedRows) !== 1) throw cycleMoved(row.msisdn)
    const receipt = await recordAudit(ctx, {
      action: 'recycling.kept_by_decision',
      msisdn: row.msisdn,
      before: { cycle_no: row.cycle_no, cycle_started_at: row.cycle_started_at, waiting: row.waiting_reason },
      after: { cycle_no: row.cycle_no + 1, cycle_started_at: ctx.now },
      basis: 'usage_veto_decision',
      data: { ...about, decision: 'keep', new_cycle_no: row.cycle_no + 1 },
    })
    const result = { msisdn: row.msisdn, custody_id: row.custody_id, decision: input.decision, cycle_no: row.cycle_no }
    return audited({ ...result, new_cycle_no: row.cycle_no + 1 }, [receipt])
  }

  if (usageVetoOverride(row)) {
    throw new ConflictError(
      'usage_veto_already_overridden',
      `The usage veto of ${row.msisdn}'s cycle ${row.cycle_no} has already been overridden`,
      { overridden_by: row.usage_veto_overridden_by, overridden_at: row.usage_veto_overridden_at },
    )
  }
  const check = await checkWithdrawal(ctx, c)
  const blocking = check.reasons.filter((r) => EVIDENCE_REASONS.includes(r))
  if (blocking.length > 0) {
    throw new ConflictError(
      'override_needs_evidence',
      `${row.msisdn}'s warnings are not all evidenced: no decision withdraws a number without them (invariant 4)`,
      { msisdn: row.msisdn, reasons: blocking, warnings: check.warnings },
    )
  }
  const moved = await ctx.tx
    .updateTable('recycling_state')
    .set({
      usage_veto_override_cycle_no: row.cycle_no,
      usage_veto_overridden_by: staff.staffId,
      usage_veto_overridden_at: ctx.now,
      usage_veto_override_usage_at: row.last_usage_at,
      // Newer usage vetoes again, and then a person hears of it again.
      alerted_reasons: row.alerted_reasons.filter((r) => r !== 'usage_veto'),
      next_due_at: ctx.now,
      lease_id: null,
      updated_at: ctx.now,
    })
    .where('custody_id', '=', row.custody_id)
    .where('cycle_no', '=', row.cycle_no)
    .executeTakeFirst()
  if (Number(moved.numUpdatedRows) !== 1) throw cycleMoved(row.msisdn)
  const stillWaitingOn = check.reasons.filter((r) => r !== 'usage_veto')
  const receipt = await recordAudit(ctx, {
    action: 'recycling.usage_veto_overridden',
    msisdn: row.msisdn,
    before: { waiting: row.waiting_reason },
    after: { usage_veto_overridden_by: staff.staffId, still_waiting_on: stillWaitingOn },
    basis: 'usage_veto_decision',
    data: { ...about, decision: 'withdraw_despite_usage', still_waiting_on: stillWaitingOn, warnings: check.warnings },
  })
  return audited(
    {
      msisdn: row.msisdn,
      custody_id: row.custody_id,
      decision: input.decision,
      cycle_no: row.cycle_no,
      still_waiting_on: stillWaitingOn,
    },
    [receipt],
  )
}

function cycleMoved(msisdn: string): ConflictError {
  return new ConflictError('cycle_restarted', `${msisdn}'s cycle moved on meanwhile: look again`, { msisdn })
}
