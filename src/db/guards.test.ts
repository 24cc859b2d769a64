// The database is the last guard (docs/DOMAIN.md invariants 1, 2, 6, 8): raw SQL run as the application role, the way a
// buggy command or someone with the app's credentials would, must be refused by the database itself.
// Runs on both suites; SQLSTATEs come from the driver error's `.code` (pg and PGlite both carry it).
// This file: invariants 1 and 2, the lifecycle and reservation leases. audit-guards.test.ts: invariant 6 and history.
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { isPostgresSuite } from '../../test/helpers/db.ts'
import {
  closedMigrationCustody,
  g,
  heldNumber,
  insertSaleCustody,
  inTransaction,
  newMigrationBatch,
  newNumber,
  newRequest,
  newSubscriber,
  nextMsisdn,
  numberState,
  openCustodies,
  run,
  setUpGuardDatabase,
} from './guards-fixtures.ts'

setUpGuardDatabase()

describe(`the application role (${isPostgresSuite() ? 'postgres' : 'pglite'})`, () => {
  it('is what these statements run as', async () => {
    const { rows } = await sql<{ role: string }>`SELECT current_user AS role`.execute(g.db)
    expect(rows[0].role).toBe('numguard_app')
  })

  it.each([
    ['switch triggers off for the session', sql`SET session_replication_role = replica`],
    ['disable the triggers of numbers', sql`ALTER TABLE numbers DISABLE TRIGGER ALL`],
    ['drop the audit requirement', sql`DROP TRIGGER audit_required ON audit_tx_guard`],
    ['clear the pending audit checks', sql`DELETE FROM audit_tx_guard`],
  ])('cannot %s (42501)', async (_what, statement) => {
    await expect(statement.execute(g.db)).rejects.toMatchObject({ code: '42501' })
  })
})

describe('invariant 1: one open custody per number, never overlapping periods', () => {
  it('refuses a second open custody for a held number, even on an executed request (23P01)', async () => {
    const { msisdn } = await heldNumber()
    const requestId = await newRequest(msisdn, 'port_in', 'executed')
    const newcomer = await newSubscriber()
    await expect(
      run(sql`INSERT INTO custodies (id, msisdn, subscriber_id, basis, request_id, started_at)
              VALUES (${randomUUID()}, ${msisdn}, ${newcomer}, 'port_in', ${requestId}, now())`),
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
    }>`SELECT subscriber_id FROM custodies WHERE msisdn = ${msisdn} ORDER BY started_at`.execute(g.db)
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
    const requestId = await newRequest(msisdn, 'restoration', 'executed')
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

  // A custody that rests on a request is shown with a port-in, which needs nothing but its executed request here
  // (a transfer needs the holder's consent, a restoration its case: migrations 013, 038 and 042 check those).
  describe('a custody that rests on a request', () => {
    /** Ends the current custody and starts the newcomer's on `requestId`, as an executed port-in would. */
    const transferTo = (msisdn: string, custodyId: string, newcomer: string, requestId: string | null) =>
      inTransaction(async (tx) => {
        await sql`UPDATE custodies SET ended_at = now(), end_reason = 'ported_out' WHERE id = ${custodyId}`.execute(tx)
        await sql`INSERT INTO custodies (id, msisdn, subscriber_id, basis, request_id, started_at)
                  VALUES (${randomUUID()}, ${msisdn}, ${newcomer}, 'port_in', ${requestId}, now())`.execute(tx)
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
      ['a request that is only approved', 'port_in', 'approved', 'same'],
      ['a pending request', 'port_in', 'pending', 'same'],
      ['an executed request of another kind', 'legal_order', 'executed', 'same'],
      ['an executed port-in of another number', 'port_in', 'executed', 'other'],
    ] as const)('is refused when it names %s (NG005)', async (_what, kind, status, whose) => {
      const { msisdn, custodyId } = await heldNumber()
      const requestId = await newRequest(whose === 'same' ? msisdn : await newNumber(), kind, status)
      await expect(transferTo(msisdn, custodyId, await newSubscriber(), requestId)).rejects.toMatchObject({
        code: 'NG005',
      })
      const { rows } = await sql<{
        id: string
      }>`SELECT id FROM custodies WHERE msisdn = ${msisdn} AND ended_at IS NULL`.execute(g.db)
      expect(rows.map((r) => r.id)).toEqual([custodyId])
    })

    it('commits when it names the executed port-in request of this number', async () => {
      const { msisdn, custodyId } = await heldNumber()
      const requestId = await newRequest(msisdn, 'port_in', 'executed')
      const newcomer = await newSubscriber()
      await transferTo(msisdn, custodyId, newcomer, requestId)
      const { rows } = await sql<{ subscriber_id: string; request_id: string }>`
        SELECT subscriber_id, request_id FROM custodies WHERE msisdn = ${msisdn} AND ended_at IS NULL`.execute(g.db)
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
    }>`SELECT migration_batch_id AS batch FROM custodies WHERE msisdn = ${msisdn}`.execute(g.db)
    expect(rows).toEqual([{ batch: executed }])
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
    const msisdn = nextMsisdn()
    await expect(
      run(
        sql`INSERT INTO numbers (msisdn, range_id, category, state, state_changed_at) VALUES (${msisdn}, ${g.rangeId}, 'standard', 'active', now())`,
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
    // Termination: an inactivity end needs its withdrawal decision as well (recycling-chain.test.ts).
    const close = sql`UPDATE custodies SET ended_at = now(), end_reason = 'termination' WHERE id = ${custodyId}`
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
    const reserve = sql`UPDATE numbers SET state = 'reserved', reserved_by = ${g.staffId}, reserved_until = now() + interval '30 minutes' WHERE msisdn = ${msisdn}`
    await run(reserve)
    const extend = sql`UPDATE numbers SET reserved_until = now() + interval '100 years' WHERE msisdn = ${msisdn}`
    await expect(run(extend, { audit: false })).rejects.toMatchObject({ code: 'NG001' })
    await expect(run(extend)).resolves.toBeUndefined()
  })
})
