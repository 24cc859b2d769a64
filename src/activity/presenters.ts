import type { SourceHealth } from './queries.ts'

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString())

export function presentSource(s: SourceHealth, now: Date, silenceHours: number) {
  const silentForMs = now.getTime() - s.lastReceivedAt.getTime()
  return {
    source: s.source,
    first_seen_at: iso(s.firstSeenAt),
    last_event_at: iso(s.lastEventAt),
    last_received_at: iso(s.lastReceivedAt),
    retired_at: iso(s.retiredAt),
    counts_for_feed_health: s.retiredAt === null,
    silent: s.retiredAt === null && silentForMs > silenceHours * 3_600_000,
    silent_for_seconds: Math.max(0, Math.floor(silentForMs / 1000)),
  }
}

interface BatchRow {
  id: string
  received_at: Date | string
  actor: unknown
  input_sha256: string
  counts: unknown
}

export function presentBatch(b: BatchRow) {
  return { id: b.id, received_at: iso(b.received_at), actor: b.actor, input_sha256: b.input_sha256, counts: b.counts }
}
