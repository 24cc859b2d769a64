// Each guarded row change needs its own leaf (issue 10 item 3, last point; migration 039): raw SQL as the application
// role cannot change a custody, a SIM binding, a number's state or a request under a leaf that names another row or
// another kind of change. The lawful writers still commit. And the mapping row_leaf_kinds covers every action the
// code records where it writes those tables, so a new writer without a mapping fails here, not in production.
// Runs on both suites (PGlite and PostgreSQL): nothing here needs a second connection.
import { randomUUID } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { isPostgresSuite } from '../../test/helpers/db.ts'
import { makeActiveNumber } from '../../test/helpers/factories.ts'
import { ACTIONS } from '../domain/actions.ts'
import {
  g,
  heldNumber,
  insertSaleCustody,
  inTransaction,
  newNumber,
  newRequest,
  newSubscriber,
  numberState,
  openCustodies,
  setUpGuardDatabase,
  type Tx,
  writeAnyLeaf,
} from './guards-fixtures.ts'

setUpGuardDatabase()

// NG001 with 039's reason, not 002's (no leaf at all).
const refused = { code: 'NG001', message: expect.stringMatching(/has no audit leaf naming it/) }
/** SHA-256 of the canonical `{}`: the fixture requests' payload (migration 038 checks the hash). */
const EMPTY_SHA256 = '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a'

/** A leaf of `action`, naming `msisdn` and (in its data) `requestId`, the way raw SQL can write one. */
const leaf = (tx: Tx, action: string, msisdn: string | null, requestId: string | null = null) =>
  sql`INSERT INTO audit_records (event_id, txid, recorded_at, action, msisdn, envelope)
      VALUES (gen_random_uuid(), 0, now(), ${action}, ${msisdn},
              ${JSON.stringify({ data: requestId ? { request_id: requestId } : {} })}::jsonb)`.execute(tx)

describe(`a custody insert (${isPostgresSuite() ? 'postgres' : 'pglite'})`, () => {
  it('is refused under a sale leaf that names another number (NG001)', async () => {
    const [msisdn, other, subscriberId] = [await newNumber(), await newNumber(), await newSubscriber()]
    await expect(
      inTransaction(
        async (tx) => {
          await insertSaleCustody(tx, msisdn, subscriberId)
          await sql`UPDATE numbers SET state = 'active', state_changed_at = now() WHERE msisdn = ${msisdn}`.execute(tx)
          await leaf(tx, 'number.sold', other)
        },
        { describe: false },
      ),
    ).rejects.toMatchObject(refused)
    expect(await openCustodies(msisdn)).toBe(0)
  })

  it('is refused under a leaf of any content, as 002 alone allowed (NG001)', async () => {
    const [msisdn, subscriberId] = [await newNumber(), await newSubscriber()]
    await expect(
      inTransaction(
        async (tx) => {
          await insertSaleCustody(tx, msisdn, subscriberId)
          await sql`UPDATE numbers SET state = 'active', state_changed_at = now() WHERE msisdn = ${msisdn}`.execute(tx)
        },
        { describe: false },
      ),
    ).rejects.toMatchObject(refused)
    expect(await numberState(msisdn)).toBe('available')
  })

  it('is refused when its number leaf is of another kind (a transfer leaf for a sale) (NG001)', async () => {
    const [msisdn, subscriberId] = [await newNumber(), await newSubscriber()]
    await expect(
      inTransaction(
        async (tx) => {
          await insertSaleCustody(tx, msisdn, subscriberId)
          await sql`UPDATE numbers SET state = 'active', state_changed_at = now() WHERE msisdn = ${msisdn}`.execute(tx)
          await leaf(tx, 'number.transferred', msisdn)
        },
        { describe: false },
      ),
    ).rejects.toMatchObject(refused)
  })

  it('commits (positive control) under a number.sold leaf naming its number', async () => {
    const [msisdn, subscriberId] = [await newNumber(), await newSubscriber()]
    await inTransaction(
      async (tx) => {
        await insertSaleCustody(tx, msisdn, subscriberId)
        await sql`UPDATE numbers SET state = 'active', state_changed_at = now() WHERE msisdn = ${msisdn}`.execute(tx)
        await leaf(tx, 'number.sold', msisdn)
      },
      { describe: false },
    )
    expect(await openCustodies(msisdn)).toBe(1)
    expect(await numberState(msisdn)).toBe('active')
  })
})

describe('a number state move', () => {
  it('is refused under a leaf of the wrong kind: active → suspended with number.reactivated (NG001)', async () => {
    const { msisdn } = await heldNumber()
    await expect(
      inTransaction(
        async (tx) => {
          await sql`UPDATE numbers SET state = 'suspended', state_changed_at = now() WHERE msisdn = ${msisdn}`.execute(
            tx,
          )
          await leaf(tx, 'number.reactivated', msisdn)
        },
        { describe: false },
      ),
    ).rejects.toMatchObject(refused)
    expect(await numberState(msisdn)).toBe('active')
  })

  it('is refused when a reservation lease is taken under a leaf of another number (NG001)', async () => {
    const [msisdn, other] = [await newNumber(), await newNumber()]
    await expect(
      inTransaction(
        async (tx) => {
          await sql`UPDATE numbers SET state = 'reserved', reserved_by = ${g.staffId},
                    reserved_until = now() + interval '30 minutes', state_changed_at = now()
                    WHERE msisdn = ${msisdn}`.execute(tx)
          await leaf(tx, 'number.reserved', other)
        },
        { describe: false },
      ),
    ).rejects.toMatchObject(refused)
    expect(await numberState(msisdn)).toBe('available')
  })

  it('is refused when set IMMEDIATE with the right leaf only written after it (NG001)', async () => {
    const { msisdn } = await heldNumber()
    await expect(
      inTransaction(
        async (tx) => {
          await sql`SET CONSTRAINTS ALL IMMEDIATE`.execute(tx)
          await writeAnyLeaf(tx)
          await sql`UPDATE numbers SET state = 'suspended', state_changed_at = now() WHERE msisdn = ${msisdn}`.execute(
            tx,
          )
          await leaf(tx, 'number.suspended', msisdn)
        },
        { describe: false },
      ),
    ).rejects.toMatchObject(refused)
  })

  it('commits (positive control) under number.suspended naming its number', async () => {
    const { msisdn } = await heldNumber()
    await inTransaction(
      async (tx) => {
        await sql`UPDATE numbers SET state = 'suspended', state_changed_at = now() WHERE msisdn = ${msisdn}`.execute(tx)
        await leaf(tx, 'number.suspended', msisdn)
      },
      { describe: false },
    )
    expect(await numberState(msisdn)).toBe('suspended')
  })
})

describe('a request status change', () => {
  it('is refused under a request.approved leaf that names another request (NG001)', async () => {
    const msisdn = await newNumber()
    const [id, other] = [
      await newRequest(msisdn, 'reclaim', 'pending'),
      await newRequest(null, 'retirement', 'pending'),
    ]
    await inTransaction((tx) =>
      sql`INSERT INTO request_approvals (request_id, approver_id, payload_sha256, decision, decided_at)
          VALUES (${id}, ${g.supervisorId}, ${EMPTY_SHA256}, 'approved', now())`.execute(tx),
    )
    const approve = (named: string) =>
      inTransaction(
        async (tx) => {
          await sql`UPDATE requests SET status = 'approved', decided_at = now() WHERE id = ${id}`.execute(tx)
          await leaf(tx, 'request.approved', msisdn, named)
        },
        { describe: false },
      )
    await expect(approve(other)).rejects.toMatchObject(refused)
    // Positive control: the same change under a leaf naming this request.
    await approve(id)
    const { rows } = await sql<{ status: string }>`SELECT status FROM requests WHERE id = ${id}`.execute(g.db)
    expect(rows[0].status).toBe('approved')
  })

  it('is refused at creation under a leaf of no request (NG001)', async () => {
    await expect(
      inTransaction(
        (tx) =>
          sql`INSERT INTO requests (id, kind, msisdn, status, payload, payload_sha256, requested_by, requested_at, expires_at)
              VALUES (${randomUUID()}, 'retirement', NULL, 'pending', '{}', ${EMPTY_SHA256}, ${g.staffId}, now(),
                      now() + interval '7 days')`.execute(tx),
        { describe: false },
      ),
    ).rejects.toMatchObject(refused)
  })
})

describe('the lawful sale path (positive control)', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await openTestApp()
  })
  afterAll(async () => {
    await t?.close()
  })

  it('commits: sellNumber records number.sold naming the number, which meets every row it changed', async () => {
    const { msisdn } = await makeActiveNumber(t.app)
    const n = await t.app.db
      .selectFrom('numbers')
      .select('state')
      .where('msisdn', '=', msisdn)
      .executeTakeFirstOrThrow()
    expect(n.state).toBe('active')
  })
})

// ── The mapping covers the code ──

/** Actions recorded where the code changes these tables that describe no row of them (and why). */
const NOT_ROW_CHANGES: Record<string, string> = {
  'subscriber.created': 'a sale may register its subscriber: a subscribers row',
  'consent.code_sent': 'an SMS notice and a consent code, no request column',
  'consent.code_refused': 'attempt counters of a consent code',
  'range.imported': 'numbers entering the inventory (an insert, not a state move)',
  'recycling.withdrawal_deferred': 'the recycling state row of a cycle',
  'staff.suspended': 'staff rows are migration 037’s; the requests it closes record request.cancelled/reassigned',
  'disconnection.recorded': 'the disconnection register',
  'disconnection.cancelled': 'the disconnection register',
}

const WRITES =
  /(insertInto|updateTable)\('(custodies|sim_bindings|numbers|requests)'\)|(INSERT INTO|UPDATE) (custodies|sim_bindings|numbers|requests)\b/

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true })
  const nested = await Promise.all(
    entries.map((e) => {
      const path = join(dir, e.name)
      if (e.isDirectory()) return sourceFiles(path)
      return Promise.resolve(e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [])
    }),
  )
  return nested.flat()
}

describe('row_leaf_kinds', () => {
  it('names only actions of the registry', async () => {
    const { rows } = await sql<{ action: string }>`SELECT DISTINCT action FROM row_leaf_kinds`.execute(g.db)
    expect(rows.map((r) => r.action).filter((a) => !(a in ACTIONS))).toEqual([])
  })

  it('maps every action recorded by a writer of custodies, sim_bindings, numbers or requests', async () => {
    const { rows } = await sql<{ action: string }>`SELECT DISTINCT action FROM row_leaf_kinds`.execute(g.db)
    const mapped = new Set(rows.map((r) => r.action))
    // Files that write these tables (test stand-ins excepted), and the actions they record...
    const recorded = new Set<string>()
    for (const file of await sourceFiles(join(import.meta.dirname, '..'))) {
      if (/guards-fixtures|test-support/.test(file)) continue
      const text = await readFile(file, 'utf8')
      if (!WRITES.test(text)) continue
      for (const m of text.matchAll(/action: '([a-z_]+\.[a-z_]+)'/g)) if (m[1] in ACTIONS) recorded.add(m[1])
    }
    // ...and every action of the number, SIM and request vocabulary, wherever its writer now lives (src/custody/).
    for (const action of Object.keys(ACTIONS)) if (/^(number|sim|request)\./.test(action)) recorded.add(action)
    const unmapped = [...recorded].filter((a) => !mapped.has(a) && !(a in NOT_ROW_CHANGES)).sort()
    expect(unmapped, 'add these to row_leaf_kinds in a new migration, or to NOT_ROW_CHANGES with a reason').toEqual([])
    expect(recorded.size).toBeGreaterThan(20)
  })
})
