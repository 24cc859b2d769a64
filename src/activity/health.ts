import { type Kysely, sql, type Transaction } from 'kysely'
import type { DB } from '../db/types.ts'
import { listSources } from './queries.ts'

type Db = Kysely<DB> | Transaction<DB>

export interface FeedHealth {
  healthy: boolean
  /** Counted sources silent longer than the limit (none known at all is reported as unhealthy with none listed). */
  silentSources: { source: string; lastReceivedAt: Date }[]
  /** How many sources count: every source that ever sent a batch (events or a heartbeat) and is not retired. */
  knownSources: number
}

/**
 * Whether the charging feed can be trusted to have told us about every top-up: withdrawals for inactivity pause
 * unless it is. Every source seen counts until a compliance officer retires it, so a source that goes quiet cannot
 * be forgotten by accident; with no source at all nothing proves inactivity, so that is unhealthy too.
 * Silence is measured on what we received (last_received_at), not on when events occurred.
 */
export async function feedHealth(db: Db, now: Date, silenceHours: number): Promise<FeedHealth> {
  const limit = now.getTime() - silenceHours * 3_600_000
  const counted = (await listSources(db)).filter((s) => s.retiredAt === null)
  const silentSources = counted
    .filter((s) => s.lastReceivedAt.getTime() < limit)
    .map((s) => ({ source: s.source, lastReceivedAt: s.lastReceivedAt }))
  return { healthy: counted.length > 0 && silentSources.length === 0, silentSources, knownSources: counted.length }
}

/** Usage events of one custody that occurred at or after `since` (the usage veto asks this). */
export async function usageSince(
  db: Db,
  custodyId: string,
  since: Date,
): Promise<{ count: number; lastUsageAt: Date | null }> {
  const row = await db
    .selectFrom('activity_events')
    .select([sql<string>`count(*)`.as('count'), sql<Date | null>`max(occurred_at)`.as('last')])
    .where('custody_id', '=', custodyId)
    .where('kind', '=', 'usage')
    .where('occurred_at', '>=', since)
    .executeTakeFirstOrThrow()
  return { count: Number(row.count), lastUsageAt: row.last ? new Date(row.last) : null }
}
