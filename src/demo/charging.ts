// The demo's charging system: while the demo clock walks forward it plays the operator's billing platform, so the
// feed stays healthy (a heartbeat each step) and regular holders top up before their first warning. Holders the
// seed marked as lapsing never top up; a few suspended "comebacks" top up again on day 80 (their number reactivates).
import { type Kysely, sql } from 'kysely'
import { sha256Hex } from '../access/index.ts'
import { ingestActivity } from '../activity/index.ts'
import type { App } from '../app.ts'
import { runCommand } from '../audit/index.ts'
import type { DB } from '../db/types.ts'
import { COMEBACK_SQL, DEMO_CHARGING_SOURCE, LAPSING_SQL } from './seed-recycling.ts'

/** Regular holders top up on this day of their cycle, well before the first warning (day 60 by default). */
export const REGULAR_TOPUP_DAY = 45
export const COMEBACK_DAY = 80

async function dueTopups(db: Kysely<DB>, now: Date): Promise<string[]> {
  const day = (n: number) => sql`${now}::timestamptz - make_interval(days => ${n})`
  const { rows } = await sql<{ msisdn: string }>`
    SELECT r.msisdn FROM recycling_state r JOIN numbers n ON n.msisdn = r.msisdn
     WHERE r.stage = 'in_cycle' AND r.account_type = 'prepaid' AND n.state IN ('active', 'suspended')
       AND ((NOT ${sql.raw(LAPSING_SQL.replaceAll('msisdn', 'r.msisdn'))} AND n.state = 'active'
             AND r.cycle_started_at <= ${day(REGULAR_TOPUP_DAY)})
         OR (${sql.raw(COMEBACK_SQL.replaceAll('msisdn', 'r.msisdn'))} AND n.state = 'suspended'
             AND r.cycle_started_at <= ${day(COMEBACK_DAY)}))
     ORDER BY r.msisdn`.execute(db)
  return rows.map((r) => r.msisdn)
}

/** One beat of the simulated charging system at the app's current time: due top-ups, or a bare heartbeat. */
export async function simulateCharging(app: App): Promise<{ topups: number }> {
  const now = app.clock.now()
  const msisdns = await dueTopups(app.db, now)
  const occurredAt = new Date(now.getTime() - 60_000).toISOString()
  const events = msisdns.map((msisdn) => ({
    source: DEMO_CHARGING_SOURCE,
    external_id: `demo-topup-${msisdn}-${now.getTime()}`,
    msisdn,
    kind: 'topup',
    amount: '2',
    currency: 'USD',
    occurred_at: occurredAt,
  }))
  for (let i = 0; i === 0 || i < events.length; i += 10_000) {
    const chunk = events.slice(i, i + 10_000)
    await runCommand(app.deps, { kind: 'system', component: 'demo-charging' }, (ctx) =>
      ingestActivity(ctx, {
        events: chunk,
        source: DEMO_CHARGING_SOURCE,
        inputSha256: sha256Hex(JSON.stringify(chunk)),
        claimedInput: { demo: 'simulated charging system' },
        country: app.config.country,
      }),
    )
  }
  return { topups: events.length }
}
