// The read side of a person's decisions: why a number's withdrawal waits, its usage and any override, and each
// warning of the running cycle with its latest attempt (what the number page's recycling panel shows).
import type { Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import { parsePolicyParams } from '../domain/policy.ts'
import { cycleIsCurrent, isReplaceable, waitingOnUsage } from './decision-policies.ts'
import { cycleWarningStates } from './queries.ts'
import { usageVetoOverride } from './withdrawal.ts'

export interface DecisionView {
  /** Why the withdrawal waits (empty when it does not). */
  waiting_on: string[]
  last_usage_at: Date | null
  /** Until when the last usage vetoes a withdrawal (null: no usage in the veto period). */
  usage_veto_until: Date | null
  usage_veto_override: { by: string; by_username: string | null; at: Date } | null
  /** A compliance officer may keep the holder or override the veto now. */
  usage_decision_open: boolean
  warnings: {
    stage: number
    attempt: number
    state: string
    notice_id: string
    queued_at: Date
    replaceable: boolean
  }[]
  /** When the sweep looks at this number next. */
  next_check_at: Date | null
}

/** Decision facts of a custody's running cycle, or null when it has none (aging, closed, postpaid). */
export async function decisionView(db: Kysely<DB>, custodyId: string, now: Date): Promise<DecisionView | null> {
  const row = await db
    .selectFrom('recycling_state as r')
    .innerJoin('recycling_policies as p', 'p.version', 'r.policy_version')
    .leftJoin('staff as s', 's.id', 'r.usage_veto_overridden_by')
    .select([
      'r.custody_id',
      'r.msisdn',
      'r.stage',
      'r.step',
      'r.waiting_reason',
      'r.cycle_no',
      'r.seen_cycle_no',
      'r.last_usage_at',
      'r.account_type',
      'r.next_due_at',
      'r.usage_veto_override_cycle_no',
      'r.usage_veto_overridden_by',
      'r.usage_veto_overridden_at',
      'r.usage_veto_override_usage_at',
      'p.params',
      's.username as overridden_by_username',
    ])
    .where('r.custody_id', '=', custodyId)
    .executeTakeFirst()
  if (row?.stage !== 'in_cycle' || row.account_type !== 'prepaid') return null
  const policy = parsePolicyParams(row.params)
  const vetoMs = policy.usage_veto_days * 86_400_000
  const vetoUntil = row.last_usage_at ? new Date(row.last_usage_at.getTime() + vetoMs) : null
  const override = usageVetoOverride(row)
  const warnings = cycleIsCurrent(row) ? await cycleWarningStates(db, custodyId, row.cycle_no) : []
  return {
    waiting_on: row.step === 'waiting' && row.waiting_reason ? row.waiting_reason.split(',') : [],
    last_usage_at: row.last_usage_at,
    usage_veto_until: vetoUntil && vetoUntil > now ? vetoUntil : null,
    usage_veto_override: override
      ? { by: override.by, by_username: row.overridden_by_username, at: override.at }
      : null,
    usage_decision_open: waitingOnUsage(row, now, policy.usage_veto_days),
    warnings: warnings.map((w) => ({
      stage: w.stage,
      attempt: w.attempt,
      state: w.state,
      notice_id: w.notice_id,
      queued_at: w.queued_at,
      replaceable: isReplaceable(w.state),
    })),
    next_check_at: row.next_due_at,
  }
}
