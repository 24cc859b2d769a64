// The database is the last guard (DOMAIN.md invariants 1, 2, 6, 8): raw SQL run as the application role, the way a
// buggy command or someone with the app's credentials would, must be refused by the database itself.
// Runs on both suites; SQLSTATEs come from the driver error's `.code` (pg and PGlite both carry it).
import { randomUUID } from 'node:crypto'
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isPostgresSuite, openTestDatabase } from '../../test/helpers/db.ts'
import type { Database } from './handle.ts'
import type { DB } from './types.ts'

let database: Database
let db: Kysely<DB>
let staffId: string
let rangeId: string
let numberSeq = 0

type Tx = Transaction<DB>

/** The smallest audit record the database accepts; its txid is a lie the trigger corrects. */
const writeAudit = (tx: Tx) =>
  sql`INSERT INTO audit_records (event_id, txid, recorded_at, action, envelope) VALUES (gen_random_uuid(), 0, now(), 'test', '{}')`.execute(
    tx,
  )

/** Runs `work` in one transaction, with an audit record written in it unless told otherwise. */
async function inTransaction(work: (tx: Tx) => Promise<unknown>, options: { audit?: boolean } = {}): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await work(tx)
    if (options.audit !== false) await writeAudit(tx)
  })
}

const run = (statement: RawBuilder<unknown>, options: { audit?: boolean } = {}) =>
  inTransaction((tx) => statement.execute(tx), options)

async function numberState(msisdn: string): Promise<string> {
  const { rows } = await sql<{ state: string }>`SELECT state FROM numbers WHERE msisdn = ${msisdn}`.execute(db)
  return rows[0].state
}

async function openCustodies(msisdn: string): Promise<number> {
  const { rows } = await sql<{
    n: number
  }>`SELECT count(*)::int AS n FROM custodies WHERE msisdn = ${msisdn} AND ended_at IS NULL`.execute(db)
  return rows[0].n
}

async function newNumber(state: 'available' | 'retired' = 'available'): Promise<string> {
  const msisdn = `+85512000${String(++numberSeq).padStart(3, '0')}`
  await run(
    sql`INSERT INTO numbers (msisdn, range_id, category, state, state_changed_at) VALUES (${msisdn}, ${rangeId}, 'standard', ${state}, now())`,
  )
  return msisdn
}

async function newSubscriber(): Promise<string> {
  const id = randomUUID()
  await sql`INSERT INTO subscribers (id, party_kind, account_type, name, kyc_doc_kind, kyc_doc_hash, kyc_doc_last4, language, created_at)
            VALUES (${id}, 'person', 'prepaid', 'Test Holder', 'national_id', ${`hash-${id}`}, '1234', 'km', now())`.execute(
    db,
  )
  return id
}

const insertSaleCustody = (tx: Tx, msisdn: string, subscriberId: string, id = randomUUID()) =>
  sql`INSERT INTO custodies (id, msisdn, subscriber_id, basis, started_at) VALUES (${id}, ${msisdn}, ${subscriberId}, 'sale', now())`.execute(
    tx,
  )

/** An active number held by a new subscriber, sold the way sellNumber does it (custody first, then the state). */
async function heldNumber(): Promise<{ msisdn: string; custodyId: string; subscriberId: string }> {
  const msisdn = await newNumber()
  const subscriberId = await newSubscriber()
  const custodyId = randomUUID()
  await inTransaction(async (tx) => {
    await insertSaleCustody(tx, msisdn, subscriberId, custodyId)
    await sql`UPDATE numbers SET state = 'active', state_changed_at = now() WHERE msisdn = ${msisdn}`.execute(tx)
  })
  return { msisdn, custodyId, subscriberId }
}

async function newRequest(
  msisdn: string | null,
  kind: string,
  status: 'pending' | 'approved' | 'executed',
): Promise<string> {
  const id = randomUUID()
  await run(sql`
    INSERT INTO requests (id, kind, msisdn, status, payload, payload_sha256, requested_by, requested_at, expires_at, executed_at)
    VALUES (${id}, ${kind}, ${msisdn}, ${status}, '{}', ${'a'.repeat(64)}, ${staffId}, now(), now() + interval '7 days',
            ${status === 'executed' ? sql`now()` : null})`)
  return id
}

async function newMigrationBatch(status: 'pending' | 'executed'): Promise<string> {
  const id = randomUUID()
  await run(sql`
    INSERT INTO migration_batches (id, source, status, input_sha256, created_at, executed_at)
    VALUES (${id}, 'legacy-bss', ${status}, ${'b'.repeat(64)}, now(), ${status === 'executed' ? sql`now()` : null})`)
  return id
}

const closedMigrationCustody = (msisdn: string, subscriberId: string, batchId: string, from: string, to: string) => sql`
  INSERT INTO custodies (id, msisdn, subscriber_id, basis, migration_batch_id, started_at, ended_at, end_reason)
  VALUES (${randomUUID()}, ${msisdn}, ${subscriberId}, 'migration', ${batchId}, ${from}::timestamptz, ${to}::timestamptz, 'migration')`

beforeAll(async () => {
  database = await openTestDatabase()
  db = database.db
  staffId = randomUUID()
  rangeId = randomUUID()
  await sql`INSERT INTO shops (id, name, created_at) VALUES ('guards-shop', 'Guards shop', now())`.execute(db)
  await run(sql`
    INSERT INTO staff (id, username, display_name, password_hash, roles, shop_id, created_at, updated_at)
    VALUES (${staffId}, 'guards.agent', 'Guards agent', 'x', ARRAY['agent'], 'guards-shop', now(), now())`)
  await run(sql`
    INSERT INTO number_ranges (id, first_msisdn, last_msisdn, first_value, last_value, size, category, input_sha256, imported_at)
    VALUES (${rangeId}, '+85512000000', '+85512000999', 85512000000, 85512000999, 1000, 'standard', ${'c'.repeat(64)}, now())`)
})
afterAll(async () => {
  await database?.close()
})

describe(`the application role (${isPostgresSuite() ? 'postgres' : 'pglite'})`, () => {
  it('is what these statements run as', async () => {
    const { rows } = await sql<{ role: string }>`SELECT current_user AS role`.execute(db)
    expect(rows[0].role).toBe('numguard_app')
  })

  it.each([
    ['switch triggers off for the session', sql`SET session_replication_role = replica`],
    ['disable the triggers of numbers', sql`ALTER TABLE numbers DISABLE TRIGGER ALL`],
    ['drop the audit requirement', sql`DROP TRIGGER audit_required ON audit_tx_guard`],
    ['clear the pending audit checks', sql`DELETE FROM audit_tx_guard`],
  ])('cannot %s (42501)', async (_what, statement) => {
    await expect(statement.execute(db)).rejects.toMatchObject({ code: '42501' })
  })
})

describe('invariant 1: one open custody per number, never overlapping periods', () => {
  it('refuses a second open custody for a held number, even on an executed request (23P01)', async () => {
    const { msisdn } = await heldNumber()
    const requestId = await newRequest(msisdn, 'transfer', 'executed')
    const newcomer = await newSubscriber()
    await expect(
      run(sql`INSERT INTO custodies (id, msisdn, subscriber_id, basis, request_id, started_at)
              VALUES (${randomUUID()}, ${msisdn}, ${newcomer}, 'transfer', ${requestId}, now())`),
    ).rejects.toMatchObject({ code: '23P01' })
    expect(await openCustodies(msisdn)).toBe(1)
  })

  it('refuses two sales of one available number in one transaction (23P01)', async () => {
    const msisdn = await newNumber()
    const [a, b] = [await newSubscriber(), await newSubscriber()]
    await expect(
      inTransaction(async (tx) => {
        await insertSaleCustody(tx, msisdn, a)
        await insertSaleCustody(tx, msisdn, b)
      }),
    ).rejects.toMatchObject({ code: '23P01' })
    expect(await openCustodies(msisdn)).toBe(0)
    expect(await numberState(msisdn)).toBe('available')
  })

  it('refuses overlapping closed periods (23P01) but accepts adjoining ones', async () => {
    const msisdn = await newNumber()
    const batchId = await newMigrationBatch('executed')
    const [a, b, c] = [await newSubscriber(), await newSubscriber(), await newSubscriber()]
    await run(closedMigrationCustody(msisdn, a, batchId, '2020-01-01T00:00:00Z', '2021-01-01T00:00:00Z'))
    await expect(
      run(closedMigrationCustody(msisdn, b, batchId, '2020-06-01T00:00:00Z', '2022-01-01T00:00:00Z')),
    ).rejects.toMatchObject({
      code: '23P01',
    })
    // '[)': a period may start at the instant the previous one ended.
    await run(closedMigrationCustody(msisdn, c, batchId, '2021-01-01T00:00:00Z', '2022-01-01T00:00:00Z'))
    const { rows } = await sql<{
      subscriber_id: string
    }>`SELECT subscriber_id FROM custodies WHERE msisdn = ${msisdn} ORDER BY started_at`.execute(db)
    expect(rows.map((r) => r.subscriber_id)).toEqual([a, c])
  })
})

describe('invariant 2: a custody starts only on a sale of a free number, or an executed request or batch', () => {
  it('refuses a sale of an active number (NG005)', async () => {
    const { msisdn } = await heldNumber()
    const other = await newSubscriber()
    await expect(inTransaction((tx) => insertSaleCustody(tx, msisdn, other))).rejects.toMatchObject({ code: 'NG005' })
    expect(await openCustodies(msisdn)).toBe(1)
  })

  it('refuses a sale of a retired number (NG005)', async () => {
    const msisdn = await newNumber('retired')
    const subscriberId = await newSubscriber()
    await expect(inTransaction((tx) => insertSaleCustody(tx, msisdn, subscriberId))).rejects.toMatchObject({
      code: 'NG005',
    })
  })

  it('refuses a sale that names a request (check basis_names_its_ground, 23514)', async () => {
    const msisdn = await newNumber()
    const requestId = await newRequest(msisdn, 'transfer', 'executed')
    const subscriberId = await newSubscriber()
    await expect(
      run(sql`INSERT INTO custodies (id, msisdn, subscriber_id, basis, request_id, started_at)
              VALUES (${randomUUID()}, ${msisdn}, ${subscriberId}, 'sale', ${requestId}, now())`),
    ).rejects.toMatchObject({ code: '23514', constraint: 'basis_names_its_ground' })
  })

  it('refuses a custody that has already ended unless a migration batch loads it (NG005)', async () => {
    const msisdn = await newNumber()
    const subscriberId = await newSubscriber()
    await expect(
      run(sql`INSERT INTO custodies (id, msisdn, subscriber_id, basis, started_at, ended_at, end_reason)
              VALUES (${randomUUID()}, ${msisdn}, ${subscriberId}, 'sale', now() - interval '1 day', now(), 'termination')`),
    ).rejects.toMatchObject({ code: 'NG005' })
  })

  describe('a transfer custody', () => {
    /** Ends the current custody and starts the newcomer's on `requestId`, as an executed transfer would. */
    const transferTo = (msisdn: string, custodyId: string, newcomer: string, requestId: string | null) =>
      inTransaction(async (tx) => {
        await sql`UPDATE custodies SET ended_at = now(), end_reason = 'transfer' WHERE id = ${custodyId}`.execute(tx)
        await sql`INSERT INTO custodies (id, msisdn, subscriber_id, basis, request_id, started_at)
                  VALUES (${randomUUID()}, ${msisdn}, ${newcomer}, 'transfer', ${requestId}, now())`.execute(tx)
      })

    it('is refused when it names no request (NG005 from the trigger, or the check 23514)', async () => {
      const { msisdn, custodyId } = await heldNumber()
      const err = await transferTo(msisdn, custodyId, await newSubscriber(), null).then(
        () => null,
        (e: { code?: string }) => e,
      )
      expect(['NG005', '23514']).toContain(err?.code)
      expect(await openCustodies(msisdn)).toBe(1)
    })

    it.each([
      ['a request that is only approved', 'transfer', 'approved', 'same'],
      ['a pending request', 'transfer', 'pending', 'same'],
      ['an executed request of another kind', 'termination', 'executed', 'same'],
      ['an executed transfer of another number', 'transfer', 'executed', 'other'],
    ] as const)('is refused when it names %s (NG005)', async (_what, kind, status, whose) => {
      const { msisdn, custodyId } = await heldNumber()
      const requestId = await newRequest(whose === 'same' ? msisdn : await newNumber(), kind, status)
      await expect(transferTo(msisdn, custodyId, await newSubscriber(), requestId)).rejects.toMatchObject({
        code: 'NG005',
      })
      const { rows } = await sql<{
        id: string
      }>`SELECT id FROM custodies WHERE msisdn = ${msisdn} AND ended_at IS NULL`.execute(db)
      expect(rows.map((r) => r.id)).toEqual([custodyId])
    })

    it('commits when it names the executed transfer request of this number', async () => {
      const { msisdn, custodyId } = await heldNumber()
      const requestId = await newRequest(msisdn, 'transfer', 'executed')
      const newcomer = await newSubscriber()
      await transferTo(msisdn, custodyId, newcomer, requestId)
      const { rows } = await sql<{ subscriber_id: string; request_id: string }>`
        SELECT subscriber_id, request_id FROM custodies WHERE msisdn = ${msisdn} AND ended_at IS NULL`.execute(db)
      expect(rows).toEqual([{ subscriber_id: newcomer, request_id: requestId }])
      expect(await numberState(msisdn)).toBe('active')
    })
  })

  it('refuses a migration custody whose batch is not executed (NG005), accepts one whose batch is', async () => {
    const msisdn = await newNumber()
    const subscriberId = await newSubscriber()
    const pending = await newMigrationBatch('pending')
    await expect(
      run(closedMigrationCustody(msisdn, subscriberId, pending, '2019-01-01T00:00:00Z', '2019-06-01T00:00:00Z')),
    ).rejects.toMatchObject({
      code: 'NG005',
    })
    const executed = await newMigrationBatch('executed')
    await run(closedMigrationCustody(msisdn, subscriberId, executed, '2019-01-01T00:00:00Z', '2019-06-01T00:00:00Z'))
    const { rows } = await sql<{
      batch: string
    }>`SELECT migration_batch_id AS batch FROM custodies WHERE msisdn = ${msisdn}`.execute(db)
    expect(rows).toEqual([{ batch: executed }])
  })
})

describe('invariant 6: a guarded change commits only with an audit record of its own transaction', () => {
  interface Case {
    name: string
    /** Committed, audited preparation; returns what change and check need. */
    prepare: () => Promise<string>
    change: (tx: Tx, key: string) => Promise<unknown>
    /** True once the change is in the database. */
    changed: (key: string) => Promise<boolean>
  }
  const exists = async (query: RawBuilder<{ n: number }>) => (await query.execute(db)).rows[0].n > 0

  const cases: Case[] = [
    {
      name: 'a number going from available to reserved',
      prepare: () => newNumber(),
      change: (tx, msisdn) =>
        sql`UPDATE numbers SET state = 'reserved', reserved_by = ${staffId}, reserved_until = now() + interval '30 minutes', state_changed_at = now()
             WHERE msisdn = ${msisdn}`.execute(tx),
      changed: async (msisdn) => (await numberState(msisdn)) === 'reserved',
    },
    {
      name: 'a new staff member',
      prepare: async () => randomUUID(),
      change: (tx, id) =>
        sql`INSERT INTO staff (id, username, display_name, password_hash, roles, created_at, updated_at)
            VALUES (${id}, ${`ghost.${id.slice(0, 8)}`}, 'Ghost', 'x', ARRAY['supervisor'], now(), now())`.execute(tx),
      changed: (id) => exists(sql<{ n: number }>`SELECT count(*)::int AS n FROM staff WHERE id = ${id}`),
    },
    {
      name: 'a new request',
      prepare: async () => randomUUID(),
      change: (tx, id) =>
        sql`INSERT INTO requests (id, kind, status, payload, payload_sha256, requested_by, requested_at, expires_at)
            VALUES (${id}, 'policy_change', 'pending', '{}', ${'d'.repeat(64)}, ${staffId}, now(), now() + interval '1 day')`.execute(
          tx,
        ),
      changed: (id) => exists(sql<{ n: number }>`SELECT count(*)::int AS n FROM requests WHERE id = ${id}`),
    },
    {
      name: 'a staff member’s roles',
      prepare: async () => staffId,
      change: (tx, id) => sql`UPDATE staff SET roles = ARRAY['agent', 'supervisor'] WHERE id = ${id}`.execute(tx),
      changed: (id) =>
        exists(
          sql<{ n: number }>`SELECT count(*)::int AS n FROM staff WHERE id = ${id} AND 'supervisor' = ANY (roles)`,
        ),
    },
    {
      name: 'a new custody (loaded by an executed migration batch)',
      prepare: async () => {
        const [msisdn, subscriberId, batchId] = [
          await newNumber(),
          await newSubscriber(),
          await newMigrationBatch('executed'),
        ]
        return JSON.stringify({ msisdn, subscriberId, batchId })
      },
      change: (tx, key) => {
        const { msisdn, subscriberId, batchId } = JSON.parse(key)
        return closedMigrationCustody(
          msisdn,
          subscriberId,
          batchId,
          '2018-01-01T00:00:00Z',
          '2018-02-01T00:00:00Z',
        ).execute(tx)
      },
      changed: (key) =>
        exists(sql<{ n: number }>`SELECT count(*)::int AS n FROM custodies WHERE msisdn = ${JSON.parse(key).msisdn}`),
    },
    {
      name: 'a sale (custody and number state)',
      prepare: async () => JSON.stringify({ msisdn: await newNumber(), subscriberId: await newSubscriber() }),
      change: async (tx, key) => {
        const { msisdn, subscriberId } = JSON.parse(key)
        await insertSaleCustody(tx, msisdn, subscriberId)
        await sql`UPDATE numbers SET state = 'active', state_changed_at = now() WHERE msisdn = ${msisdn}`.execute(tx)
      },
      changed: async (key) => (await openCustodies(JSON.parse(key).msisdn)) === 1,
    },
  ]

  it.each(cases)(
    'refuses $name without one at COMMIT (NG001), leaving nothing behind',
    async ({ prepare, change, changed }) => {
      const key = await prepare()
      let statementsRan = false
      await expect(
        inTransaction(
          async (tx) => {
            await change(tx, key)
            statementsRan = true
          },
          { audit: false },
        ),
      ).rejects.toMatchObject({ code: 'NG001' })
      expect(statementsRan).toBe(true) // each statement was accepted: the refusal came at commit
      expect(await changed(key)).toBe(false)
    },
  )

  it.each(cases)('commits $name with one', async ({ prepare, change, changed }) => {
    const key = await prepare()
    await inTransaction((tx) => change(tx, key))
    expect(await changed(key)).toBe(true)
  })

  it('does not count an audit record rolled back to a savepoint (NG001)', async () => {
    const msisdn = await newNumber()
    await expect(
      inTransaction(
        async (tx) => {
          await sql`UPDATE numbers SET state = 'reserved', reserved_by = ${staffId}, reserved_until = now() + interval '30 minutes' WHERE msisdn = ${msisdn}`.execute(
            tx,
          )
          await sql`SAVEPOINT cover`.execute(tx)
          await writeAudit(tx)
          await sql`ROLLBACK TO SAVEPOINT cover`.execute(tx)
        },
        { audit: false },
      ),
    ).rejects.toMatchObject({ code: 'NG001' })
    expect(await numberState(msisdn)).toBe('available')
  })
})

describe('number states follow the lifecycle and custody (NG003, NG004)', () => {
  it('refuses a transition the lifecycle does not have: available → aging (NG003)', async () => {
    const msisdn = await newNumber()
    await expect(
      run(sql`UPDATE numbers SET state = 'aging', state_changed_at = now() WHERE msisdn = ${msisdn}`),
    ).rejects.toMatchObject({ code: 'NG003' })
    expect(await numberState(msisdn)).toBe('available')
  })

  it('refuses active → available (NG003): a held number is never simply freed', async () => {
    const { msisdn } = await heldNumber()
    await expect(run(sql`UPDATE numbers SET state = 'available' WHERE msisdn = ${msisdn}`)).rejects.toMatchObject({
      code: 'NG003',
    })
    expect(await numberState(msisdn)).toBe('active')
  })

  it('refuses a number entering the inventory already active (NG003)', async () => {
    const msisdn = `+85512000${String(++numberSeq).padStart(3, '0')}`
    await expect(
      run(
        sql`INSERT INTO numbers (msisdn, range_id, category, state, state_changed_at) VALUES (${msisdn}, ${rangeId}, 'standard', 'active', now())`,
      ),
    ).rejects.toMatchObject({ code: 'NG003' })
  })

  it('refuses making a number active without a custody (NG004)', async () => {
    const msisdn = await newNumber()
    await expect(
      run(sql`UPDATE numbers SET state = 'active', state_changed_at = now() WHERE msisdn = ${msisdn}`),
    ).rejects.toMatchObject({ code: 'NG004' })
    expect(await numberState(msisdn)).toBe('available')
  })

  it('refuses withdrawing a number (active → aging) while its custody is open (NG004)', async () => {
    const { msisdn } = await heldNumber()
    await expect(
      run(sql`UPDATE numbers SET state = 'aging', state_changed_at = now() WHERE msisdn = ${msisdn}`),
    ).rejects.toMatchObject({ code: 'NG004' })
    expect(await numberState(msisdn)).toBe('active')
  })

  it('refuses at COMMIT an open custody on a number left available (NG004)', async () => {
    const msisdn = await newNumber()
    const subscriberId = await newSubscriber()
    await expect(inTransaction((tx) => insertSaleCustody(tx, msisdn, subscriberId))).rejects.toMatchObject({
      code: 'NG004',
    })
    expect(await openCustodies(msisdn)).toBe(0)
  })

  it('refuses at COMMIT closing a custody while its number stays active (NG004), accepts closing and withdrawing', async () => {
    const { msisdn, custodyId } = await heldNumber()
    const close = sql`UPDATE custodies SET ended_at = now(), end_reason = 'inactivity' WHERE id = ${custodyId}`
    await expect(run(close)).rejects.toMatchObject({ code: 'NG004' })
    expect(await openCustodies(msisdn)).toBe(1)
    await inTransaction(async (tx) => {
      await close.execute(tx)
      await sql`UPDATE numbers SET state = 'aging', state_changed_at = now() WHERE msisdn = ${msisdn}`.execute(tx)
    })
    expect(await numberState(msisdn)).toBe('aging')
  })
})

describe('a reservation lease is audited like a state change', () => {
  it('refuses extending or handing over a lease without an audit record (NG001)', async () => {
    const msisdn = await newNumber()
    const reserve = sql`UPDATE numbers SET state = 'reserved', reserved_by = ${staffId}, reserved_until = now() + interval '30 minutes' WHERE msisdn = ${msisdn}`
    await run(reserve)
    const extend = sql`UPDATE numbers SET reserved_until = now() + interval '100 years' WHERE msisdn = ${msisdn}`
    await expect(run(extend, { audit: false })).rejects.toMatchObject({ code: 'NG001' })
    await expect(run(extend)).resolves.toBeUndefined()
  })
})

describe('history is never deleted or rewritten', () => {
  let held: { msisdn: string; custodyId: string; subscriberId: string }
  beforeAll(async () => {
    held = await heldNumber()
  })

  it.each([
    ['DELETE FROM custodies', () => sql`DELETE FROM custodies WHERE id = ${held.custodyId}`],
    ['DELETE FROM numbers', () => sql`DELETE FROM numbers WHERE msisdn = ${held.msisdn}`],
    ['DELETE FROM audit_records', () => sql`DELETE FROM audit_records`],
    ['UPDATE audit_records', () => sql`UPDATE audit_records SET action = 'nothing.happened'`],
    ['TRUNCATE audit_records', () => sql`TRUNCATE audit_records`],
    [
      'UPDATE custodies SET started_at',
      () => sql`UPDATE custodies SET started_at = started_at - interval '1 year' WHERE id = ${held.custodyId}`,
    ],
    [
      'UPDATE custodies SET subscriber_id',
      () => sql`UPDATE custodies SET subscriber_id = ${held.subscriberId} WHERE id = ${held.custodyId}`,
    ],
    ['UPDATE custodies SET basis', () => sql`UPDATE custodies SET basis = 'sale' WHERE id = ${held.custodyId}`],
    ['UPDATE numbers SET msisdn', () => sql`UPDATE numbers SET msisdn = '+85512000999' WHERE msisdn = ${held.msisdn}`],
    ['DELETE FROM sim_bindings', () => sql`DELETE FROM sim_bindings`],
    ['DELETE FROM staff', () => sql`DELETE FROM staff WHERE id = ${staffId}`],
    ['DELETE FROM requests', () => sql`DELETE FROM requests`],
  ])('refuses %s to the application role (42501)', async (_what, statement) => {
    const before = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_records`.execute(db)
    await expect(run(statement())).rejects.toMatchObject({ code: '42501' })
    const after = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_records`.execute(db)
    expect(after.rows[0].n).toBe(before.rows[0].n)
    expect(await openCustodies(held.msisdn)).toBe(1)
  })

  it('closes a custody once and refuses closing or reopening it again (NG006)', async () => {
    const { msisdn, custodyId } = await heldNumber()
    // A lawful close: the custody ends and the number leaves the held states in the same audited transaction.
    await inTransaction(async (tx) => {
      await sql`UPDATE custodies SET ended_at = now(), end_reason = 'inactivity' WHERE id = ${custodyId}`.execute(tx)
      await sql`UPDATE numbers SET state = 'aging', state_changed_at = now() WHERE msisdn = ${msisdn}`.execute(tx)
    })
    await expect(
      run(sql`UPDATE custodies SET ended_at = now(), end_reason = 'termination' WHERE id = ${custodyId}`),
    ).rejects.toMatchObject({
      code: 'NG006',
    })
    await expect(
      run(sql`UPDATE custodies SET ended_at = NULL, end_reason = NULL WHERE id = ${custodyId}`),
    ).rejects.toMatchObject({ code: 'NG006' })
    const { rows } = await sql<{
      end_reason: string
    }>`SELECT end_reason FROM custodies WHERE id = ${custodyId}`.execute(db)
    expect(rows).toEqual([{ end_reason: 'inactivity' }])
  })
})

describe('audit records name their own transaction', () => {
  it('overwrites a claimed txid with the writer’s txid_current()', async () => {
    let stamped = 0
    let own = 0
    await db.transaction().execute(async (tx) => {
      const inserted = await sql<{ txid: number }>`
        INSERT INTO audit_records (event_id, txid, recorded_at, action, envelope)
        VALUES (gen_random_uuid(), 1, now(), 'test', '{}') RETURNING txid`.execute(tx)
      const current = await sql<{ txid: number }>`SELECT txid_current() AS txid`.execute(tx)
      stamped = Number(inserted.rows[0].txid)
      own = Number(current.rows[0].txid)
    })
    expect(stamped).not.toBe(1)
    expect(stamped).toBe(own)
  })

  it('cannot lend an earlier transaction’s record to a later change', async () => {
    const msisdn = await newNumber()
    const { rows } = await sql<{ txid: number }>`SELECT max(txid) AS txid FROM audit_records`.execute(db)
    await expect(
      inTransaction(
        async (tx) => {
          await sql`UPDATE numbers SET state = 'reserved', reserved_by = ${staffId}, reserved_until = now() + interval '1 hour' WHERE msisdn = ${msisdn}`.execute(
            tx,
          )
          // An UPDATE that re-dates an old record to this transaction is itself refused.
          await sql`UPDATE audit_records SET txid = txid_current() WHERE txid = ${rows[0].txid}`.execute(tx)
        },
        { audit: false },
      ),
    ).rejects.toMatchObject({ code: '42501' })
    expect(await numberState(msisdn)).toBe('available')
  })
})
