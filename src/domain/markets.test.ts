// MARKETS is what the code reasons with; migration 034's `markets` rows and each market's version 1 are what the
// database checks policies against. They must be the same. And the database holds each market to its floors against
// the application's own login. Runs on both suites.

import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { makeActiveNumber } from '../../test/helpers/factories.ts'
import { runCommand } from '../audit/run-command.ts'
import { importRange } from '../inventory/ranges.ts'
import { sendPolicy } from '../sms/queries.ts'
import { DEFAULT_SERVICE_LEVELS } from './cases.ts'
import { DEFAULT_MARKET, defaultMarket, MARKET_CODES, MARKETS, marketOfMsisdn, parseMarket } from './markets.ts'
import { parseRange } from './msisdn.ts'
import { agingEndsOn, DEFAULT_POLICY, parsePolicyParams } from './policy.ts'

const SYSTEM = { kind: 'system', component: 'markets-test' } as const

let t: TestApp
beforeAll(async () => {
  t = await openTestApp()
})
afterAll(async () => t?.close())

/** A raw INSERT of a later version as the application role; resolves to the SQLSTATE it was refused with. */
async function insertPolicy(market: string, change: Record<string, unknown>): Promise<string> {
  const params = JSON.stringify({ ...MARKETS[parseMarket(market)].defaults, ...change })
  return sql`
    INSERT INTO recycling_policies (version, market, market_version, params, effective_from, approved_at, request_id)
    SELECT (SELECT max(version) + 1 FROM recycling_policies), ${market},
           (SELECT max(market_version) + 1 FROM recycling_policies WHERE market = ${market}), ${params}::jsonb,
           now() + interval '31 days', now(), NULL`
    .execute(t.app.db)
    .then(
      () => 'committed',
      (err: { code?: string }) => err.code ?? 'error',
    )
}

describe('markets in code and in the database', () => {
  it('MARKETS holds exactly the rows of markets', async () => {
    const rows = await t.app.db.selectFrom('markets').selectAll().orderBy('code').execute()
    expect(rows.map((r) => r.code)).toEqual([...MARKET_CODES].sort())
    for (const r of rows) {
      const m = MARKETS[parseMarket(r.code)]
      expect(r).toEqual({
        code: m.code,
        name: m.name,
        calling_code: m.callingCode,
        time_zone: m.timeZone,
        min_warnings: m.floors.warnings,
        min_withdrawal_day: m.floors.withdrawalDay,
        min_evidence_days: m.floors.evidenceDays,
        min_aging_days: m.floors.agingDays,
        max_aging_days: m.floors.agingDaysMax,
        max_business_aging_days: m.floors.businessAgingDaysMax,
        swap_cooling_days: m.swapCoolingDays,
        sim_tenure_days: m.simTenureDays,
        ...DEFAULT_SERVICE_LEVELS,
      })
    }
  })

  it("each market's version 1 is its defaults, within its floors, in its time zone", async () => {
    const firsts = await t.app.db
      .selectFrom('recycling_policies')
      .select(['market', 'params'])
      .where('market_version', '=', 1)
      .execute()
    expect(firsts.map((r) => r.market).sort()).toEqual([...MARKET_CODES].sort())
    for (const r of firsts) {
      const m = MARKETS[parseMarket(r.market)]
      expect(r.params).toEqual(m.defaults)
      expect(parsePolicyParams(r.params, undefined, m.floors)).toEqual(m.defaults)
      expect(m.defaults.time_zone).toBe(m.timeZone)
    }
    expect(MARKETS.KH.defaults).toEqual(DEFAULT_POLICY)
  })

  it('the application role cannot change, add or remove a market: floors change only with a release', async () => {
    for (const statement of [
      sql`UPDATE markets SET min_aging_days = 1 WHERE code = 'US'`,
      sql`INSERT INTO markets SELECT 'XX', name, '999', time_zone, min_warnings, min_withdrawal_day,
            min_evidence_days, min_aging_days, max_aging_days, max_business_aging_days, swap_cooling_days,
            sim_tenure_days FROM markets WHERE code = 'KH'`,
      sql`DELETE FROM markets WHERE code = 'MY'`,
    ]) {
      await expect(statement.execute(t.app.db)).rejects.toMatchObject({ code: '42501' })
    }
    expect(
      (await t.app.db.selectFrom('markets').select('min_aging_days').where('code', '=', 'US').execute())[0],
    ).toEqual({ min_aging_days: 45 })
  })
})

describe("a policy below its market's floors", () => {
  it.each([
    ['US', { aging_days: 91 }], // residential at most 90 (47 CFR 52.15(f)(1)(ii))
    ['US', { aging_days: 44 }],
    ['US', { business_aging_days: 366 }],
    ['MY', { aging_days: 183 }], // six months
    ['MY', { business_aging_days: 183 }],
    ['IN', { aging_days: 89 }], // not reissued for 90 days
    ['KH', { withdrawal_day: 89 }],
    ['KH', { warning_days: [60] }],
    ['KH', { evidence_days_before_withdrawal: 4, warning_days: [60, 86] }],
  ])('is refused by the database for %s %j, as the application role', async (market, change) => {
    expect(await insertPolicy(market, change)).toBe('NG034')
  })

  it.each([
    ['US', { aging_days: 90, business_aging_days: 365 }],
    ['US', { aging_days: 45, business_aging_days: 45 }],
    ['MY', { aging_days: 184, business_aging_days: 184 }],
    ['IN', { aging_days: 90 }],
    ['KH', { aging_days: 45, withdrawal_day: 90 }],
  ])('passes the floors at the floor (%s %j): only the missing request refuses it', async (market, change) => {
    // Positive control: the floor trigger runs first; at the floor it lets the row through to 008's request rule.
    expect(await insertPolicy(market, change)).toBe('NG009')
  })

  it('is refused in code with the field named, by the same floors', () => {
    expect(() => parsePolicyParams({ aging_days: 91 }, MARKETS.US.defaults, MARKETS.US.floors)).toThrow(/aging_days/)
    expect(() => parsePolicyParams({ aging_days: 183 }, MARKETS.MY.defaults, MARKETS.MY.floors)).toThrow(/aging_days/)
    expect(parsePolicyParams({ business_aging_days: 365 }, MARKETS.US.defaults, MARKETS.US.floors)).toMatchObject({
      business_aging_days: 365,
    })
  })
})

describe('a US business number', () => {
  it('ages up to 365 days, a residential one up to 90', () => {
    const policy = parsePolicyParams(
      { aging_days: 90, business_aging_days: 365 },
      MARKETS.US.defaults,
      MARKETS.US.floors,
    )
    const withdrawn = new Date('2027-03-01T15:00:00Z') // 10:00 in New York
    expect(agingEndsOn(withdrawn, policy, true)).toBe('2028-02-29')
    expect(agingEndsOn(withdrawn, policy, false)).toBe('2027-05-30')
  })
})

describe('ranges belong to a market', () => {
  it('imports a range into the market of its numbers, and the database refuses another calling code', async () => {
    const my = await runCommand(t.app.deps, SYSTEM, (ctx) =>
      importRange(ctx, parseRange('+60123450000', '+60123450009', 'MY'), 'standard'),
    )
    expect(my.market).toBe('MY')
    expect(() => parseRange('+60123460000', '+60123460009', 'US')).toThrow(/MY/)
    await expect(
      sql`INSERT INTO number_ranges (id, first_msisdn, last_msisdn, first_value, last_value, size, category,
                                     input_sha256, imported_at, market)
          VALUES (gen_random_uuid(), '+85512990000', '+85512990009', 85512990000, 85512990009, 10, 'standard',
                  repeat('a', 64), now(), 'MY')`.execute(t.app.db),
    ).rejects.toMatchObject({ code: 'NG034' })
  })

  it('defaults sensibly and names markets by code', () => {
    expect(defaultMarket('KH')).toBe('KH')
    expect(defaultMarket('US')).toBe('US')
    expect(defaultMarket('TH')).toBe(DEFAULT_MARKET)
    expect(marketOfMsisdn('+60123450000')).toBe('MY')
    expect(marketOfMsisdn('+85512000000')).toBe('KH')
    expect(marketOfMsisdn('+12015550100')).toBe('US')
    expect(() => parseMarket('XX')).toThrow(/market/)
  })
})

describe("a number's market governs its cycle and its notices", () => {
  it('a Malaysian number cycles under Malaysia’s policy, aging 184 days, in Kuala Lumpur time', async () => {
    const { first: msisdn } = await runCommand(t.app.deps, SYSTEM, (ctx) =>
      importRange(ctx, parseRange('+60123470000', '+60123470001', 'MY'), 'standard'),
    )
    const sold = await makeActiveNumber(t.app, { msisdn })
    const row = await t.app.db
      .selectFrom('recycling_state as s')
      .innerJoin('recycling_policies as p', 'p.version', 's.policy_version')
      .select(['p.market', 'p.params'])
      .where('s.custody_id', '=', sold.sale.custody_id)
      .executeTakeFirstOrThrow()
    expect(row.market).toBe('MY')
    expect(row.params).toMatchObject({ aging_days: 184, time_zone: 'Asia/Kuala_Lumpur' })
    const { rows } = await sql<{ days: number }>`SELECT aging_floor_days(${msisdn}) AS days`.execute(t.app.db)
    expect(rows[0].days).toBe(184)
    expect(await sendPolicy(t.app.db, t.clock.now(), msisdn)).toEqual({
      window: { from: '08:00', to: '20:00' },
      timeZone: 'Asia/Kuala_Lumpur',
    })
  })

  it('an Indian number sends in 09:00–21:00 Kolkata time; a Cambodian one in 08:00–20:00 Phnom Penh time', async () => {
    const indian = await runCommand(t.app.deps, SYSTEM, (ctx) =>
      importRange(ctx, parseRange('+919812300000', '+919812300001', 'IN'), 'standard'),
    )
    expect(await sendPolicy(t.app.db, t.clock.now(), indian.first)).toEqual({
      window: { from: '09:00', to: '21:00' },
      timeZone: 'Asia/Kolkata',
    })
    const { rows } = await sql<{ days: number }>`SELECT market_swap_cooling_days(${indian.first}) AS days`.execute(
      t.app.db,
    )
    expect(rows[0].days).toBe(30)
    expect(await sendPolicy(t.app.db, t.clock.now(), '+85512000000')).toEqual({
      window: { from: '08:00', to: '20:00' },
      timeZone: 'Asia/Phnom_Penh',
    })
  })
})
