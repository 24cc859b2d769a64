// PostgreSQL only (PGlite has one connection): writers and integrators really race here. Gap-free indexes, exactly
// one root per size, and a crash between queue and integration loses and duplicates nothing.
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { SYSTEM } from '../../test/helpers/factories.ts'
import { APP_ROLE } from '../db/migrate.ts'
import { audited, recordAudit } from './record.ts'
import { runCommand } from './run-command.ts'
import { leafHash, nodeHash } from './tlog/hash.ts'
import { bytes, integrateAll, integrateBatch, recomputeRoot } from './tree-store.ts'

let t: TestApp
let schema: string
beforeAll(async () => {
  t = await openTestApp()
  schema = (await sql<{ s: string }>`SELECT current_schema() AS s`.execute(t.app.db)).rows[0].s
})
afterAll(() => t.close())

/** A connection of its own, acting as the application role in this test's schema. */
async function appConnection(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL })
  await client.connect()
  await client.query(`SET ROLE ${APP_ROLE}`)
  await client.query(`SET search_path TO "${schema}", public`)
  return client
}

/** One record per transaction, tagged with who wrote it and in which order. */
const writeOne = (writer: number, n: number) =>
  runCommand(t.app.deps, SYSTEM, async (ctx) =>
    audited(null, [await recordAudit(ctx, { action: 'clock.advanced', data: { writer, n } })]),
  )

function mth(hashes: readonly Buffer[]): Buffer {
  if (hashes.length === 1) return hashes[0]
  let k = 1
  while (k * 2 < hashes.length) k *= 2
  return nodeHash(mth(hashes.slice(0, k)), mth(hashes.slice(k)))
}

async function checkLog() {
  const leaves = await t.app.db
    .selectFrom('audit_leaves')
    .select(['index', 'event_id', 'leaf', 'leaf_hash'])
    .orderBy('index')
    .execute()
  expect(leaves.map((l) => Number(l.index))).toEqual([...leaves.keys()]) // gap-free
  expect(new Set(leaves.map((l) => l.event_id)).size).toBe(leaves.length) // no duplicates
  for (const l of leaves) expect(bytes(l.leaf_hash).equals(leafHash(bytes(l.leaf)))).toBe(true)
  const heads = await t.app.db.selectFrom('audit_tree_heads').select(['size', 'root']).orderBy('size').execute()
  const hashes = leaves.map((l) => bytes(l.leaf_hash))
  for (const h of heads.filter((x) => Number(x.size) > 0))
    expect(bytes(h.root).equals(mth(hashes.slice(0, Number(h.size)))), `root at ${h.size}`).toBe(true)
  const { rows } = await sql<{ queued: number }>`SELECT queued FROM audit_queue_status()`.execute(t.app.db)
  return { leaves, heads, queued: Number(rows[0].queued) }
}

describe('integration under concurrency (PostgreSQL)', () => {
  it('8 writers and 2 integrators at once: gap-free indexes, every record once, one root per size', {
    timeout: 120_000,
  }, async () => {
    const WRITERS = 8
    const EACH = 60
    let writing = true
    const batchSizes: number[] = []
    const integrator = async () => {
      while (writing) {
        const out = await integrateBatch(t.app.db, 7)
        batchSizes.push(out.newSize - out.oldSize)
      }
    }
    const writer = async (w: number) => {
      for (let n = 0; n < EACH; n++) await writeOne(w, n)
    }
    const integrators = [integrator(), integrator()]
    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)))
    writing = false
    await Promise.all(integrators)
    await integrateAll(t.app.db)

    const { leaves, heads, queued } = await checkLog()
    expect(queued).toBe(0)
    expect(batchSizes.some((n) => n > 0)).toBe(true)
    // Every record written is a leaf; each writer's records in the order it committed them.
    const mine = leaves
      .map((l) => JSON.parse(bytes(l.leaf).toString('utf8')) as { data?: { writer?: number; n?: number } })
      .filter((e) => e.data?.writer !== undefined)
    expect(mine).toHaveLength(WRITERS * EACH)
    for (let w = 0; w < WRITERS; w++)
      expect(mine.filter((e) => e.data?.writer === w).map((e) => e.data?.n)).toEqual([...Array(EACH).keys()])
    expect(new Set(heads.map((h) => Number(h.size))).size).toBe(heads.length)
    expect(Number(heads.at(-1)?.size)).toBe(leaves.length)
    expect((await recomputeRoot(t.app.db, leaves.length)).equals(bytes(heads.at(-1)?.root as Uint8Array))).toBe(true)
  })

  it('an integrator that crashes before COMMIT (its backend killed) loses and duplicates nothing', async () => {
    await integrateAll(t.app.db)
    for (let n = 0; n < 25; n++) await writeOne(100, n)
    const before = await checkLog()
    expect(before.queued).toBe(25)

    const doomed = await appConnection()
    doomed.on('error', () => {}) // the termination below is the point
    await doomed.query('BEGIN')
    const half = await doomed.query('SELECT old_size, new_size FROM audit_integrate(10)')
    expect(Number(half.rows[0].new_size) - Number(half.rows[0].old_size)).toBe(10)
    // A second integrator waits for the lock the crashed one holds…
    const waiting = integrateAll(t.app.db)
    const pid = (await doomed.query('SELECT pg_backend_pid() AS pid')).rows[0].pid
    const killer = await appConnection()
    try {
      await killer.query('RESET ROLE')
      await killer.query('SELECT pg_terminate_backend($1)', [pid])
    } finally {
      await killer.end()
    }
    await doomed.end().catch(() => {})
    // …and takes over once the crash released it, from where the last commit left the tree.
    const done = await waiting
    expect(done.oldSize).toBe(before.leaves.length)
    const after = await checkLog()
    expect(after.queued).toBe(0)
    expect(after.leaves.length).toBe(before.leaves.length + 25)
  })

  it('an integration rolled back half-way leaves the queue as it was', async () => {
    for (let n = 0; n < 12; n++) await writeOne(200, n)
    const before = await checkLog()
    await expect(
      t.app.db.transaction().execute(async (tx) => {
        await sql`SELECT * FROM audit_integrate(5)`.execute(tx)
        throw new Error('crash')
      }),
    ).rejects.toThrow('crash')
    const mid = await checkLog()
    expect(mid.queued).toBe(before.queued)
    expect(mid.leaves.length).toBe(before.leaves.length)
    await integrateAll(t.app.db)
    const after = await checkLog()
    expect(after.leaves.length).toBe(before.leaves.length + before.queued)
    expect(after.queued).toBe(0)
  })

  it('a record committed while an integrator runs waits for the next batch, never lost', async () => {
    const a = await appConnection()
    const b = await appConnection()
    try {
      await a.query('BEGIN')
      const eventId = randomUUID()
      const leaf = Buffer.from(JSON.stringify({ action: 'clock.advanced', event_id: eventId, v: 'numguard-leaf/1' }))
      await a.query(
        'INSERT INTO audit_queue (event_id, txid, recorded_at, action, leaf) VALUES ($1, 0, now(), $2, $3)',
        [eventId, 'clock.advanced', leaf],
      )
      await b.query('SELECT * FROM audit_integrate(1000)') // does not see the uncommitted record
      await a.query('COMMIT')
      const first = await t.app.db.selectFrom('audit_leaves').select('index').where('event_id', '=', eventId).execute()
      expect(first).toEqual([])
      await integrateAll(t.app.db)
      const later = await t.app.db.selectFrom('audit_leaves').select('index').where('event_id', '=', eventId).execute()
      expect(later).toHaveLength(1)
    } finally {
      await a.end()
      await b.end()
    }
  })
})
