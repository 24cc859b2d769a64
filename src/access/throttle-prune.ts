// The worker's hourly prune of the sign-in throttle (migration 041): rows quiet for a day and under no lock in force
// say nothing a missing row does not, so guesses over many usernames and addresses cannot grow the tables forever.
import { sql } from 'kysely'
import type { App } from '../app.ts'

export const PRUNE_INTERVAL_MS = 3_600_000
const lastPrune = new WeakMap<App, number>()

/** Prunes when an hour has passed since this process last did (by the app's clock); returns the rows deleted. */
export async function pruneThrottleIfDue(app: App): Promise<number> {
  const now = app.clock.now()
  const last = lastPrune.get(app)
  if (last !== undefined && now.getTime() - last < PRUNE_INTERVAL_MS) return 0
  const { rows } = await sql<{
    n: number
  }>`SELECT prune_sign_in_throttle(${now.toISOString()}::timestamptz) AS n`.execute(app.db)
  lastPrune.set(app, now.getTime())
  return Number(rows[0]?.n ?? 0)
}
