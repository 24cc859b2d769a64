// The database's own guards on customer sessions (migration 012): raw SQL as the application role, the way a buggy
// command or someone with the app's credentials would write, is refused.
import { randomUUID } from 'node:crypto'
import { sql, type Transaction } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { makeActiveNumber, makeStaff, type TestStaff } from '../../test/helpers/factories.ts'
import type { DB } from '../db/types.ts'

let t: TestApp
let agent: TestStaff
let holding: { msisdn: string; subscriberId: string; custodyId: string }

beforeAll(async () => {
  t = await openTestApp()
  agent = await makeStaff(t.app, ['agent'])
  const { msisdn, sale } = await makeActiveNumber(t.app)
  holding = { msisdn, subscriberId: sale.subscriber_id, custodyId: sale.custody_id }
})
afterAll(() => t.close())

const audit = (tx: Transaction<DB>) =>
  sql`INSERT INTO audit_records (event_id, txid, recorded_at, action, envelope)
      VALUES (gen_random_uuid(), 0, now(), 'test', '{}')`.execute(tx)

function insertOpenSession(tx: Transaction<DB>, id = randomUUID()) {
  return sql`INSERT INTO customer_sessions (id, staff_id, staff_session_id, subscriber_id, msisdn, custody_id, method,
                                            state, created_at, opened_at, expires_at)
             VALUES (${id}, ${agent.id}, ${agent.actor.sessionId}, ${holding.subscriberId}, ${holding.msisdn},
                     ${holding.custodyId}, 'id_document', 'open', now(), now(), now() + interval '30 minutes')`.execute(
    tx,
  )
}

describe('customer sessions in the database', () => {
  it('refuse a session written without its audit record (NG001)', async () => {
    await expect(t.app.db.transaction().execute((tx) => insertOpenSession(tx))).rejects.toMatchObject({ code: 'NG001' })
  })

  it('only move forward: a closed session never opens again (NG003)', async () => {
    const id = randomUUID()
    await t.app.db.transaction().execute(async (tx) => {
      await insertOpenSession(tx, id)
      await sql`UPDATE customer_sessions SET state = 'closed', closed_at = now() WHERE id = ${id}`.execute(tx)
      await audit(tx)
    })
    await expect(
      t.app.db.transaction().execute(async (tx) => {
        await sql`UPDATE customer_sessions SET state = 'open' WHERE id = ${id}`.execute(tx)
        await audit(tx)
      }),
    ).rejects.toMatchObject({ code: 'NG003' })
  })

  it('refuse to open a session for an agent locked out of that number, even with an audit record (NG006)', async () => {
    const locked = await makeStaff(t.app, ['agent'])
    await t.app.db.transaction().execute(async (tx) => {
      await sql`INSERT INTO customer_auth_locks (id, staff_id, msisdn, failures, locked_at, locked_until)
                VALUES (${randomUUID()}, ${locked.id}, ${holding.msisdn}, 5, now() - interval '1 minute',
                        now() + interval '1 day')`.execute(tx)
      await audit(tx)
    })
    await expect(
      t.app.db.transaction().execute(async (tx) => {
        await sql`INSERT INTO customer_sessions (id, staff_id, staff_session_id, subscriber_id, msisdn, custody_id,
                                                 method, state, created_at, opened_at, expires_at)
                  VALUES (${randomUUID()}, ${locked.id}, ${locked.actor.sessionId}, ${holding.subscriberId},
                          ${holding.msisdn}, ${holding.custodyId}, 'id_document', 'open', now(), now(),
                          now() + interval '30 minutes')`.execute(tx)
        await audit(tx)
      }),
    ).rejects.toMatchObject({ code: 'NG006' })
  })

  it.each([
    ['delete a failure', sql`DELETE FROM customer_auth_failures`],
    ['shorten a lock', sql`UPDATE customer_auth_locks SET locked_until = locked_at + interval '1 second'`],
    ['move a session to another subscriber', sql`UPDATE customer_sessions SET subscriber_id = subscriber_id`],
  ])('refuse the application role to %s (42501)', async (_what, statement) => {
    await expect(statement.execute(t.app.db)).rejects.toMatchObject({ code: '42501' })
  })
})
