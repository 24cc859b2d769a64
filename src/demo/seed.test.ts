import { verify } from '@node-rs/argon2'
import { type RawBuilder, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestDatabase } from '../../test/helpers/db.ts'
import type { Database } from '../db/handle.ts'
import { ManualClock } from '../domain/clock.ts'
import { ROLES } from '../domain/roles.ts'
import { numberHistory } from '../inventory/queries.ts'
import { DEMO_CREDENTIALS, DEMO_MACHINE_CLIENTS, type DemoSummary, demoKycHash, isSeeded, seedDemo } from './seed.ts'
import { makePlan } from './seed-plan.ts'

const NOW = new Date('2026-03-01T03:00:00Z')

describe('seedDemo', () => {
  let database: Database
  let summary: DemoSummary

  beforeAll(async () => {
    database = await openTestDatabase()
    summary = await seedDemo({ db: database.db, clock: new ManualClock(NOW) })
  })
  afterAll(async () => {
    await database?.close()
  })

  const rows = async <T>(query: RawBuilder<T>) => (await query.execute(database.db)).rows

  it('gives every number an audit trail: its range import, and the seed record through its custody’s batch', async () => {
    const held = await numberHistory(database.db, summary.samples.active as string)
    expect(held.map((h) => h.action)).toEqual(['demo.seeded', 'range.imported'])
    const available = await numberHistory(database.db, summary.samples.available as string)
    expect(available.map((h) => h.action)).toEqual(['range.imported'])
  })

  it('refuses to load into a database that already holds records', async () => {
    await expect(seedDemo({ db: database.db, clock: new ManualClock(NOW) })).rejects.toMatchObject({
      code: 'demo_already_seeded',
    })
  })

  it('fills the ranges with numbers in every state the demo needs', async () => {
    const byState = await rows(
      sql<{ state: string; n: number }>`SELECT state, count(*)::int AS n FROM numbers GROUP BY state`,
    )
    const counts = Object.fromEntries(byState.map((r) => [r.state, r.n]))
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(10_100)
    expect(Object.keys(counts).length).toBeGreaterThanOrEqual(5)
    expect(counts).toMatchObject({ active: 2920, suspended: 100, aging: 200, retired: 50, reserved: 100 })
    expect(summary.numbers.byState).toMatchObject(counts)
    expect(summary.numbers.total).toBe(10_100)
  })

  it('never gives a number two open custodies', async () => {
    const doubled = await rows(sql<{ msisdn: string }>`
      SELECT msisdn FROM custodies WHERE ended_at IS NULL GROUP BY msisdn HAVING count(*) > 1`)
    expect(doubled).toEqual([])
  })

  it('holds every active or suspended number by exactly one open custody and one open SIM binding, and no other', async () => {
    const numbers = await rows(sql<{
      msisdn: string
      state: string
      custodies: number | null
      bindings: number | null
    }>`
      SELECT n.msisdn, n.state, c.n AS custodies, b.n AS bindings
      FROM numbers n
      LEFT JOIN (SELECT msisdn, count(*)::int AS n FROM custodies WHERE ended_at IS NULL GROUP BY msisdn) c USING (msisdn)
      LEFT JOIN (SELECT msisdn, count(*)::int AS n FROM sim_bindings WHERE ended_at IS NULL GROUP BY msisdn) b USING (msisdn)`)
    const held = numbers.filter((r) => r.state === 'active' || r.state === 'suspended')
    expect(held).toHaveLength(3020)
    expect(held.filter((r) => r.custodies !== 1 || r.bindings !== 1)).toEqual([])
    const free = numbers.filter((r) => r.state !== 'active' && r.state !== 'suspended')
    expect(free.filter((r) => r.custodies !== null || r.bindings !== null)).toEqual([])
  })

  it('binds each open binding to a bound SIM of the current custody, and deactivates the SIMs of ended custodies', async () => {
    const [check] = await rows(sql<{ open_ok: number; open_all: number; ended_ok: number; ended_all: number }>`
      SELECT count(*) FILTER (WHERE b.ended_at IS NULL AND s.state = 'bound' AND c.ended_at IS NULL
                                AND b.started_at = c.started_at)::int AS open_ok,
             count(*) FILTER (WHERE b.ended_at IS NULL)::int AS open_all,
             count(*) FILTER (WHERE b.ended_at IS NOT NULL AND s.state = 'deactivated' AND b.ended_at = c.ended_at)::int AS ended_ok,
             count(*) FILTER (WHERE b.ended_at IS NOT NULL)::int AS ended_all
      FROM sim_bindings b JOIN sims s USING (iccid) JOIN custodies c ON c.id = b.custody_id`)
    expect(check.open_ok).toBe(check.open_all)
    expect(check.ended_ok).toBe(check.ended_all)
    expect(check.open_all).toBe(summary.sims.byState.bound)
    expect(summary.sims.byState.allocated).toBeGreaterThan(0)
    expect(summary.sims.byState.in_stock).toBeGreaterThan(0)
  })

  it('keeps custody history: earlier holders ended before the current one started, aging numbers within 60 days', async () => {
    const [history] = await rows(sql<{ with_former: number; aging_recent: number }>`
      SELECT (SELECT count(DISTINCT c.msisdn)::int FROM custodies c JOIN numbers n USING (msisdn)
              WHERE c.ended_at IS NOT NULL AND n.state IN ('active', 'suspended')) AS with_former,
             (SELECT count(*)::int FROM numbers n JOIN custodies c USING (msisdn)
              WHERE n.state = 'aging' AND c.ended_at > ${NOW.toISOString()}::timestamptz - interval '60 days'
                AND c.end_reason IN ('inactivity', 'termination')) AS aging_recent`)
    expect(history.with_former).toBe(300)
    expect(history.aging_recent).toBe(200)
    const basis = await rows(
      sql<{ basis: string; n: number }>`SELECT basis, count(*)::int AS n FROM custodies GROUP BY basis`,
    )
    expect(basis).toEqual([{ basis: 'migration', n: summary.custodies.open + summary.custodies.ended }])
  })

  it('leases reserved numbers to demo agents for 30 minutes', async () => {
    const leases = await rows(sql<{ username: string; until: Date }>`
      SELECT s.username, n.reserved_until AS until FROM numbers n JOIN staff s ON s.id = n.reserved_by WHERE n.state = 'reserved'`)
    expect(leases).toHaveLength(100)
    expect(new Set(leases.map((l) => l.username)).size).toBe(6)
    for (const l of leases) {
      expect(l.username).toMatch(/^agent\./)
      expect(new Date(l.until).getTime()).toBe(NOW.getTime() + 30 * 60_000)
    }
  })

  it('writes one audit record per range import and one demo.seeded record carrying the counts', async () => {
    const records = await rows(sql<{ action: string; envelope: { data: { subscribers: number } } }>`
      SELECT action, envelope FROM audit_records ORDER BY seq`)
    // The last top-ups come through the charging feed's own ingestion: one record for the batch.
    expect(records.map((r) => r.action)).toEqual([
      'range.imported',
      'range.imported',
      'activity.ingested',
      'demo.seeded',
    ])
    expect(records[3].envelope.data.subscribers).toBe(summary.subscribers)
    expect(await isSeeded(database.db)).toBe(true)
  })

  it('dates each prepaid holder’s last top-up so the recycling rules have work across the coming months', async () => {
    const cycles = await rows(sql<{ day: number; state: string }>`
      SELECT (date '2026-03-01' - (r.cycle_started_at AT TIME ZONE 'Asia/Phnom_Penh')::date) AS day, n.state
        FROM recycling_state r JOIN numbers n ON n.msisdn = r.msisdn
       WHERE r.stage = 'in_cycle' AND r.account_type = 'prepaid'`)
    const active = cycles.filter((c) => c.state === 'active').map((c) => c.day)
    const suspended = cycles.filter((c) => c.state === 'suspended').map((c) => c.day)
    expect(Math.max(...active)).toBeLessThan(60)
    expect(active.filter((d) => d >= 30).length).toBeGreaterThan(20) // lapsing holders, warned within weeks
    expect(Math.min(...suspended)).toBeGreaterThanOrEqual(60)
    expect(Math.max(...suspended)).toBeLessThan(90)
    expect(summary.recycling).toMatchObject({ ageing: 200, registered: 200 })
    expect(summary.recycling.topups).toBeGreaterThan(2000)
    expect(summary.recycling.usage).toBeGreaterThan(3)
    const ageing = await rows(sql<{ n: number; reclaimable: number }>`
      SELECT count(*)::int AS n, count(*) FILTER (WHERE next_due_at > ${NOW.toISOString()}::timestamptz)::int AS reclaimable
        FROM recycling_state WHERE stage = 'aging'`)
    expect(ageing).toEqual([{ n: 200, reclaimable: 200 }])
    // The printed sample: a reclaimable number and the document its former holder would bring (never audited).
    const sample = summary.recycling.reclaimSample
    expect(sample?.msisdn).toMatch(/^\+855/)
    const holder = await rows(sql<{ kyc_doc_hash: string }>`
      SELECT s.kyc_doc_hash FROM custodies c JOIN subscribers s ON s.id = c.subscriber_id
       WHERE c.msisdn = ${sample?.msisdn} AND c.end_reason = 'inactivity'`)
    expect(holder.map((h) => h.kyc_doc_hash)).toContain(demoKycHash(sample?.kyc_doc_number ?? ''))
    const audited = await rows(sql<{ n: number }>`
      SELECT count(*)::int AS n FROM audit_records WHERE envelope::text LIKE ${`%${sample?.kyc_doc_number}%`}`)
    expect(audited).toEqual([{ n: 0 }])
  })

  it('creates demo staff of every role, in three shops, with argon2id hashes of the printed passwords', async () => {
    const staff = await rows(sql<{ username: string; roles: string[]; is_demo: boolean; password_hash: string }>`
      SELECT username, roles, is_demo, password_hash FROM staff`)
    expect(new Set(staff.flatMap((s) => s.roles))).toEqual(new Set(ROLES))
    expect(staff.every((s) => s.is_demo)).toBe(true)
    expect(staff).toHaveLength(DEMO_CREDENTIALS.length)
    expect(summary.shops).toBe(3)
    const agent = DEMO_CREDENTIALS.find((c) => c.username === 'agent.pp1')
    const row = staff.find((s) => s.username === 'agent.pp1')
    expect(agent?.password).toBe('demo-agent-pp1')
    expect(row?.password_hash).toMatch(/^\$argon2id\$/)
    expect(await verify(row?.password_hash ?? '', 'demo-agent-pp1')).toBe(true)
    const clients = await rows(
      sql<{ id: string; scopes: string[] }>`SELECT id, scopes FROM machine_clients WHERE is_demo`,
    )
    expect(clients.map((c) => c.id).sort()).toEqual(DEMO_MACHINE_CLIENTS.map((c) => c.clientId).sort())
  })

  it('stores KYC document numbers only as the demo hash and last four digits', async () => {
    // Subscriber 1 is a person with national id 100000000 + 104729.
    const found = await rows(sql<{ last4: string; kind: string }>`
      SELECT kyc_doc_last4 AS last4, kyc_doc_kind AS kind FROM subscribers WHERE kyc_doc_hash = ${demoKycHash('100104729')}`)
    expect(found).toEqual([{ last4: '4729', kind: 'national_id' }])
  })

  it('refuses to seed twice', async () => {
    await expect(seedDemo({ db: database.db, clock: new ManualClock(NOW) })).rejects.toMatchObject({
      code: 'demo_already_seeded',
    })
  })
})

describe('makePlan', () => {
  it('refuses a range too small to lay out the demo', () => {
    expect(() => makePlan(10)).toThrow(expect.objectContaining({ code: 'invalid_input' }))
  })
})
