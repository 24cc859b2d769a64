// Migration 034 upgrades a database that has ranges and policies: every range and policy present before it belongs
// to Cambodia (the one market numguard served), Cambodia's series keeps its versions, and the other markets arrive
// with their version 1. Built as the schema owner from the migrations before 034, then the rest. Both suites.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APP_ROLE, listMigrations } from '../../src/db/migrate.ts'
import { type ScratchOwner, scratchOwner } from './scratch-owner.ts'

let owner: ScratchOwner

async function apply(filter: (version: string) => boolean) {
  for (const m of (await listMigrations()).filter((m) => filter(m.version))) {
    await owner.exec('BEGIN')
    await owner.exec(m.sql)
    await owner.exec('COMMIT')
  }
}

beforeAll(async () => {
  owner = await scratchOwner('t_markets')
  await owner.exec(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${APP_ROLE}') THEN CREATE ROLE ${APP_ROLE} NOLOGIN; END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`)
  await owner.exec(`DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`)
  await owner.exec(`DO $$ BEGIN EXECUTE format('GRANT USAGE ON SCHEMA %I TO ${APP_ROLE}', current_schema()); END $$`)
  await apply((v) => v < '034')
  // A range the previous release imported (as the owner: a fixture of the old schema, not the lawful path).
  await owner.exec(`INSERT INTO number_ranges (id, first_msisdn, last_msisdn, first_value, last_value, size, category,
                                               input_sha256, imported_at)
                    VALUES ('00000000-0000-4000-8000-000000000001', '+85512000000', '+85512000009', 85512000000,
                            85512000009, 10, 'standard', repeat('b', 64), '2026-01-01T00:00:00Z')`)
  await apply((v) => v >= '034')
})
afterAll(async () => owner?.close())

describe('an existing database upgrades to markets', () => {
  it('keeps its ranges and policies, now Cambodia’s', async () => {
    expect(await owner.query('SELECT first_msisdn, market FROM number_ranges')).toEqual([
      { first_msisdn: '+85512000000', market: 'KH' },
    ])
    const policies = await owner.query<{ version: number; market: string; market_version: number; tz: string }>(
      `SELECT version, market, market_version, params ->> 'time_zone' AS tz FROM recycling_policies ORDER BY version`,
    )
    expect(policies[0]).toEqual({ version: 1, market: 'KH', market_version: 1, tz: 'Asia/Phnom_Penh' })
    expect(policies.slice(1).map((p) => [p.market, p.market_version, p.tz])).toEqual([
      ['IN', 1, 'Asia/Kolkata'],
      ['MY', 1, 'Asia/Kuala_Lumpur'],
      ['US', 1, 'America/New_York'],
    ])
  })

  it('holds new ranges to their market’s calling code', async () => {
    const insert = (id: string, market: string) =>
      owner.exec(`INSERT INTO number_ranges (id, first_msisdn, last_msisdn, first_value, last_value, size, category,
                                             input_sha256, imported_at, market)
                  VALUES ('${id}', '+85512000010', '+85512000019', 85512000010, 85512000019, 10, 'standard',
                          repeat('c', 64), now(), '${market}')`)
    await expect(insert('00000000-0000-4000-8000-000000000002', 'US')).rejects.toMatchObject({ code: 'NG034' })
    await insert('00000000-0000-4000-8000-000000000003', 'KH') // positive control: Cambodian numbers in Cambodia
    expect(await owner.query(`SELECT count(*)::int AS n FROM number_ranges WHERE market = 'KH'`)).toEqual([{ n: 2 }])
  })
})
