// The database is the last guard (docs/DOMAIN.md invariants 1, 2, 6, 8): raw SQL run as the application role, the way a
// buggy command or someone with the app's credentials would, must be refused by the database itself.
// Runs on both suites; SQLSTATEs come from the driver error's `.code` (pg and PGlite both carry it).
// This file: invariant 6 (audit in the same transaction) and history that is never rewritten.
import { randomUUID } from 'node:crypto'
import { type RawBuilder, sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  closedMigrationCustody,
  EMPTY_PAYLOAD_SHA256,
  g,
  heldNumber,
  insertSaleCustody,
  inTransaction,
  newMigrationBatch,
  newNumber,
  newSubscriber,
  numberState,
  openCustodies,
  run,
  setUpGuardDatabase,
  type Tx,
  writeAudit,
} from './guards-fixtures.ts'

setUpGuardDatabase()

describe('invariant 6: a guarded change commits only with an audit record of its own transaction', () => {
  interface Case {
    name: string
    /** Committed, audited preparation; returns what change and check need. */
    prepare: () => Promise<string>
    change: (tx: Tx, key: string) => Promise<unknown>
    /** True once the change is in the g.database. */
    changed: (key: string) => Promise<boolean>
  }
  const exists = async (query: RawBuilder<{ n: number }>) => (await query.execute(g.db)).rows[0].n > 0

  const cases: Case[] = [
    {
      name: 'a number going from available to reserved',
      prepare: () => newNumber(),
      change: (tx, msisdn) =>
        sql`UPDATE numbers SET state = 'reserved', reserved_by = ${g.staffId}, reserved_until = now() + interval '30 minutes', state_changed_at = now()
             WHERE msisdn = ${msisdn}`.execute(tx),
      changed: async (msisdn) => (await numberState(msisdn)) === 'reserved',
    },
    {
      name: 'a new staff member',
      prepare: async () => randomUUID(),
      change: (tx, id) =>
        sql`INSERT INTO staff (id, username, display_name, password_hash, roles, created_at, updated_at)
            VALUES (${id}, ${`ghost.${id.slice(0, 8)}`}, 'Ghost', 'x', '{}', now(), now())`.execute(tx),
      changed: (id) => exists(sql<{ n: number }>`SELECT count(*)::int AS n FROM staff WHERE id = ${id}`),
    },
    {
      name: 'a new request',
      prepare: async () => randomUUID(),
      change: (tx, id) =>
        sql`INSERT INTO requests (id, kind, status, payload, payload_sha256, requested_by, requested_at, expires_at)
            VALUES (${id}, 'policy_change', 'pending', '{}', ${EMPTY_PAYLOAD_SHA256}, ${g.staffId}, now(), now() + interval '1 day')`.execute(
          tx,
        ),
      changed: (id) => exists(sql<{ n: number }>`SELECT count(*)::int AS n FROM requests WHERE id = ${id}`),
    },
    {
      // Roles change only by an executed role_grant (037, src/db/staff-guard.test.ts); any staff change needs its leaf.
      name: 'a staff member’s display name',
      prepare: async () => g.staffId,
      change: (tx, id) => sql`UPDATE staff SET display_name = 'Renamed agent' WHERE id = ${id}`.execute(tx),
      changed: (id) =>
        exists(
          sql<{ n: number }>`SELECT count(*)::int AS n FROM staff WHERE id = ${id} AND display_name = 'Renamed agent'`,
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
          await sql`UPDATE numbers SET state = 'reserved', reserved_by = ${g.staffId}, reserved_until = now() + interval '30 minutes' WHERE msisdn = ${msisdn}`.execute(
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
    // audit_records is a view over the log since migration 020; the queue behind it is audit_queue.
    ['TRUNCATE audit_queue', () => sql`TRUNCATE audit_queue`],
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
    ['DELETE FROM staff', () => sql`DELETE FROM staff WHERE id = ${g.staffId}`],
    ['DELETE FROM requests', () => sql`DELETE FROM requests`],
  ])('refuses %s to the application role (42501)', async (_what, statement) => {
    const before = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_records`.execute(g.db)
    await expect(run(statement())).rejects.toMatchObject({ code: '42501' })
    const after = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_records`.execute(g.db)
    expect(after.rows[0].n).toBe(before.rows[0].n)
    expect(await openCustodies(held.msisdn)).toBe(1)
  })

  it('closes a custody once and refuses closing or reopening it again (NG006)', async () => {
    const { msisdn, custodyId } = await heldNumber()
    // A lawful close: the custody ends and the number leaves the held states in the same audited transaction.
    await inTransaction(async (tx) => {
      await sql`UPDATE custodies SET ended_at = now(), end_reason = 'legal_order' WHERE id = ${custodyId}`.execute(tx)
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
    }>`SELECT end_reason FROM custodies WHERE id = ${custodyId}`.execute(g.db)
    expect(rows).toEqual([{ end_reason: 'legal_order' }])
  })
})

describe('audit records name their own transaction', () => {
  it('overwrites a claimed txid with the writer’s txid_current()', async () => {
    let stamped = 0
    let own = 0
    await g.db.transaction().execute(async (tx) => {
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
    const { rows } = await sql<{ txid: number }>`SELECT max(txid) AS txid FROM audit_records`.execute(g.db)
    await expect(
      inTransaction(
        async (tx) => {
          await sql`UPDATE numbers SET state = 'reserved', reserved_by = ${g.staffId}, reserved_until = now() + interval '1 hour' WHERE msisdn = ${msisdn}`.execute(
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
