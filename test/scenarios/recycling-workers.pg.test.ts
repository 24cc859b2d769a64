// Two workers side by side on PostgreSQL (two connection pools on one schema, as two processes would have): every
// due custody is handled exactly once.
import { sql } from 'kysely'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { App } from '../../src/app.ts'
import { runCommand } from '../../src/audit/run-command.ts'
import { type Database, openDatabase } from '../../src/db/handle.ts'
import { addDays, DEFAULT_POLICY, localDate, localInstant } from '../../src/domain/policy.ts'
import { sellNumber } from '../../src/inventory/sales.ts'
import { sweepDueNumbers } from '../../src/recycling/sweep.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { makeRange, makeSims, makeStaff, newSubscriber } from '../helpers/factories.ts'

const COUNT = 200
let t: TestApp
let second: Database
let other: App
let numbers: string[]

beforeAll(async () => {
  t = await openTestApp()
  const agent = await makeStaff(t.app, ['agent'])
  numbers = await makeRange(t.app, COUNT)
  const sims = await makeSims(t.app, agent.shopId as string, COUNT)
  for (let i = 0; i < COUNT; i++) {
    await runCommand(t.app.deps, agent.actor, (ctx) =>
      sellNumber(
        ctx,
        agent.actor,
        { msisdn: numbers[i], iccid: sims[i], subscriber: newSubscriber() },
        t.app.config.kycKey,
      ),
    )
  }
  const schema = (await sql<{ s: string }>`SELECT current_schema() AS s`.execute(t.app.db)).rows[0].s
  second = await openDatabase({ url: process.env.TEST_DATABASE_URL, schema, migrate: false, poolSize: 5 })
  other = {
    ...t.app,
    database: second,
    db: second.db,
    deps: { db: second.db, clock: t.app.clock },
    logger: pino({ level: 'silent' }),
  }
}, 120_000)

afterAll(async () => {
  await second?.close()
  await t?.close()
})

describe('two workers sweeping at once', () => {
  it('handle each due custody exactly once', async () => {
    expect((await sweepDueNumbers(t.app)).claimed).toBe(COUNT) // first visits: schedules for day 60
    const day60 = localInstant(
      addDays(localDate(t.clock.now(), DEFAULT_POLICY.time_zone), 60),
      DEFAULT_POLICY.time_zone,
    )
    t.clock.advance(day60.getTime() - t.clock.now().getTime())

    const [a, b] = await Promise.all([
      sweepDueNumbers(t.app, { batch: 7, concurrency: 3 }),
      sweepDueNumbers(other, { batch: 7, concurrency: 3 }),
    ])
    expect(a.failed + b.failed).toBe(0)
    expect(a.claimed + b.claimed).toBe(COUNT)
    expect(a.claimed).toBeGreaterThan(0)
    expect(b.claimed).toBeGreaterThan(0)
    expect((a.outcomes.suspended ?? 0) + (b.outcomes.suspended ?? 0)).toBe(COUNT)

    const perNumber = await sql<{ msisdn: string; warnings: number; suspensions: number }>`
      SELECT msisdn,
             count(*) FILTER (WHERE action = 'recycling.warning_queued')::int AS warnings,
             count(*) FILTER (WHERE action = 'number.suspended')::int AS suspensions
        FROM audit_records WHERE action IN ('recycling.warning_queued', 'number.suspended')
       GROUP BY msisdn`.execute(t.app.db)
    expect(perNumber.rows.length).toBe(COUNT)
    expect(perNumber.rows.every((r) => r.warnings === 1 && r.suspensions === 1)).toBe(true)
    const events = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM provisioning_events WHERE kind = 'bar_outgoing'`.execute(t.app.db)
    expect(events.rows[0].n).toBe(COUNT)
    const states = await t.app.db
      .selectFrom('numbers')
      .select(({ fn }) => ['state', fn.countAll<number>().as('n')])
      .where('msisdn', 'in', numbers)
      .groupBy('state')
      .execute()
    expect(states.map((s) => [s.state, Number(s.n)])).toEqual([['suspended', COUNT]])
    // Nothing left due, nothing left leased.
    const due = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM recycling_state WHERE next_due_at <= ${t.clock.now()} OR lease_id IS NOT NULL`.execute(
      t.app.db,
    )
    expect(due.rows[0].n).toBe(0)
  })
})
