// The audit log's SQL reads, as named functions: checkpoints with their cosignatures, leaves, timelines.
import { type Kysely, sql } from 'kysely'
import type { DB } from '../db/types.ts'
import { bytes } from './tree-store.ts'

type Db = Kysely<DB>

export interface StoredCheckpoint {
  size: number
  root: Buffer
  /** The log's signed note with the witnesses' cosignature lines appended (the latest per witness). */
  note: string
  signed_at: Date
  cosignatures: { witness: string; key_id: string; cosigned_at: Date }[]
}

async function withCosignatures(db: Db, rows: { size: number; note: string; signed_at: Date; root: Uint8Array }[]) {
  if (rows.length === 0) return []
  const sizes = rows.map((r) => Number(r.size))
  const cosigs = await db
    .selectFrom('audit_cosignatures')
    .select(['size', 'witness', 'key_id', 'cosigned_at', 'line'])
    .where('size', 'in', sizes)
    .orderBy('size')
    .orderBy('key_id')
    .orderBy('cosigned_at', 'desc')
    .execute()
  return rows.map((r): StoredCheckpoint => {
    const latest = new Map<string, (typeof cosigs)[number]>()
    for (const c of cosigs) if (Number(c.size) === Number(r.size) && !latest.has(c.key_id)) latest.set(c.key_id, c)
    const mine = [...latest.values()]
    return {
      size: Number(r.size),
      root: bytes(r.root),
      note: r.note + mine.map((c) => c.line).join(''),
      signed_at: new Date(r.signed_at),
      cosignatures: mine.map((c) => ({ witness: c.witness, key_id: c.key_id, cosigned_at: new Date(c.cosigned_at) })),
    }
  })
}

function checkpointRows(db: Db) {
  return db
    .selectFrom('audit_checkpoints as c')
    .innerJoin('audit_tree_heads as h', 'h.size', 'c.size')
    .select(['c.size', 'c.note', 'c.signed_at', 'h.root'])
}

export async function latestCheckpoint(db: Db, atMost?: number): Promise<StoredCheckpoint | undefined> {
  let q = checkpointRows(db).orderBy('c.size', 'desc').limit(1)
  if (atMost !== undefined) q = q.where('c.size', '<=', atMost)
  return (await withCosignatures(db, await q.execute()))[0]
}

export async function checkpointAt(db: Db, size: number): Promise<StoredCheckpoint | undefined> {
  return (await withCosignatures(db, await checkpointRows(db).where('c.size', '=', size).execute()))[0]
}

/** Checkpoints of sizes in (after, upTo], ascending, at most `limit` (export pages through them). */
export async function checkpointsPage(db: Db, after: number, upTo: number, limit: number): Promise<StoredCheckpoint[]> {
  const rows = await checkpointRows(db)
    .where('c.size', '>', after)
    .where('c.size', '<=', upTo)
    .orderBy('c.size')
    .limit(limit)
    .execute()
  return withCosignatures(db, rows)
}

/**
 * The checkpoints an export carries (EXPORT_SELECTION in bundle.ts), of sizes in (after, upTo], ascending, at most `limit`: every cosigned one, the
 * last one signed on each UTC day, and the latest (the one of size `upTo` when there is one). A busy log signs up to
 * one a second; a bundle needs only those a reader relies on — witnessed ones and each day's last word — so
 * verifying it checks a few signatures a day instead of one per batch. Each candidate costs two index probes
 * (its cosignatures, its successor), and the scan stops at `limit`.
 */
export async function exportCheckpointsPage(
  db: Db,
  after: number,
  upTo: number,
  limit: number,
): Promise<StoredCheckpoint[]> {
  const { rows } = await sql<{ size: number; note: string; signed_at: Date; root: Uint8Array }>`
    SELECT c.size, c.note, c.signed_at, h.root
      FROM audit_checkpoints c
      JOIN audit_tree_heads h ON h.size = c.size
     WHERE c.size > ${after} AND c.size <= ${upTo}
       AND (EXISTS (SELECT 1 FROM audit_cosignatures s WHERE s.size = c.size)
            -- the last of its UTC day: the next checkpoint (up to upTo) is of another day, or there is none
            OR NOT EXISTS (
              SELECT 1
                FROM (SELECT n.signed_at FROM audit_checkpoints n
                       WHERE n.size > c.size AND n.size <= ${upTo} ORDER BY n.size LIMIT 1) nx
               WHERE (nx.signed_at AT TIME ZONE 'UTC')::date = (c.signed_at AT TIME ZONE 'UTC')::date))
     ORDER BY c.size
     LIMIT ${limit}`.execute(db)
  return withCosignatures(db, rows)
}

const LEAF_COLUMNS = [
  'index',
  'event_id',
  'at',
  'action',
  'msisdn',
  'staff_id',
  'session_id',
  'request_id',
  'leaf',
  'leaf_hash',
] as const

/** Leaves [start, end) in index order. */
export function leavesRange(db: Db, start: number, end: number) {
  return db
    .selectFrom('audit_leaves')
    .select(LEAF_COLUMNS)
    .where('index', '>=', start)
    .where('index', '<', end)
    .orderBy('index')
    .execute()
}

export type LeafRow = Awaited<ReturnType<typeof leavesRange>>[number]

/** Only the bytes of leaves [start, end): what an export streams. */
export function leafBytesRange(db: Db, start: number, end: number) {
  return db
    .selectFrom('audit_leaves')
    .select(['index', 'leaf'])
    .where('index', '>=', start)
    .where('index', '<', end)
    .orderBy('index')
    .execute()
}

export function leafByEventId(db: Db, eventId: string) {
  return db.selectFrom('audit_leaves').select(LEAF_COLUMNS).where('event_id', '=', eventId).executeTakeFirst()
}

export function leafByIndex(db: Db, index: number) {
  return db.selectFrom('audit_leaves').select(LEAF_COLUMNS).where('index', '=', index).executeTakeFirst()
}

export type TimelineFilter =
  | { by: 'msisdn'; value: string }
  | { by: 'staff_id'; value: string }
  | { by: 'session_id'; value: string }
  | { by: 'request_id'; value: string }
  /** Leaves of a whole-set ground or a case that name no number (a case's own events: offers, findings). */
  | { by: 'basis'; value: string }

/** The leaves naming a number, staff member, session or request, oldest first, from leaf index `from` on. */
export function timelineLeaves(db: Db, filter: TimelineFilter, from: number, limit: number) {
  return db
    .selectFrom('audit_leaves')
    .select(LEAF_COLUMNS)
    .where(filter.by, '=', filter.value)
    .$if(filter.by === 'basis', (q) => q.where('msisdn', 'is', null))
    .where('index', '>=', from)
    .orderBy('index')
    .limit(limit)
    .execute()
}

/** Records still waiting for integration (no index and no proof yet), and the oldest one's time. */
export async function queueStatus(db: Db): Promise<{ queued: number; oldest: Date | null }> {
  const { rows } = await sql<{ queued: number; oldest: Date | null }>`SELECT * FROM audit_queue_status()`.execute(db)
  return { queued: Number(rows[0].queued), oldest: rows[0].oldest ? new Date(rows[0].oldest) : null }
}
