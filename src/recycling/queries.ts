// The recycling engine's SQL, as named functions. Claims are short and set-based; everything else reads or writes
// one custody's rows inside its own short transaction.
import { randomUUID } from 'node:crypto'
import { type Kysely, sql, type Transaction } from 'kysely'
import type { DB } from '../db/types.ts'
import { type PolicyParams, parsePolicyParams } from '../domain/policy.ts'

type Db = Kysely<DB> | Transaction<DB>

/** What a claim saw of a due row: the processing transaction acts only if the row still looks like this. */
export interface ClaimedRow {
  custodyId: string
  msisdn: string
  cycleStartedAt: Date
  cycleNo: number
  /** The row's due time before the lease pushed it ahead. */
  dueAt: Date
  leaseId: string
}

/**
 * Claims up to `limit` rows whose next step is due, oldest first, skipping rows another worker holds, and leases
 * them by pushing next_due_at to the lease's end: a worker that dies leaves them due again when the lease ends.
 * Uses the partial index on next_due_at, so its cost follows the work due, not the inventory.
 */
export async function claimDueRows(db: Db, now: Date, limit: number, leaseMs: number): Promise<ClaimedRow[]> {
  const leaseId = randomUUID()
  const leaseUntil = new Date(now.getTime() + leaseMs)
  const result = await sql<{
    custody_id: string
    msisdn: string
    cycle_started_at: Date
    cycle_no: number
    due_at: Date
  }>`
    WITH due AS (
      SELECT custody_id, next_due_at FROM recycling_state
       WHERE next_due_at <= ${now}
         -- A held number's clock stops (invariant 3): nothing of its cycle runs until the hold is released.
         AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.msisdn = recycling_state.msisdn AND h.released_at IS NULL)
       ORDER BY next_due_at
       LIMIT ${limit}
       FOR UPDATE SKIP LOCKED)
    UPDATE recycling_state r SET next_due_at = ${leaseUntil}, lease_id = ${leaseId}
      FROM due WHERE r.custody_id = due.custody_id
    RETURNING r.custody_id, r.msisdn, r.cycle_started_at, r.cycle_no, due.next_due_at AS due_at`.execute(db)
  return result.rows
    .map((r) => ({
      custodyId: r.custody_id,
      msisdn: r.msisdn,
      cycleStartedAt: new Date(r.cycle_started_at),
      cycleNo: r.cycle_no,
      dueAt: new Date(r.due_at),
      leaseId,
    }))
    .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())
}

export interface StateRow {
  custody_id: string
  msisdn: string
  account_type: 'prepaid' | 'postpaid'
  cycle_started_at: Date
  cycle_no: number
  last_usage_at: Date | null
  policy_version: number
  stage: 'in_cycle' | 'aging' | 'closed'
  step: string
  waiting_reason: string | null
  withdrawn_at: Date | null
  next_due_at: Date | null
  seen_cycle_no: number | null
  warnings_queued: number
  alerted_cycle_no: number | null
  alerted_reasons: string[]
  usage_veto_override_cycle_no: number | null
  usage_veto_overridden_by: string | null
  usage_veto_overridden_at: Date | null
  usage_veto_override_usage_at: Date | null
}

const STATE_COLUMNS = [
  'custody_id',
  'msisdn',
  'account_type',
  'cycle_started_at',
  'cycle_no',
  'last_usage_at',
  'policy_version',
  'stage',
  'step',
  'waiting_reason',
  'withdrawn_at',
  'next_due_at',
  'seen_cycle_no',
  'warnings_queued',
  'alerted_cycle_no',
  'alerted_reasons',
  'usage_veto_override_cycle_no',
  'usage_veto_overridden_by',
  'usage_veto_overridden_at',
  'usage_veto_override_usage_at',
] as const

/**
 * Locks the claimed row if it is still as the claim saw it: same lease, same cycle. A top-up that landed since
 * (ingestion moved the cycle) or a newer claim makes this return undefined, and the sweep leaves the row alone.
 */
export async function lockClaimedRow(tx: Transaction<DB>, claim: ClaimedRow): Promise<StateRow | undefined> {
  const row = await tx
    .selectFrom('recycling_state')
    .select(STATE_COLUMNS)
    .where('custody_id', '=', claim.custodyId)
    .where('lease_id', '=', claim.leaseId)
    .where('cycle_no', '=', claim.cycleNo)
    .where('cycle_started_at', '=', claim.cycleStartedAt)
    .forUpdate()
    .executeTakeFirst()
  return row as StateRow | undefined
}

/**
 * Locks the recycling row of a custody for a person's decision (no claim: a worker's lease on it is void once the
 * decision clears lease_id). Callers lock the number's row first, as every writer of both does.
 */
export async function lockStateRow(tx: Transaction<DB>, custodyId: string): Promise<StateRow | undefined> {
  const row = await tx
    .selectFrom('recycling_state')
    .select(STATE_COLUMNS)
    .where('custody_id', '=', custodyId)
    .forUpdate()
    .executeTakeFirst()
  return row as StateRow | undefined
}

export type StateChange = Partial<
  Pick<
    StateRow,
    | 'policy_version'
    | 'stage'
    | 'step'
    | 'waiting_reason'
    | 'withdrawn_at'
    | 'next_due_at'
    | 'seen_cycle_no'
    | 'warnings_queued'
    | 'alerted_cycle_no'
    | 'alerted_reasons'
  >
>

/** Writes what the step decided and releases the lease (the row is locked by this transaction). */
export async function saveState(tx: Transaction<DB>, custodyId: string, change: StateChange, now: Date): Promise<void> {
  await tx
    .updateTable('recycling_state')
    .set({ ...change, lease_id: null, updated_at: now })
    .where('custody_id', '=', custodyId)
    .execute()
}

export interface NumberRow {
  msisdn: string
  state: string
  category: string
}

/** Locks the number first: every writer of a number and its recycling state takes the number's row first. */
export async function lockNumberRow(tx: Transaction<DB>, msisdn: string): Promise<NumberRow | undefined> {
  return tx
    .selectFrom('numbers')
    .select(['msisdn', 'state', 'category'])
    .where('msisdn', '=', msisdn)
    .forUpdate()
    .executeTakeFirst()
}

export interface HolderRow {
  custody_id: string
  subscriber_id: string
  started_at: Date
  ended_at: Date | null
  end_reason: string | null
  language: 'km' | 'en'
  party_kind: 'person' | 'organisation'
}

export async function custodyHolder(db: Db, custodyId: string): Promise<HolderRow> {
  return db
    .selectFrom('custodies as c')
    .innerJoin('subscribers as s', 's.id', 'c.subscriber_id')
    .select([
      'c.id as custody_id',
      'c.subscriber_id',
      'c.started_at',
      'c.ended_at',
      'c.end_reason',
      's.language',
      's.party_kind',
    ])
    .where('c.id', '=', custodyId)
    .executeTakeFirstOrThrow()
}

/** The newest custody of a number: a reinstatement or aging-out acts only while the withdrawn custody is the last. */
export async function latestCustodyId(db: Db, msisdn: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('custodies')
    .select('id')
    .where('msisdn', '=', msisdn)
    .orderBy('started_at', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row?.id
}

export async function policyParams(db: Db, version: number): Promise<PolicyParams> {
  const row = await db
    .selectFrom('recycling_policies')
    .select('params')
    .where('version', '=', version)
    .executeTakeFirstOrThrow()
  // Stored params passed the database's floors; parsing fills nothing in and checks them once more.
  return parsePolicyParams(row.params)
}

/**
 * The version that governs a cycle of `msisdn` starting at `startedAt`: the newest of its number's market effective
 * by then (migration 034's policy_version_at, the function the custody trigger uses too).
 */
export async function policyVersionAt(db: Db, msisdn: string, startedAt: Date): Promise<number> {
  const { rows } = await sql<{ version: number | null }>`
    SELECT policy_version_at(${msisdn}, ${startedAt}::timestamptz) AS version`.execute(db)
  return rows[0]?.version ?? 1
}

export interface CycleWarning {
  stage: number
  /** 0: the warning the step queued; n > 0: its n-th replacement. */
  attempt: number
  notice_id: string
  replaces_notice_id: string | null
  queued_at: Date
}

/** The warnings of a cycle, one per stage: its latest attempt (a replacement stands in for what it replaced). */
export async function cycleWarnings(db: Db, custodyId: string, cycleNo: number): Promise<CycleWarning[]> {
  return db
    .selectFrom('recycling_notices')
    .distinctOn('stage')
    .select(['stage', 'attempt', 'notice_id', 'replaces_notice_id', 'queued_at'])
    .where('custody_id', '=', custodyId)
    .where('cycle_no', '=', cycleNo)
    .where('purpose', '=', 'inactivity_warning')
    .orderBy('stage')
    .orderBy('attempt', 'desc')
    .execute()
}

/** The latest attempt of each warning of a cycle, with its notice's state (what a replacement looks at). */
export async function cycleWarningStates(
  db: Db,
  custodyId: string,
  cycleNo: number,
): Promise<(CycleWarning & { state: string })[]> {
  return db
    .selectFrom('recycling_notices as r')
    .innerJoin('sms_notices as n', 'n.id', 'r.notice_id')
    .distinctOn('r.stage')
    .select(['r.stage', 'r.attempt', 'r.notice_id', 'r.replaces_notice_id', 'r.queued_at', 'n.state'])
    .where('r.custody_id', '=', custodyId)
    .where('r.cycle_no', '=', cycleNo)
    .where('r.purpose', '=', 'inactivity_warning')
    .orderBy('r.stage')
    .orderBy('r.attempt', 'desc')
    .execute()
}

export async function rememberNotice(
  tx: Transaction<DB>,
  row: {
    custody_id: string
    cycle_no: number
    purpose: 'inactivity_warning' | 'suspension' | 'withdrawal'
    stage: number
    notice_id: string
    attempt?: number
    replaces_notice_id?: string | null
  },
  now: Date,
): Promise<void> {
  await tx
    .insertInto('recycling_notices')
    .values({ ...row, queued_at: now })
    .onConflict((oc) => oc.doNothing())
    .execute()
}

/** A qualifying event of a withdrawn custody dated before its withdrawal that arrived after it. */
export async function lateQualifyingEvent(
  db: Db,
  custodyId: string,
  withdrawnAt: Date,
  qualifyingKinds: readonly string[],
): Promise<{ source: string; external_id: string; kind: string; occurred_at: Date; received_at: Date } | undefined> {
  return db
    .selectFrom('activity_events')
    .select(['source', 'external_id', 'kind', 'occurred_at', 'received_at'])
    .where('custody_id', '=', custodyId)
    .where('occurred_at', '<', withdrawnAt)
    .where('received_at', '>=', withdrawnAt)
    .where('kind', 'in', qualifyingKinds as ('topup' | 'payment' | 'usage')[])
    .orderBy('received_at')
    .limit(1)
    .executeTakeFirst()
}
