// The swap-cooling window in the database (issue 10 item 5, migration 040): raw SQL as the application role cannot
// execute a transfer, termination or KYC change, start a custody by transfer, end one by termination or change a
// subscriber's KYC identity within its market's swap_cooling_days after the number's latest SIM swap. Past the window
// (the positive controls) each commits. Runs on both suites: nothing here needs a second connection.
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { isPostgresSuite } from '../../test/helpers/db.ts'
import { actAsOwnerInThisTransaction } from '../../test/helpers/owner-fixture.ts'
import { swapCoolingDays } from '../changes/swap-history.ts'
import {
  EMPTY_PAYLOAD_SHA256,
  g,
  heldNumber,
  inTransaction,
  newRequest,
  run,
  setUpGuardDatabase,
} from './guards-fixtures.ts'

setUpGuardDatabase()

const refused = { code: 'NG040' }
/** `days` days from the database's now(): the swap below happens at now(). */
const inDays = (days: number) => sql`now() + make_interval(days => ${days})`

let simSeq = 0
const iccid = () => `89855040${String(++simSeq).padStart(11, '0')}`

/** A held number with a SIM, then swapped to a new SIM now on an executed lost-SIM swap request. */
async function swappedNumber() {
  const held = await heldNumber()
  const [first, second] = [iccid(), iccid()]
  await run(sql`INSERT INTO sims (iccid, imsi, state, imported_at) VALUES
                (${first}, ${`45606${first.slice(-10)}`}, 'bound', now()), (${second}, ${`45606${second.slice(-10)}`}, 'bound', now())`)
  const bindingId = randomUUID()
  await run(sql`INSERT INTO sim_bindings (id, msisdn, iccid, custody_id, started_at)
                VALUES (${bindingId}, ${held.msisdn}, ${first}, ${held.custodyId}, now() - interval '1 day')`)
  const swapId = await newRequest(held.msisdn, 'sim_swap_lost', 'executed')
  const newBindingId = randomUUID()
  await inTransaction(async (tx) => {
    await sql`UPDATE sim_bindings SET ended_at = now(), end_reason = 'sim_lost' WHERE id = ${bindingId}`.execute(tx)
    await sql`INSERT INTO sim_bindings (id, msisdn, iccid, custody_id, request_id, started_at)
              VALUES (${newBindingId}, ${held.msisdn}, ${second}, ${held.custodyId}, ${swapId}, now())`.execute(tx)
  })
  return { ...held, bindingId: newBindingId }
}

const recordConsent = (requestId: string, party: string, method: string, evidence: object) =>
  run(sql`INSERT INTO request_consents (id, request_id, party, method, recorded_at, evidence)
          VALUES (${randomUUID()}, ${requestId}, ${party}, ${method}, now(), ${JSON.stringify(evidence)}::jsonb)`)
/** The holder's YES: the code sent for the request, matched by a stored SMS reply from the number. */
async function holderSaysYes(requestId: string, msisdn: string): Promise<void> {
  const [codeId, moId] = [randomUUID(), randomUUID()]
  await inTransaction(async (tx) => {
    await sql`INSERT INTO consent_codes (id, request_id, msisdn, party, purpose, state, created_at, expires_at, closed_at)
              VALUES (${codeId}, ${requestId}, ${msisdn}, 'holder', 'consent', 'used', now() - interval '1 minute',
                      now() + interval '1 hour', now())`.execute(tx)
    await sql`INSERT INTO sms_mo_messages (id, from_msisdn, to_address, text_masked, received_at)
              VALUES (${moId}, ${msisdn}, '1234', 'YES ******', now())`.execute(tx)
  })
  await recordConsent(requestId, 'holder', 'mo_code', { mo_id: moId, from: msisdn, code_id: codeId })
}

/** A request of `kind` with every consent and approval it needs, ready to execute. */
async function readyRequest(msisdn: string, kind: 'transfer' | 'termination' | 'kyc_change'): Promise<string> {
  const id = await newRequest(msisdn, kind, 'pending')
  await holderSaysYes(id, msisdn)
  if (kind === 'transfer')
    await recordConsent(id, 'new_holder', 'id_check', { staff_id: g.staffId, kyc_doc_last4: '1234' })
  if (kind !== 'termination') {
    await run(sql`INSERT INTO request_approvals (request_id, approver_id, payload_sha256, decision, decided_at)
                  VALUES (${id}, ${g.supervisorId}, ${EMPTY_PAYLOAD_SHA256}, 'approved', now())`)
  }
  await run(sql`UPDATE requests SET status = 'approved', decided_at = now() WHERE id = ${id}`)
  return id
}
const execute = (requestId: string, days: number) =>
  run(sql`UPDATE requests SET status = 'executed', executed_at = ${inDays(days)} WHERE id = ${requestId}`)
async function statusOf(requestId: string): Promise<string> {
  const { rows } = await sql<{ status: string }>`SELECT status FROM requests WHERE id = ${requestId}`.execute(g.db)
  return rows[0].status
}

describe(`the swap-cooling window as the application role (${isPostgresSuite() ? 'postgres' : 'pglite'})`, () => {
  it('runs as the application role', async () => {
    const { rows } = await sql<{ role: string }>`SELECT current_user AS role`.execute(g.db)
    expect(rows[0].role).toBe('numguard_app')
  })

  for (const kind of ['transfer', 'termination', 'kyc_change'] as const) {
    it(`refuses executing a ${kind} 29 days after a SIM swap; it executes on day 31`, async () => {
      const n = await swappedNumber()
      const id = await readyRequest(n.msisdn, kind)
      await expect(execute(id, 29)).rejects.toMatchObject(refused)
      expect(await statusOf(id)).toBe('approved')
      await execute(id, 31)
      expect(await statusOf(id)).toBe('executed')
    })
  }

  it('refuses a custody by transfer within the window, even on an executed transfer; it starts on day 31', async () => {
    const n = await swappedNumber()
    const requestId = await readyRequest(n.msisdn, 'transfer')
    await execute(requestId, 31)
    const { rows } = await sql<{
      id: string
    }>`SELECT id FROM subscribers WHERE id <> ${n.subscriberId} LIMIT 1`.execute(g.db)
    const newHolder = rows[0].id
    const transferAt = (days: number) =>
      inTransaction(async (tx) => {
        await sql`UPDATE sim_bindings SET ended_at = ${inDays(days)}, end_reason = 'custody_ended' WHERE id = ${n.bindingId}`.execute(
          tx,
        )
        await sql`UPDATE custodies SET ended_at = ${inDays(days)}, end_reason = 'transfer' WHERE id = ${n.custodyId}`.execute(
          tx,
        )
        await sql`INSERT INTO custodies (id, msisdn, subscriber_id, basis, request_id, started_at)
                  VALUES (${randomUUID()}, ${n.msisdn}, ${newHolder}, 'transfer', ${requestId}, ${inDays(days)})`.execute(
          tx,
        )
      })
    await expect(transferAt(5)).rejects.toMatchObject(refused)
    await transferAt(31)
    const { rows: open } = await sql<{
      subscriber_id: string
    }>`SELECT subscriber_id FROM custodies WHERE msisdn = ${n.msisdn} AND ended_at IS NULL`.execute(g.db)
    expect(open).toEqual([{ subscriber_id: newHolder }])
  })

  it('refuses ending a custody by termination within the window; it ends on day 31', async () => {
    const n = await swappedNumber()
    const terminateAt = (days: number) =>
      inTransaction(async (tx) => {
        await sql`UPDATE sim_bindings SET ended_at = ${inDays(days)}, end_reason = 'custody_ended' WHERE id = ${n.bindingId}`.execute(
          tx,
        )
        await sql`UPDATE custodies SET ended_at = ${inDays(days)}, end_reason = 'termination' WHERE id = ${n.custodyId}`.execute(
          tx,
        )
        await sql`UPDATE numbers SET state = 'aging', state_changed_at = ${inDays(days)} WHERE msisdn = ${n.msisdn}`.execute(
          tx,
        )
      })
    await expect(terminateAt(29)).rejects.toMatchObject(refused)
    await terminateAt(31)
    const { rows } = await sql<{
      end_reason: string
    }>`SELECT end_reason FROM custodies WHERE id = ${n.custodyId}`.execute(g.db)
    expect(rows).toEqual([{ end_reason: 'termination' }])
  })

  it('refuses a KYC identity change of a holder within the window, and one that does not say when; day 31 commits', async () => {
    const n = await swappedNumber()
    const changeAt = (days: number | null) =>
      run(sql`UPDATE subscribers SET kyc_doc_hash = ${`new-${randomUUID()}`}, kyc_doc_last4 = '7777'
              ${days === null ? sql`` : sql`, kyc_changed_at = ${inDays(days)}`} WHERE id = ${n.subscriberId}`)
    await expect(changeAt(29)).rejects.toMatchObject(refused)
    await expect(changeAt(null)).rejects.toMatchObject(refused)
    await changeAt(31)
    const { rows } = await sql<{
      kyc_doc_last4: string
    }>`SELECT kyc_doc_last4 FROM subscribers WHERE id = ${n.subscriberId}`.execute(g.db)
    expect(rows).toEqual([{ kyc_doc_last4: '7777' }])
  })

  it('lets a number that was never swapped change hands today, and a holder change other details freely', async () => {
    const n = await heldNumber()
    const id = await readyRequest(n.msisdn, 'kyc_change')
    await execute(id, 0)
    await run(
      sql`UPDATE subscribers SET kyc_doc_hash = ${`new-${randomUUID()}`}, kyc_changed_at = now() WHERE id = ${n.subscriberId}`,
    )
    const swapped = await swappedNumber()
    await run(sql`UPDATE subscribers SET alt_contact = '+85592555111' WHERE id = ${swapped.subscriberId}`)
    expect(await statusOf(id)).toBe('executed')
  })

  it("reads the number's market figure: a longer window (set by the schema owner) refuses day 31 too", async () => {
    const n = await swappedNumber()
    const id = await readyRequest(n.msisdn, 'transfer')
    const rolledBack = new Error('rolled back on purpose')
    await expect(
      g.db.transaction().execute(async (tx) => {
        await actAsOwnerInThisTransaction(tx)
        await sql`UPDATE markets SET swap_cooling_days = 60 WHERE code = 'KH'`.execute(tx)
        await sql`SET LOCAL ROLE numguard_app`.execute(tx)
        expect(await swapCoolingDays(tx, n.msisdn)).toBe(60)
        // The request's check waits for the commit; checked at the statement here, within this rolled-back transaction.
        await sql`SET CONSTRAINTS swap_cooling_request_rule IMMEDIATE`.execute(tx)
        await expect(
          sql`UPDATE requests SET status = 'executed', executed_at = ${inDays(31)} WHERE id = ${id}`.execute(tx),
        ).rejects.toMatchObject(refused)
        throw rolledBack
      }),
    ).rejects.toBe(rolledBack)
    expect(await swapCoolingDays(g.db, n.msisdn)).toBe(30)
  })
})
