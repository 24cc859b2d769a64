// The SQL of the reconciliation: the leaves that move numbers, the tables' current holdings (with the transaction
// that last wrote each row: PostgreSQL's xmin), the leaves of those transactions, and the runs kept.
import { type Kysely, sql, type Transaction } from 'kysely'
import type { DB } from '../db/types.ts'
import { NUMBER_EFFECTS, type RebuildLeaf } from './rebuild.ts'

type Db = Kysely<DB> | Transaction<DB>

const READ_ACTIONS = [...Object.keys(NUMBER_EFFECTS), 'range.imported']

/** Every leaf (and queued record) that moves a number or imports a range, in log order. */
export async function numberLeaves(db: Db): Promise<RebuildLeaf[]> {
  const { rows } = await sql<{ leaf_index: string | null; envelope: Record<string, unknown> }>`
    SELECT leaf_index, envelope FROM audit_records WHERE action IN (${sql.join(READ_ACTIONS)}) ORDER BY seq`.execute(db)
  return rows.map((r) => ({
    index: r.leaf_index === null ? null : Number(r.leaf_index),
    event_id: String(r.envelope.event_id),
    at: String(r.envelope.at),
    action: String(r.envelope.action),
    msisdn: typeof r.envelope.msisdn === 'string' ? r.envelope.msisdn : null,
    after: r.envelope.after,
  }))
}

/** How many leaves the log holds (integrated and queued), for the run's count. */
export async function countLeaves(db: Db): Promise<number> {
  const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM audit_records`.execute(db)
  return Number(rows[0].n)
}

export interface HoldingRow {
  msisdn: string
  state: string
  number_xid: string
  custody_id: string | null
  subscriber_id: string | null
  custody_xid: string | null
  binding_id: string | null
  iccid: string | null
  imsi: string | null
  binding_xid: string | null
  /** Some custody of this number came in by a migration batch (its leaf names the batch, not each number). */
  migrated: boolean
}

/** Every number with its open custody and open SIM binding, as the tables hold them now. */
export async function currentHoldings(db: Db): Promise<HoldingRow[]> {
  const { rows } = await sql<HoldingRow>`
    SELECT n.msisdn, n.state, n.xmin::text AS number_xid,
           c.id AS custody_id, c.subscriber_id, c.xmin::text AS custody_xid,
           b.id AS binding_id, b.iccid, s.imsi, b.xmin::text AS binding_xid,
           EXISTS (SELECT 1 FROM custodies m WHERE m.msisdn = n.msisdn AND m.basis = 'migration') AS migrated
      FROM numbers n
      LEFT JOIN custodies c ON c.msisdn = n.msisdn AND c.ended_at IS NULL
      LEFT JOIN sim_bindings b ON b.msisdn = n.msisdn AND b.ended_at IS NULL
      LEFT JOIN sims s ON s.iccid = b.iccid
     ORDER BY n.msisdn`.execute(db)
  return rows
}

/** The custodies the log says are open but the tables do not: how each row stands now, and who last wrote it. */
export async function custodiesByIds(
  db: Db,
  ids: string[],
): Promise<{ id: string; ended_at: Date | null; end_reason: string | null; xid: string }[]> {
  if (ids.length === 0) return []
  const { rows } = await sql<{ id: string; ended_at: Date | null; end_reason: string | null; xid: string }>`
    SELECT id, ended_at, end_reason, xmin::text AS xid FROM custodies WHERE id IN (${sql.join(ids)})`.execute(db)
  return rows
}

export interface TransactionLeaf {
  xid: string
  event_id: string
  action: string
  leaf_index: string | null
}

/**
 * The leaves each transaction wrote. A row's xmin is the 32-bit transaction id; the log keeps txid_current(),
 * which adds the epoch above it, so the two meet modulo 2^32.
 */
export async function leavesOfTransactions(db: Db, xids: string[]): Promise<TransactionLeaf[]> {
  if (xids.length === 0) return []
  const { rows } = await sql<TransactionLeaf>`
    SELECT (txid % 4294967296)::text AS xid, event_id::text, action, leaf_index::text
      FROM audit_records WHERE (txid % 4294967296) IN (${sql.join(xids.map((x) => sql`${x}::bigint`))})
     ORDER BY seq`.execute(db)
  return rows
}

export interface ReconcileRunRow {
  id: string
  started_at: Date
  finished_at: Date
  trigger: string
  leaves_read: string
  numbers_checked: string
  migrated: string
  differences: string
  details: unknown
}

export async function insertReconcileRun(db: Db, run: Omit<ReconcileRunRow, 'details'> & { details: unknown }) {
  await sql`
    INSERT INTO reconcile_runs (id, started_at, finished_at, trigger, leaves_read, numbers_checked, migrated,
                                differences, details)
    VALUES (${run.id}, ${run.started_at}, ${run.finished_at}, ${run.trigger}, ${run.leaves_read},
            ${run.numbers_checked}, ${run.migrated}, ${run.differences}, ${JSON.stringify(run.details)}::jsonb)`.execute(
    db,
  )
}

export async function lastReconcileRun(db: Db): Promise<ReconcileRunRow | undefined> {
  const { rows } = await sql<ReconcileRunRow>`
    SELECT * FROM reconcile_runs ORDER BY started_at DESC, finished_at DESC LIMIT 1`.execute(db)
  return rows[0]
}

/** Whether an alert of this kind and subject was already raised (a difference seen by an earlier run). */
export async function alertExists(db: Db, kind: string, subject: string): Promise<boolean> {
  const { rows } = await sql`SELECT 1 FROM alerts WHERE kind = ${kind} AND subject = ${subject} LIMIT 1`.execute(db)
  return rows.length > 0
}
