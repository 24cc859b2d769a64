// The activity feature's SQL. Ingestion is set-based: a batch of 10,000 events costs a handful of statements, never
// a round trip per row.
import { type Kysely, sql, type Transaction } from 'kysely'
import type { DB } from '../db/types.ts'
import type { ActivityRow } from './validate.ts'

type Db = Kysely<DB> | Transaction<DB>

/** The rows as parallel arrays for `unnest(...)`: one parameter per column whatever the batch size. */
function columns(rows: readonly ActivityRow[]) {
  return {
    idx: rows.map((r) => r.index),
    source: rows.map((r) => r.source),
    externalId: rows.map((r) => r.externalId),
    msisdn: rows.map((r) => r.msisdn),
    kind: rows.map((r) => r.kind),
    amount: rows.map((r) => r.amount),
    currency: rows.map((r) => r.currency),
    occurredAt: rows.map((r) => r.occurredAt),
  }
}

function input(rows: readonly ActivityRow[]) {
  const c = columns(rows)
  return sql`unnest(${c.idx}::int[], ${c.source}::text[], ${c.externalId}::text[], ${c.msisdn}::text[],
                    ${c.kind}::text[], ${c.amount}::numeric[], ${c.currency}::text[], ${c.occurredAt}::timestamptz[])
             AS i(idx, source, external_id, msisdn, kind, amount, currency, occurred_at)`
}

export interface StoredBatch {
  inserted: number
  /** Rows not inserted, by their index in the request: no such number, nobody held it then, or already stored. */
  notInserted: { idx: number; status: 'unknown_number' | 'not_in_custody' | 'duplicate' }[]
  /** Custodies whose inactivity cycle restarted. */
  cyclesMoved: number
  /** Custodies whose last usage moved later. */
  usageMoved: number
}

/**
 * One statement: match each event to the custody that held its number when it occurred (an ended custody for an
 * event dated before the withdrawal of a number now aging), insert what is new, and move the custodies' recycling
 * state. A qualifying event later than the cycle start restarts the cycle and makes the custody due at once (the
 * worker reactivates, re-schedules or reinstates); usage moves last_usage_at. Old events never move anything back.
 * State rows are locked in custody order, so concurrent batches cannot deadlock on them.
 */
export async function storeEvents(
  tx: Transaction<DB>,
  rows: readonly ActivityRow[],
  batchId: string,
  now: Date,
): Promise<StoredBatch> {
  const row = (await storeEventsQuery(rows, batchId, now).execute(tx)).rows[0]
  return {
    inserted: Number(row.inserted),
    notInserted: row.not_inserted ?? [],
    cyclesMoved: Number(row.cycles_moved),
    usageMoved: Number(row.usage_moved),
  }
}

/** The statement of `storeEvents` (the ingest benchmark EXPLAINs it). */
export function storeEventsQuery(rows: readonly ActivityRow[], batchId: string, now: Date) {
  return sql<{
    not_inserted: { idx: number; status: StoredBatch['notInserted'][number]['status'] }[] | null
    inserted: string
    cycles_moved: string
    usage_moved: string
  }>`
    WITH matched AS (
      -- Custodies never overlap (an exclusion constraint), so at most one held the number at occurred_at. Whether
      -- the number exists at all is asked only of events no custody claims.
      SELECT i.*, c.id AS custody_id,
             c.id IS NOT NULL OR EXISTS (SELECT 1 FROM numbers n WHERE n.msisdn = i.msisdn) AS known
      FROM ${input(rows)}
      LEFT JOIN custodies c ON c.msisdn = i.msisdn AND c.started_at <= i.occurred_at
                           AND (c.ended_at IS NULL OR c.ended_at > i.occurred_at)
    ),
    ins AS (
      INSERT INTO activity_events (source, external_id, msisdn, kind, amount, currency, occurred_at, received_at,
                                   batch_id, custody_id)
      SELECT source, external_id, msisdn, kind, amount, currency, occurred_at, ${now}, ${batchId}, custody_id
      FROM matched WHERE custody_id IS NOT NULL
      ORDER BY source COLLATE "C", external_id COLLATE "C"
      ON CONFLICT (source, external_id) DO NOTHING
      RETURNING source, external_id, custody_id, kind, occurred_at
    ),
    -- Latest event of each kind per custody; which kinds qualify depends on the policy version of the custody's
    -- cycle, resolved below where each state row is read once, by its key, and locked in custody order.
    latest AS (
      SELECT custody_id,
             max(occurred_at) FILTER (WHERE kind = 'topup') AS topup,
             max(occurred_at) FILTER (WHERE kind = 'payment') AS payment,
             max(occurred_at) FILTER (WHERE kind = 'usage') AS usage
      FROM ins GROUP BY custody_id
    ),
    qualifying AS MATERIALIZED (
      SELECT version, ARRAY(SELECT jsonb_array_elements_text(params -> 'qualifying_kinds')) AS kinds
      FROM recycling_policies
    ),
    -- A cycle restarts only for a custody that is open or was withdrawn for inactivity (a late top-up may prove the
    -- withdrawal wrong); one the holder ended (termination) or a legal order ended has no cycle left to restart.
    locked AS (
      SELECT s.custody_id, x.last_qualifying, a.usage AS last_usage,
             x.last_qualifying > s.cycle_started_at AND coalesce(c.end_reason, 'inactivity') = 'inactivity'
               AS cycle_moves,
             a.usage > coalesce(s.last_usage_at, '-infinity') AS usage_moves
      FROM latest a
      JOIN recycling_state s ON s.custody_id = a.custody_id
      JOIN custodies c ON c.id = a.custody_id
      JOIN qualifying q ON q.version = s.policy_version
      CROSS JOIN LATERAL (
        SELECT greatest(CASE WHEN 'topup' = ANY (q.kinds) THEN a.topup END,
                        CASE WHEN 'payment' = ANY (q.kinds) THEN a.payment END,
                        CASE WHEN 'usage' = ANY (q.kinds) THEN a.usage END) AS last_qualifying
      ) x
      WHERE s.stage IN ('in_cycle', 'aging')
        AND ((x.last_qualifying > s.cycle_started_at AND coalesce(c.end_reason, 'inactivity') = 'inactivity')
             OR a.usage > coalesce(s.last_usage_at, '-infinity'))
      ORDER BY s.custody_id
      FOR UPDATE OF s
    ),
    moved AS (
      UPDATE recycling_state s SET
        cycle_no = s.cycle_no + CASE WHEN l.cycle_moves THEN 1 ELSE 0 END,
        cycle_started_at = CASE WHEN l.cycle_moves THEN l.last_qualifying ELSE s.cycle_started_at END,
        last_usage_at = CASE WHEN l.usage_moves THEN l.last_usage ELSE s.last_usage_at END,
        -- least(): a row already due stays as it is (its index entry too).
        next_due_at = CASE WHEN l.cycle_moves AND s.account_type = 'prepaid' THEN least(s.next_due_at, ${now})
                           ELSE s.next_due_at END,
        updated_at = ${now}
      FROM locked l
      WHERE s.custody_id = l.custody_id
      RETURNING l.cycle_moves AS cycle_moved, l.usage_moves AS usage_moved
    ),
    not_inserted AS (
      SELECT m.idx, CASE WHEN NOT m.known THEN 'unknown_number'
                         WHEN m.custody_id IS NULL THEN 'not_in_custody'
                         ELSE 'duplicate' END AS status
      FROM matched m
      LEFT JOIN ins ON ins.source = m.source AND ins.external_id = m.external_id
      WHERE ins.external_id IS NULL
    )
    SELECT (SELECT json_agg(json_build_object('idx', idx, 'status', status)) FROM not_inserted) AS not_inserted,
           (SELECT count(*) FROM ins) AS inserted,
           (SELECT count(*) FILTER (WHERE cycle_moved) FROM moved) AS cycles_moved,
           (SELECT count(*) FILTER (WHERE usage_moved) FROM moved) AS usage_moved
  `
}

/**
 * Of rows that were already stored, those whose stored event differs from what was sent now: the same key claimed
 * for two different events. (In the caller's transaction, after the insert: it sees every committed row.)
 */
export async function conflictingReplays(tx: Transaction<DB>, rows: readonly ActivityRow[]): Promise<Set<number>> {
  if (rows.length === 0) return new Set()
  const result = await sql<{ idx: number }>`
    SELECT i.idx FROM ${input(rows)}
    JOIN activity_events e ON e.source = i.source AND e.external_id = i.external_id
    WHERE (e.msisdn, e.kind, e.amount, e.currency, e.occurred_at)
          IS DISTINCT FROM (i.msisdn, i.kind, i.amount, i.currency, i.occurred_at)
  `.execute(tx)
  return new Set(result.rows.map((r) => r.idx))
}

/**
 * Feed health bookkeeping: a source is alive when it sends anything, events or an empty heartbeat batch. A retired
 * source that sends again counts again. Written last in the batch's transaction (sources sorted) so concurrent
 * batches of one source hold this row only briefly.
 */
export async function touchSources(
  tx: Transaction<DB>,
  sources: ReadonlyMap<string, Date | null>,
  now: Date,
): Promise<void> {
  const names = [...sources.keys()].sort()
  if (names.length === 0) return
  const lastEvents = names.map((n) => sources.get(n)?.toISOString() ?? null)
  await sql`
    INSERT INTO activity_sources AS a (source, first_seen_at, last_event_at, last_received_at)
    SELECT s.source, ${now}, s.last_event_at, ${now}
    FROM unnest(${names}::text[], ${lastEvents}::timestamptz[]) AS s(source, last_event_at)
    ON CONFLICT (source) DO UPDATE SET
      last_event_at = greatest(a.last_event_at, excluded.last_event_at),
      last_received_at = greatest(a.last_received_at, excluded.last_received_at),
      retired_at = NULL
  `.execute(tx)
}

export interface SourceHealth {
  source: string
  firstSeenAt: Date
  lastEventAt: Date | null
  lastReceivedAt: Date
  retiredAt: Date | null
}

export async function listSources(db: Db): Promise<SourceHealth[]> {
  const rows = await db.selectFrom('activity_sources').selectAll().orderBy('source').execute()
  return rows.map((r) => ({
    source: r.source,
    firstSeenAt: new Date(r.first_seen_at),
    lastEventAt: r.last_event_at ? new Date(r.last_event_at) : null,
    lastReceivedAt: new Date(r.last_received_at),
    retiredAt: r.retired_at ? new Date(r.retired_at) : null,
  }))
}

export async function listBatches(db: Db, limit: number, before?: Date) {
  let q = db
    .selectFrom('activity_batches')
    .select(['id', 'received_at', 'actor', 'input_sha256', 'counts'])
    .orderBy('received_at', 'desc')
    .orderBy('id')
    .limit(limit)
  if (before) q = q.where('received_at', '<', before)
  return q.execute()
}

export async function findBatch(db: Db, id: string) {
  return db.selectFrom('activity_batches').selectAll().where('id', '=', id).executeTakeFirst()
}
