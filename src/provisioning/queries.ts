// The outbox's SQL: claims, acknowledgements and failures are guarded updates that report what moved.
import { type Kysely, sql, type Transaction } from 'kysely'
import type { DB } from '../db/types.ts'
import type { ProvisioningKind } from '../db/types-activity.ts'

type Db = Kysely<DB> | Transaction<DB>

export interface OutboxEvent {
  id: string
  seq: string
  msisdn: string
  kind: ProvisioningKind
  payload: unknown
  created_at: Date
  attempts: number
  next_attempt_at: Date
  claimed_by: string | null
  claimed_until: Date | null
  acked_at: Date | null
  dead_at: Date | null
  last_error: string | null
}

/**
 * Leases up to `limit` events to a consumer, oldest first, skipping rows another consumer is locking. An event is
 * handed out only while no earlier event of its number is unacknowledged (claimed, backing off or dead), so a
 * number's events reach the network in order and one at a time. Each claim counts as an attempt: a consumer that
 * dies holding a lease still uses one up.
 */
export async function claimEvents(
  tx: Transaction<DB>,
  input: { consumer: string; limit: number; leaseMs: number; maxAttempts: number; now: Date },
): Promise<OutboxEvent[]> {
  const until = new Date(input.now.getTime() + input.leaseMs)
  const result = await sql<OutboxEvent>`
    WITH candidates AS (
      SELECT e.id FROM provisioning_events e
      WHERE e.acked_at IS NULL AND e.dead_at IS NULL AND e.next_attempt_at <= ${input.now}
        AND (e.claimed_until IS NULL OR e.claimed_until <= ${input.now}) AND e.attempts < ${input.maxAttempts}
        AND NOT EXISTS (SELECT 1 FROM provisioning_events p
                        WHERE p.msisdn = e.msisdn AND p.acked_at IS NULL AND p.seq < e.seq)
      ORDER BY e.seq
      LIMIT ${input.limit}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE provisioning_events e
    SET claimed_by = ${input.consumer}, claimed_until = ${until}, attempts = e.attempts + 1
    FROM candidates c WHERE e.id = c.id
    RETURNING e.*
  `.execute(tx)
  return result.rows.sort((a, b) => Number(BigInt(a.seq) - BigInt(b.seq)))
}

export async function findEvents(db: Db, ids: readonly string[]): Promise<OutboxEvent[]> {
  if (ids.length === 0) return []
  return (await db
    .selectFrom('provisioning_events')
    .selectAll()
    .where('id', 'in', ids)
    .execute()) as unknown as OutboxEvent[]
}

/** Marks events acknowledged that this consumer claimed (even after its lease ran out, unless another took them). */
export async function ackEvents(tx: Transaction<DB>, ids: readonly string[], consumer: string, now: Date) {
  if (ids.length === 0) return []
  return tx
    .updateTable('provisioning_events')
    .set({ acked_at: now, dead_at: null, claimed_until: null })
    .where('id', 'in', ids)
    .where('acked_at', 'is', null)
    .where('claimed_by', '=', consumer)
    .returning(['id', 'msisdn', 'kind', 'attempts'])
    .execute()
}

/** A failure report: back off, or dead-letter when no attempt is left. */
export async function failEvent(
  tx: Transaction<DB>,
  input: { id: string; consumer: string; error: string; now: Date; retryAt: Date; dead: boolean },
) {
  return tx
    .updateTable('provisioning_events')
    .set({
      last_error: input.error,
      claimed_until: null,
      next_attempt_at: input.retryAt,
      dead_at: input.dead ? input.now : null,
    })
    .where('id', '=', input.id)
    .where('acked_at', 'is', null)
    .where('dead_at', 'is', null)
    .where('claimed_by', '=', input.consumer)
    .returning(['id', 'msisdn', 'kind', 'attempts'])
    .executeTakeFirst()
}

/** Events whose last lease ran out with no attempt left: nobody will claim them again. */
export async function deadLetterExhausted(tx: Transaction<DB>, maxAttempts: number, now: Date) {
  return tx
    .updateTable('provisioning_events')
    .set({ dead_at: now, last_error: sql`coalesce(last_error, 'lease expired without an acknowledgement')` })
    .where('acked_at', 'is', null)
    .where('dead_at', 'is', null)
    .where('attempts', '>=', maxAttempts)
    .where('claimed_until', '<=', now)
    .returning(['id', 'msisdn', 'kind', 'attempts', 'last_error'])
    .execute()
}

export async function requeueDead(tx: Transaction<DB>, id: string, now: Date) {
  return tx
    .updateTable('provisioning_events')
    .set({ dead_at: null, attempts: 0, next_attempt_at: now, claimed_by: null, claimed_until: null })
    .where('id', '=', id)
    .where('dead_at', 'is not', null)
    .returning(['id', 'msisdn', 'kind', 'last_error'])
    .executeTakeFirst()
}

export interface OutboxStatus {
  pending: number
  in_flight: number
  backing_off: number
  dead: number
  oldest_pending_at: Date | null
}

/** Counts over unacknowledged events only (a partial index), never over the acknowledged history. */
export async function outboxStatus(db: Db, now: Date): Promise<OutboxStatus> {
  const row = await sql<{ [K in keyof OutboxStatus]: string | Date | null }>`
    SELECT count(*) FILTER (WHERE dead_at IS NULL) AS pending,
           count(*) FILTER (WHERE dead_at IS NULL AND claimed_until > ${now}) AS in_flight,
           count(*) FILTER (WHERE dead_at IS NULL AND next_attempt_at > ${now}
                            AND (claimed_until IS NULL OR claimed_until <= ${now})) AS backing_off,
           count(*) FILTER (WHERE dead_at IS NOT NULL) AS dead,
           min(created_at) FILTER (WHERE dead_at IS NULL) AS oldest_pending_at
    FROM provisioning_events WHERE acked_at IS NULL
  `.execute(db)
  const r = row.rows[0]
  return {
    pending: Number(r.pending),
    in_flight: Number(r.in_flight),
    backing_off: Number(r.backing_off),
    dead: Number(r.dead),
    oldest_pending_at: r.oldest_pending_at ? new Date(r.oldest_pending_at) : null,
  }
}

export async function listUnacked(db: Db, state: 'pending' | 'dead', limit: number): Promise<OutboxEvent[]> {
  return (await db
    .selectFrom('provisioning_events')
    .selectAll()
    .where('acked_at', 'is', null)
    .where('dead_at', state === 'dead' ? 'is not' : 'is', null)
    .orderBy('seq')
    .limit(limit)
    .execute()) as unknown as OutboxEvent[]
}

/** Unacknowledged, not dead, and older than `olderThan`: how many and since when. */
export async function staleBacklog(db: Db, olderThan: Date) {
  const row = await sql<{ count: string; oldest: Date | null }>`
    SELECT count(*) AS count, min(created_at) AS oldest FROM provisioning_events
    WHERE acked_at IS NULL AND dead_at IS NULL AND created_at < ${olderThan}
  `.execute(db)
  return { count: Number(row.rows[0].count), oldest: row.rows[0].oldest ? new Date(row.rows[0].oldest) : null }
}
