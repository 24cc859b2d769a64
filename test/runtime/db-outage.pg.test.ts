// PostgreSQL only: the server's backends are terminated (pg_terminate_backend, as a restart or an operator would)
// in the middle of a range import, an activity import and a recycling sweep. The process lives, the transaction in
// flight is rolled back whole (nothing lost, nothing doubled), the audit log's leaves still match its tree, and the
// next request succeeds without a restart. Only this file's app is touched: its connections carry an
// application_name of their own, and the database server itself keeps running (other test files use it).
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashPassword } from '../../src/access/secrets.ts'
import { runCommand } from '../../src/audit/run-command.ts'
import { leafHash, nodeHash } from '../../src/audit/tlog/hash.ts'
import { bytes, integrateAll } from '../../src/audit/tree-store.ts'
import { addDays, DEFAULT_POLICY, localDate, localInstant } from '../../src/domain/policy.ts'
import { sellNumber } from '../../src/inventory/sales.ts'
import { LEASE_MS, sweepDueNumbers } from '../../src/recycling/sweep.ts'
import { workerTicker } from '../../src/worker/loop.ts'
import { cliEnv, numguard } from '../cli/support.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import {
  createStaffAccount,
  makeActiveNumber,
  makeRange,
  makeSims,
  makeStaff,
  newSubscriber,
} from '../helpers/factories.ts'

// Set before the app opens its pool: every connection of this file's app is findable in pg_stat_activity by it.
const APP_NAME = `numguard-outage-${randomBytes(4).toString('hex')}`
process.env.PGAPPNAME = APP_NAME
const URL_ = process.env.TEST_DATABASE_URL as string
const PASSWORD = 'inventory-password-outage'
const SECRET = 'charging-secret-for-outage-test'
const HOUR = 3_600_000

let t: TestApp
let url: string
let dir: string
let schema: string
let inventory: { id: string; username: string }
const uncaught: unknown[] = []
const onUncaught = (err: unknown) => uncaught.push(err)

beforeAll(async () => {
  process.on('uncaughtException', onUncaught)
  t = await openTestApp()
  schema = (await sql<{ s: string }>`SELECT current_schema() AS s`.execute(t.app.db)).rows[0].s
  url = await t.server.listen({ host: '127.0.0.1', port: 0 })
  dir = mkdtempSync(join(tmpdir(), 'numguard-db-outage-'))
  inventory = await createStaffAccount(t.app, ['inventory_manager'], null, PASSWORD)
  await t.app.db
    .insertInto('machine_clients')
    .values({
      id: 'charging-outage',
      name: 'charging',
      secret_hash: await hashPassword(SECRET),
      scopes: ['activity:ingest'],
      created_at: t.clock.now(),
    })
    .execute()
}, 60_000)
afterAll(async () => {
  await t?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
  process.off('uncaughtException', onUncaught)
})

const env = (extra: Record<string, string> = {}) =>
  cliEnv({ NUMGUARD_URL: url, XDG_CONFIG_HOME: join(dir, 'config'), NUMGUARD_DATA: join(dir, 'data'), ...extra })

/** The owner, in this file's schema, under a name of its own (never terminated with the app's backends). */
async function owner(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: URL_, application_name: `${APP_NAME}-owner` })
  await client.connect()
  await client.query(`SET search_path TO "${schema}", public`)
  return client
}

/**
 * Holds `lock` in an owner transaction; once one of the app's backends waits for it (it is mid-transaction then),
 * terminates every backend of the app, idle or busy, and lets go. Returns how many were terminated.
 */
async function terminateMidTransaction(lock: string, start: () => Promise<unknown>) {
  const blocker = await owner()
  const killer = await owner()
  try {
    await blocker.query('BEGIN')
    await blocker.query(lock)
    const running = start()
    let settled = false
    const settle = () => {
      settled = true
    }
    running.then(settle, settle)
    // Waiting for an event of the database (a backend blocked on the lock), not for time to pass.
    for (;;) {
      const { rows } = await killer.query(
        `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
        [APP_NAME],
      )
      if (rows.length > 0) break
      if (settled) {
        await blocker.query('ROLLBACK')
        throw new Error(`it ended before any backend of the app waited for the lock: ${JSON.stringify(await running)}`)
      }
      await delay(20)
    }
    // pg_terminate_backend in the select list, never in WHERE: only the rows the filter kept are terminated.
    const { rows } = await killer.query(
      'SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database() AND pid <> pg_backend_pid()',
      [APP_NAME],
    )
    await blocker.query('ROLLBACK')
    return { terminated: rows.filter((r) => r.done).length, outcome: await running }
  } finally {
    await blocker.end()
    await killer.end()
  }
}

function mth(hashes: readonly Buffer[]): Buffer {
  if (hashes.length === 1) return hashes[0]
  let k = 1
  while (k * 2 < hashes.length) k *= 2
  return nodeHash(mth(hashes.slice(0, k)), mth(hashes.slice(k)))
}

/** Every record integrated; leaves gap-free, each once, each hash its leaf's, every signed-off root the leaves'. */
async function expectAuditLogMatchesTree() {
  await integrateAll(t.app.db)
  const leaves = await t.app.db
    .selectFrom('audit_leaves')
    .select(['index', 'event_id', 'leaf', 'leaf_hash'])
    .orderBy('index')
    .execute()
  expect(leaves.map((l) => Number(l.index))).toEqual([...leaves.keys()])
  expect(new Set(leaves.map((l) => l.event_id)).size).toBe(leaves.length)
  for (const l of leaves) expect(bytes(l.leaf_hash).equals(leafHash(bytes(l.leaf)))).toBe(true)
  const heads = await t.app.db.selectFrom('audit_tree_heads').select(['size', 'root']).orderBy('size').execute()
  const hashes = leaves.map((l) => bytes(l.leaf_hash))
  for (const h of heads.filter((x) => Number(x.size) > 0))
    expect(bytes(h.root).equals(mth(hashes.slice(0, Number(h.size)))), `root at ${h.size}`).toBe(true)
  const { rows } = await sql<{ queued: number }>`SELECT queued FROM audit_queue_status()`.execute(t.app.db)
  expect(Number(rows[0].queued)).toBe(0)
}

const count = async (query: ReturnType<typeof sql<{ n: number }>>) => Number((await query.execute(t.app.db)).rows[0].n)

describe('backends terminated under a range import', () => {
  const FIRST = '+85517700000'
  const LAST = '+85517702499'
  const inRange = () => count(sql`SELECT count(*) AS n FROM numbers WHERE msisdn BETWEEN ${FIRST} AND ${LAST}`)
  const rangesAt = () => count(sql`SELECT count(*) AS n FROM number_ranges WHERE first_msisdn = ${FIRST}`)
  const importRecords = () =>
    count(
      sql`SELECT count(*) AS n FROM audit_records WHERE action = 'range.imported' AND envelope #>> '{after,first}' = ${FIRST}`,
    )

  it('the CLI says nothing was imported and that it can be re-run; the re-run imports every number once', {
    timeout: 120_000,
  }, async () => {
    const asInventory = env({ NUMGUARD_USERNAME: inventory.username, NUMGUARD_PASSWORD: PASSWORD })
    // The import has written its range row and waits to insert the numbers when its backend is terminated.
    const { terminated, outcome } = await terminateMidTransaction('LOCK TABLE numbers IN SHARE MODE', () =>
      numguard(['import-range', FIRST, LAST], asInventory),
    )
    expect(terminated).toBeGreaterThan(0)
    const out = outcome as Awaited<ReturnType<typeof numguard>>
    expect(out.code, out.stderr).toBe(1)
    expect(out.stderr).toContain(
      `numguard: the database was unavailable during the import, so nothing of ${FIRST}–${LAST} was imported ` +
        '(the import is one transaction); run the same command again once the database is back',
    )
    expect(out.stderr).not.toContain('bug in numguard')
    expect([await inRange(), await rangesAt(), await importRecords()]).toEqual([0, 0, 0])

    // Service is back without a restart: the same command completes, every number exactly once.
    const again = await numguard(['import-range', FIRST, LAST], asInventory)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain(`imported 2,500 numbers ${FIRST}–${LAST}`)
    expect([await inRange(), await rangesAt(), await importRecords()]).toEqual([2500, 1, 1])
    await expectAuditLogMatchesTree()
    expect(uncaught).toEqual([])
  })

  it('over plain HTTP the import in flight answers 503 database_unavailable with Retry-After', {
    timeout: 60_000,
  }, async () => {
    const staff = await makeStaff(t.app, ['inventory_manager'])
    const first = '+85517710000'
    const { outcome } = await terminateMidTransaction('LOCK TABLE numbers IN SHARE MODE', () =>
      t.server.inject({
        method: 'POST',
        url: '/api/v1/ranges',
        headers: { authorization: `Bearer ${staff.token}` },
        payload: { first, last: '+85517710099' },
      }),
    )
    const res = outcome as Awaited<ReturnType<typeof t.server.inject>>
    expect(res.statusCode, res.body).toBe(503)
    expect(res.headers['retry-after']).toBe('5')
    expect(res.json()).toMatchObject({ code: 'database_unavailable' })
    expect(await count(sql`SELECT count(*) AS n FROM number_ranges WHERE first_msisdn = ${first}`)).toBe(0)
    const list = await t.server.inject({
      method: 'GET',
      url: '/api/v1/ranges',
      headers: { authorization: `Bearer ${staff.token}` },
    })
    expect(list.statusCode).toBe(200)
    expect(uncaught).toEqual([])
  })
})

describe('backends terminated under an activity import', () => {
  it('the CLI names the batches that were stored; a re-run stores the rest, nothing twice', {
    timeout: 120_000,
  }, async () => {
    const a = (await makeActiveNumber(t.app)).msisdn
    const b = (await makeActiveNumber(t.app)).msisdn
    t.clock.advance(24 * HOUR)
    const at = (h: number) => new Date(t.clock.now().getTime() - h * HOUR).toISOString()
    const line = (msisdn: string, id: string, h: number) =>
      JSON.stringify({ msisdn, kind: 'topup', amount: 1, occurred_at: at(h), source: 'outage', external_id: id })
    const path = join(dir, 'events.ndjson')
    writeFileSync(path, `${[line(a, 'a1', 3), line(a, 'a2', 2), line(b, 'b1', 3), line(b, 'b2', 2)].join('\n')}\n`)
    const asCharging = env({ NUMGUARD_CLIENT_ID: 'charging-outage', NUMGUARD_CLIENT_SECRET: SECRET })
    const args = ['activity', 'import', path, '--chunk', '2']

    // The first batch (a's events) commits; the second waits on b's recycling row when the backends are terminated.
    const { outcome } = await terminateMidTransaction(
      `SELECT 1 FROM recycling_state WHERE msisdn = '${b}' FOR UPDATE`,
      () => numguard(args, asCharging),
    )
    const out = outcome as Awaited<ReturnType<typeof numguard>>
    expect(out.code, out.stderr).toBe(1)
    expect(out.stderr).toContain(
      'numguard: lines 1–2 were ingested (1 batch, 2 events); lines 3–4 were not stored: the database was unavailable. ' +
        'Run the import again once the database is back: events already stored are reported as duplicates, not stored twice.',
    )
    const stored = (msisdn: string) =>
      count(sql`SELECT count(*) AS n FROM activity_events WHERE msisdn = ${msisdn} AND source = 'outage'`)
    expect([await stored(a), await stored(b)]).toEqual([2, 0])

    const again = await numguard(args, asCharging)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain('accepted 2, already recorded 2, refused 0')
    expect([await stored(a), await stored(b)]).toEqual([2, 2])
    await expectAuditLogMatchesTree()
    expect(uncaught).toEqual([])
  })
})

describe('backends terminated under a recycling sweep', () => {
  it('the worker lives and backs off; after the leases every custody is warned and suspended exactly once', {
    timeout: 180_000,
  }, async () => {
    const COUNT = 12
    const agent = await makeStaff(t.app, ['agent'])
    const numbers = await makeRange(t.app, COUNT)
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
    await sweepDueNumbers(t.app) // first visits: next due on day 60
    const tz = DEFAULT_POLICY.time_zone
    const day60 = localInstant(addDays(localDate(t.clock.now(), tz), 60), tz, '10:00')
    t.clock.advance(day60.getTime() - t.clock.now().getTime())

    const worker = workerTicker(t.app)
    // A person's transaction holds the last numbers: the sweep stalls on them mid-way, and is cut there.
    const { terminated } = await terminateMidTransaction(
      `SELECT msisdn FROM numbers WHERE msisdn IN (${numbers
        .slice(-3)
        .map((n) => `'${n}'`)
        .join(',')}) FOR UPDATE`,
      () => worker.tick(),
    )
    expect(terminated).toBeGreaterThan(0)
    const perNumber = async () =>
      (
        await sql<{ msisdn: string; warnings: number; suspensions: number }>`
          SELECT msisdn,
                 count(*) FILTER (WHERE action = 'recycling.warning_queued' AND envelope #>> '{data,stage}' = '1')::int AS warnings,
                 count(*) FILTER (WHERE action = 'number.suspended')::int AS suspensions
            FROM audit_records WHERE msisdn IN (SELECT unnest(${numbers}::text[])) GROUP BY msisdn`.execute(t.app.db)
      ).rows
    const cut = await perNumber()
    expect(cut.filter((r) => r.warnings > 1 || r.suspensions > 1)).toEqual([]) // nothing doubled…
    expect(cut.filter((r) => r.warnings === 1).length).toBeLessThan(COUNT) // …and the cut custodies not done

    // Past the leases the worker resumes (a few ticks: it may be backing off) and finishes the cut custodies.
    t.clock.advance(LEASE_MS + 60_000)
    for (let i = 0; i < 20 && (await perNumber()).filter((r) => r.warnings === 1).length < COUNT; i++)
      await worker.tick()
    const done = await perNumber()
    expect(done.length).toBe(COUNT)
    expect(done.filter((r) => r.warnings !== 1 || r.suspensions !== 1)).toEqual([])
    await expectAuditLogMatchesTree()
    expect(uncaught).toEqual([])
  })
})
