import type { OutboxEvent } from './queries.ts'

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString())

export function presentEvent(e: OutboxEvent) {
  return {
    id: e.id,
    seq: Number(e.seq),
    msisdn: e.msisdn,
    kind: e.kind,
    payload: e.payload,
    created_at: iso(e.created_at),
    attempts: e.attempts,
    next_attempt_at: iso(e.next_attempt_at),
    claimed_by: e.claimed_by,
    claimed_until: iso(e.claimed_until),
    acked_at: iso(e.acked_at),
    dead_at: iso(e.dead_at),
    last_error: e.last_error,
  }
}
