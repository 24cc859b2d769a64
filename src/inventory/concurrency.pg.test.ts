// PostgreSQL only (the .pg.test.ts suffix keeps it out of the pglite suite): PGlite has one connection, so nothing
// there runs concurrently. Here the pool's connections really do race for the same rows.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { makeRange, makeSims, makeStaff, newSubscriber, type TestStaff } from '../../test/helpers/factories.ts'
import { runCommand } from '../audit/run-command.ts'
import { DomainError } from '../domain/errors.ts'
import { releaseNumber, reserveNumber } from './reservations.ts'
import { sellNumber } from './sales.ts'

let t: TestApp
beforeAll(async () => {
  t = await openTestApp()
})
afterAll(() => t.close())

const sell = (agent: TestStaff, msisdn: string, iccid: string) =>
  runCommand(t.app.deps, agent.actor, (ctx) =>
    sellNumber(ctx, agent.actor, { msisdn, iccid, subscriber: newSubscriber() }, t.app.config.kycKey),
  )

/** Settles every promise, returning what each resolved to or rejected with. */
const settle = <T>(work: Promise<T>[]) => Promise.allSettled(work)

describe('agents racing for numbers (PostgreSQL)', () => {
  it('50 agents selling one number at once: one sale, 49 refusals each leaving a race_lost info alert', {
    timeout: 120_000,
  }, async () => {
    const contenders: { agent: TestStaff; iccid: string }[] = []
    for (let i = 0; i < 50; i++) {
      const agent = await makeStaff(t.app, ['agent']) // each in a shop of their own
      const [iccid] = await makeSims(t.app, agent.shopId as string, 1)
      contenders.push({ agent, iccid })
    }
    const [msisdn] = await makeRange(t.app, 1)

    const outcomes = await settle(contenders.map(({ agent, iccid }) => sell(agent, msisdn, iccid)))

    const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [{ ...contenders[i], sale: o.value }] : []))
    const lost = outcomes.flatMap((o, i) =>
      o.status === 'rejected' ? [{ ...contenders[i], err: o.reason as unknown }] : [],
    )
    expect(won).toHaveLength(1)
    expect(lost).toHaveLength(49)
    for (const { err } of lost) {
      expect(err).toBeInstanceOf(DomainError)
      expect(['number_in_custody', 'number_reserved']).toContain((err as DomainError).code)
      expect((err as DomainError).status).toBe(409)
      expect((err as DomainError).details.alert_id).toEqual(expect.any(String))
    }

    const custodies = await t.app.db
      .selectFrom('custodies')
      .select(['id', 'subscriber_id'])
      .where('msisdn', '=', msisdn)
      .where('ended_at', 'is', null)
      .execute()
    expect(custodies).toEqual([{ id: won[0].sale.custody_id, subscriber_id: won[0].sale.subscriber_id }])
    const bindings = await t.app.db
      .selectFrom('sim_bindings')
      .select('iccid')
      .where('msisdn', '=', msisdn)
      .where('ended_at', 'is', null)
      .execute()
    expect(bindings).toEqual([{ iccid: won[0].iccid }])
    // The losers' SIMs are still theirs to sell.
    const bound = await t.app.db
      .selectFrom('sims')
      .select('iccid')
      .where(
        'iccid',
        'in',
        contenders.map((c) => c.iccid),
      )
      .where('state', '=', 'bound')
      .execute()
    expect(bound).toEqual([{ iccid: won[0].iccid }])

    const alerts = await t.app.db
      .selectFrom('alerts')
      .select(['kind', 'severity', 'staff_id'])
      .where('msisdn', '=', msisdn)
      .execute()
    expect(alerts).toHaveLength(49)
    expect(alerts.every((a) => a.kind === 'race_lost' && a.severity === 'info')).toBe(true)
    expect(alerts.map((a) => a.staff_id).sort()).toEqual(lost.map((l) => l.agent.id).sort())
    const raised = await t.app.db
      .selectFrom('audit_records')
      .select('action')
      .where('msisdn', '=', msisdn)
      .where('action', '=', 'alert.raised')
      .execute()
    expect(raised).toHaveLength(49)
  })

  it('1,000 random reserves, sells and releases by 10 agents over 20 numbers keep custody consistent', {
    timeout: 180_000,
  }, async () => {
    // `mine`: what each agent believes it holds a lease on, so releases and sales of one's own lease happen often.
    const agents: { agent: TestStaff; sims: string[]; mine: Set<string> }[] = []
    for (let i = 0; i < 10; i++) {
      const agent = await makeStaff(t.app, ['agent'])
      agents.push({ agent, sims: await makeSims(t.app, agent.shopId as string, 10), mine: new Set() })
    }
    const numbers = await makeRange(t.app, 20)

    // A seeded generator, so a failure can be replayed.
    let seed = 20260302
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
      return seed / 2 ** 31
    }
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]

    const OPS = 1_000
    const CONCURRENCY = 10
    const tally = { reserve: 0, sell: 0, release: 0 }
    const sold: string[] = []
    const refusals = new Map<string, number>()
    const unexpected: unknown[] = []
    let started = 0

    async function one(): Promise<void> {
      const i = started++
      // Move time now and then so leases (30 minutes) run out and others may take the numbers over.
      if (i > 0 && i % 100 === 0) t.clock.advance(4 * 60_000)
      const { agent, sims, mine } = pick(agents)
      // Mostly leases taken and given back; sales are rare so that numbers stay in play for the whole run.
      const r = random()
      const kind = r < 0.55 ? 'reserve' : r < 0.6 && sims.length > 0 ? 'sell' : 'release'
      const msisdn = kind !== 'reserve' && mine.size > 0 && random() < 0.8 ? pick([...mine]) : pick(numbers)
      const iccid = kind === 'sell' ? (sims.pop() as string) : ''
      try {
        if (kind === 'reserve') {
          await runCommand(t.app.deps, agent.actor, (ctx) =>
            reserveNumber(ctx, agent.actor, msisdn, t.app.config.reservationMinutes),
          )
          mine.add(msisdn)
        } else if (kind === 'release') {
          await runCommand(t.app.deps, agent.actor, (ctx) => releaseNumber(ctx, agent.actor, msisdn))
          mine.delete(msisdn)
        } else {
          await sell(agent, msisdn, iccid)
          mine.delete(msisdn)
          sold.push(msisdn)
        }
        tally[kind]++
      } catch (err) {
        if (kind === 'sell') sims.push(iccid) // unused: the agent may try it again
        if (kind !== 'reserve') mine.delete(msisdn) // the lease ran out or was never there
        if (err instanceof DomainError) refusals.set(err.code, (refusals.get(err.code) ?? 0) + 1)
        else unexpected.push(err)
      }
    }
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (started < OPS) await one()
      }),
    )

    expect(unexpected).toEqual([]) // nothing that would be a 500
    // Only the refusals the commands make themselves: never one the database had to make for them.
    expect(
      [...refusals.keys()].filter(
        (code) =>
          !['number_in_custody', 'number_reserved', 'number_not_available', 'not_your_reservation'].includes(code),
      ),
    ).toEqual([])
    expect(tally.reserve + tally.sell + tally.release + [...refusals.values()].reduce((a, b) => a + b, 0)).toBe(OPS)
    // The run must have exercised all three paths for the checks below to mean something.
    expect(tally.reserve).toBeGreaterThan(0)
    expect(tally.release).toBeGreaterThan(0)
    expect(tally.sell).toBeGreaterThan(0)
    expect(tally.reserve + tally.release).toBeGreaterThan(100)
    expect(new Set(sold).size).toBe(sold.length) // no number sold twice

    const twice = await sql<{ msisdn: string }>`
      SELECT msisdn FROM custodies WHERE ended_at IS NULL GROUP BY msisdn HAVING count(*) > 1`.execute(t.app.db)
    expect(twice.rows).toEqual([])

    const rows = await sql<{ msisdn: string; state: string; custodies: number; bindings: number }>`
      SELECT n.msisdn, n.state,
             (SELECT count(*)::int FROM custodies c WHERE c.msisdn = n.msisdn AND c.ended_at IS NULL) AS custodies,
             (SELECT count(*)::int FROM sim_bindings b WHERE b.msisdn = n.msisdn AND b.ended_at IS NULL) AS bindings
        FROM numbers n WHERE n.msisdn = ANY (${numbers}::text[]) ORDER BY n.msisdn`.execute(t.app.db)
    expect(rows.rows).toHaveLength(20)
    for (const n of rows.rows) {
      const held = n.state === 'active'
      expect(n).toEqual({ msisdn: n.msisdn, state: n.state, custodies: held ? 1 : 0, bindings: held ? 1 : 0 })
      expect(['available', 'reserved', 'active']).toContain(n.state)
    }
    expect(
      rows.rows
        .filter((n) => n.state === 'active')
        .map((n) => n.msisdn)
        .sort(),
    ).toEqual([...sold].sort())
  })
})
