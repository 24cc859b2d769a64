// The withdrawal decision (migration 031): the row a withdrawal for inactivity writes in its own transaction, naming
// what it relied on. The database ends a custody for inactivity only on it, and checks it against the warning,
// receipt, activity and feed rows themselves.
import { type Kysely, sql, type Transaction } from 'kysely'
import type { DB } from '../db/types.ts'

type Db = Kysely<DB> | Transaction<DB>

export interface WithdrawalDecision {
  custodyId: string
  msisdn: string
  cycleNo: number
  policyVersion: number
  /** The instant the custody ends. */
  decidedAt: Date
  /** The latest attempt of every warning stage of the cycle. */
  warningNoticeIds: string[]
  lastFinalAt: Date
  usageVetoOverriddenBy: string | null
}

/** Writes the decision; the charging sources it counted are the ones not retired, read in the same statement. */
export async function recordWithdrawalDecision(db: Db, d: WithdrawalDecision): Promise<void> {
  await sql`
    INSERT INTO withdrawal_decisions (custody_id, msisdn, cycle_no, policy_version, decided_at, warning_notice_ids,
                                      last_final_at, usage_veto_overridden_by, feed_sources)
    SELECT ${d.custodyId}::uuid, ${d.msisdn}, ${d.cycleNo}::int, ${d.policyVersion}::int, ${d.decidedAt}::timestamptz,
           ${d.warningNoticeIds}::uuid[], ${d.lastFinalAt}::timestamptz, ${d.usageVetoOverriddenBy}::uuid,
           coalesce(array_agg(source ORDER BY source), '{}')
      FROM activity_sources WHERE retired_at IS NULL`.execute(db)
}
