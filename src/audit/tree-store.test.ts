// The stored tree (audit_integrate in SQL) against the pure core and a plain recursive RFC 6962: leaves, roots at
// every size, inclusion and consistency proofs. Runs on both suites.
import { createHash } from 'node:crypto'
import canonicalize from 'canonicalize'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { SYSTEM } from '../../test/helpers/factories.ts'
import { decodeLeaf, encodeLeaf, LEAF_VERSION } from './leaf.ts'
import { type AuditEntry, audited, recordAuditMany } from './record.ts'
import { runCommand } from './run-command.ts'
import { leafHash, nodeHash } from './tlog/hash.ts'
import { verifyConsistency, verifyInclusion } from './tlog/merkle.ts'
import {
  bytes,
  currentHead,
  integrateAll,
  integrateBatch,
  proveConsistency,
  proveInclusion,
  recomputeRoot,
} from './tree-store.ts'

let t: TestApp
beforeAll(async () => {
  t = await openTestApp()
})
afterAll(() => t.close())

/** RFC 6962 §2.1 MTH, written the way the RFC states it: the reference the stored tree must agree with. */
function mth(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return createHash('sha256').digest()
  if (leaves.length === 1) return leaves[0]
  let k = 1
  while (k * 2 < leaves.length) k *= 2
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)))
}

/** A seeded generator, so a failure names a reproducible tree. */
function random(seed: number) {
  let s = seed >>> 0
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s % n
  }
}

async function write(n: number, tag: string): Promise<void> {
  const entries: AuditEntry[] = Array.from({ length: n }, (_, i) => ({
    action: 'clock.advanced',
    data: { tag, i, text: `line ${i} with "quotes", ünïcode and a\nnewline` },
  }))
  await runCommand(t.app.deps, SYSTEM, async (ctx) => {
    const receipts = await recordAuditMany(ctx, entries)
    return audited(null, [receipts[0], ...receipts.slice(1)])
  })
}

async function storedLeafHashes(): Promise<Buffer[]> {
  const rows = await t.app.db
    .selectFrom('audit_leaves')
    .select(['index', 'leaf', 'leaf_hash'])
    .orderBy('index')
    .execute()
  rows.forEach((r, i) => {
    expect(Number(r.index)).toBe(i)
    expect(bytes(r.leaf_hash).equals(leafHash(bytes(r.leaf)))).toBe(true)
  })
  return rows.map((r) => bytes(r.leaf_hash))
}

describe('the stored tree', () => {
  it('agrees with the recursive RFC 6962 tree at every size, however the batches fall', async () => {
    const next = random(20260302)
    const sizes: number[] = []
    await integrateAll(t.app.db) // whatever the app itself recorded so far
    sizes.push((await currentHead(t.app.db)).size)
    while (sizes[sizes.length - 1] < 700) {
      await write(1 + next(90), `batch-${sizes.length}`)
      const batch = 1 + next(120)
      for (;;) {
        const out = await integrateBatch(t.app.db, batch)
        expect(out.newSize - out.oldSize).toBeLessThanOrEqual(batch)
        if (out.newSize === out.oldSize) break
        sizes.push(out.newSize)
      }
    }
    const hashes = await storedLeafHashes()
    expect(hashes.length).toBe(sizes[sizes.length - 1])
    const heads = await t.app.db.selectFrom('audit_tree_heads').select(['size', 'root']).orderBy('size').execute()
    const bySize = new Map(heads.map((h) => [Number(h.size), bytes(h.root)]))
    for (const size of sizes) {
      const want = mth(hashes.slice(0, size))
      expect(bySize.get(size)?.equals(want), `root at ${size}`).toBe(true)
      expect((await recomputeRoot(t.app.db, size)).equals(want), `recomputed root at ${size}`).toBe(true)
    }
    // Exactly one root per size, and every size a batch ended at has one.
    expect(new Set(heads.map((h) => Number(h.size))).size).toBe(heads.length)
    // Inclusion and consistency proofs from the stored nodes verify with the pure core.
    for (let i = 0; i < 60; i++) {
      const size = sizes[1 + next(sizes.length - 1)]
      const index = next(size)
      const proof = await proveInclusion(t.app.db, index, size)
      verifyInclusion(hashes[index], index, size, proof, mth(hashes.slice(0, size)))
      const older = sizes[1 + next(sizes.length - 1)]
      const [a, b] = older <= size ? [older, size] : [size, older]
      const consistency = await proveConsistency(t.app.db, a, b)
      verifyConsistency(a, b, mth(hashes.slice(0, a)), mth(hashes.slice(0, b)), consistency)
    }
    // A proof against a wrong root fails.
    const size = sizes[sizes.length - 1]
    const proof = await proveInclusion(t.app.db, 3, size)
    expect(() => verifyInclusion(hashes[4], 3, size, proof, mth(hashes.slice(0, size)))).toThrow(/inclusion of leaf 3/)
  })

  it('stores the exact canonical bytes it was given, and every leaf names its version and event', async () => {
    await write(3, 'bytes')
    await integrateAll(t.app.db)
    const rows = await t.app.db
      .selectFrom('audit_leaves')
      .select(['event_id', 'leaf'])
      .where('action', '=', 'clock.advanced')
      .orderBy('index', 'desc')
      .limit(3)
      .execute()
    for (const r of rows) {
      const leaf = bytes(r.leaf)
      const parsed = decodeLeaf(leaf)
      expect(parsed).toMatchObject({ v: LEAF_VERSION, event_id: r.event_id, action: 'clock.advanced' })
      expect(leaf.equals(encodeLeaf(parsed))).toBe(true)
      expect(leaf.includes(10)).toBe(false) // one leaf per line in a bundle
    }
  })

  it('gives a record written by raw SQL canonical leaf bytes built from its columns and envelope', async () => {
    const { rows } = await sql<{ event_id: string }>`
      INSERT INTO audit_records (event_id, txid, recorded_at, action, msisdn, envelope)
      VALUES (gen_random_uuid(), 0, '2026-03-02T03:00:00.5Z', 'test.raw', '+85512000001',
              '{"z":[1,2.5,{"b":null,"a":"é\\u0001"}],"a":true,"v":1}')
      RETURNING event_id`.execute(t.app.db)
    await integrateAll(t.app.db)
    const row = await t.app.db
      .selectFrom('audit_leaves')
      .select(['leaf', 'msisdn', 'action'])
      .where('event_id', '=', rows[0].event_id)
      .executeTakeFirstOrThrow()
    const leaf = bytes(row.leaf).toString('utf8')
    expect(leaf).toBe(
      canonicalize({
        a: true,
        action: 'test.raw',
        at: '2026-03-02T03:00:00.500Z',
        event_id: rows[0].event_id,
        msisdn: '+85512000001',
        v: LEAF_VERSION,
        z: [1, 2.5, { a: 'é\u0001', b: null }],
      }),
    )
    expect(row).toMatchObject({ msisdn: '+85512000001', action: 'test.raw' })
  })

  it('refuses leaf bytes that are not a numguard leaf of their own event (NG009)', async () => {
    const bad = [
      Buffer.from('not json'),
      encodeLeaf({ event_id: '00000000-0000-4000-8000-000000000000' }),
      Buffer.from(canonicalize({ v: 'other/1', event_id: 'x' }) as string),
    ]
    for (const leaf of bad) {
      await expect(
        t.app.db
          .insertInto('audit_queue')
          .values({ event_id: crypto.randomUUID(), recorded_at: new Date(), action: 'test', msisdn: null, leaf })
          .execute(),
      ).rejects.toMatchObject({ code: 'NG009' })
    }
  })

  it('takes the columns a timeline searches by from the leaf, not from what the writer puts beside it', async () => {
    const eventId = crypto.randomUUID()
    const staffId = crypto.randomUUID()
    const leaf = encodeLeaf({
      event_id: eventId,
      action: 'number.reserved',
      msisdn: '+85512000777',
      actor: { kind: 'staff', staff_id: staffId, session_id: 'not-a-uuid' },
      data: { request_id: '11111111-1111-4111-8111-111111111111' },
    })
    await runCommand(t.app.deps, SYSTEM, async (ctx) => {
      await ctx.tx
        .insertInto('audit_queue')
        .values({ event_id: eventId, recorded_at: ctx.now, action: 'clock.advanced', msisdn: '+85599999999', leaf })
        .execute()
      return { result: null, receipts: [] }
    })
    await integrateAll(t.app.db)
    const row = await t.app.db
      .selectFrom('audit_leaves')
      .selectAll()
      .where('event_id', '=', eventId)
      .executeTakeFirstOrThrow()
    expect(row).toMatchObject({
      action: 'number.reserved',
      msisdn: '+85512000777',
      staff_id: staffId,
      session_id: null,
      request_id: '11111111-1111-4111-8111-111111111111',
    })
  })
})
