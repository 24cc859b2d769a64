// The ground a custody or SIM binding rests on must itself be honest (invariants 2 and 7, docs/DOMAIN.md's request
// table): raw SQL as the application role cannot make a request, an approval or a migration batch that the
// database would then accept as a lawful basis. Runs on both suites.
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import {
  EMPTY_PAYLOAD_SHA256,
  g,
  heldNumber,
  inTransaction,
  newMigrationBatch,
  newNumber,
  newRequest,
  newSubscriber,
  openCustodies,
  run,
  runAsOwner,
  setUpGuardDatabase,
  storedCodeReply,
} from './guards-fixtures.ts'

setUpGuardDatabase()

// An approval of another payload is refused when it is inserted (038): see request-integrity.test.ts.
const approve = (requestId: string, approverId: string, payloadSha256 = EMPTY_PAYLOAD_SHA256) =>
  run(sql`INSERT INTO request_approvals (request_id, approver_id, payload_sha256, decision, decided_at)
          VALUES (${requestId}, ${approverId}, ${payloadSha256}, 'approved', now())`)
const setStatus = (requestId: string, status: string) =>
  run(sql`UPDATE requests SET status = ${status}, decided_at = now(),
          executed_at = CASE WHEN ${status} = 'executed' THEN now() END WHERE id = ${requestId}`)

const recordConsent = (requestId: string, party: string, method: string, evidence: object) =>
  run(sql`INSERT INTO request_consents (id, request_id, party, method, recorded_at, evidence)
          VALUES (${randomUUID()}, ${requestId}, ${party}, ${method}, now(), ${JSON.stringify(evidence)}::jsonb)`)

async function newStaff(roles: string[], shopId: string | null, status = 'active'): Promise<string> {
  const id = randomUUID()
  await runAsOwner(sql`INSERT INTO staff (id, username, display_name, password_hash, roles, shop_id, status, created_at, updated_at)
                VALUES (${id}, ${`guards.${id.slice(0, 8)}`}, 'Staff', 'x', ${roles}, ${shopId}, ${status}, now(), now())`)
  return id
}

describe('requests', () => {
  it('are born pending (NG007)', async () => {
    await expect(
      run(sql`INSERT INTO requests (id, kind, msisdn, status, payload, payload_sha256, requested_by, requested_at, expires_at, executed_at)
              VALUES (${randomUUID()}, 'restoration', NULL, 'executed', '{}', ${'a'.repeat(64)}, ${g.staffId}, now(), now(), now())`),
    ).rejects.toMatchObject({ code: 'NG007' })
  })

  it('move only forward: pending cannot jump to executed (NG007)', async () => {
    const id = await newRequest(null, 'retirement', 'pending')
    await approve(id, g.complianceId)
    await expect(setStatus(id, 'executed')).rejects.toMatchObject({ code: 'NG007' })
  })

  it('never change what they ask (NG007)', async () => {
    const id = await newRequest(await newNumber(), 'restoration', 'pending')
    await expect(
      run(sql`UPDATE requests SET payload = '{"to":"someone else"}' WHERE id = ${id}`),
    ).rejects.toMatchObject({ code: 'NG007' })
  })

  it.each([
    ['no approval at all', async (_id: string) => {}],
    [
      'an approval by a staff member without the approving role',
      async (id: string) => approve(id, await newStaff(['agent'], 'guards-shop-2')),
    ],
    [
      'an approval by a suspended supervisor',
      async (id: string) => approve(id, await newStaff(['supervisor'], 'guards-shop-2', 'suspended')),
    ],
    [
      'an approval by a supervisor of the requester’s own shop',
      async (id: string) => approve(id, await newStaff(['supervisor'], 'guards-shop')),
    ],
  ])('cannot be approved with %s (NG007)', async (_what, give) => {
    const id = await newRequest(await newNumber(), 'reclaim', 'pending')
    await give(id)
    await expect(setStatus(id, 'approved')).rejects.toMatchObject({ code: 'NG007' })
  })

  it('cannot be approved by their own requester (NG007)', async () => {
    const id = await newRequest(await newNumber(), 'reclaim', 'pending')
    await expect(approve(id, g.staffId)).rejects.toMatchObject({ code: 'NG007' })
  })

  it('that need consents are approved on their approval but execute only on every recorded consent (NG007)', async () => {
    const msisdn = await newNumber()
    const id = await newRequest(msisdn, 'transfer', 'pending')
    await approve(id, g.supervisorId)
    await setStatus(id, 'approved')
    await expect(setStatus(id, 'executed')).rejects.toMatchObject({ code: 'NG007' })
    // The holder's YES by SMS alone is not enough: a transfer needs the new holder's ID check too.
    await recordConsent(id, 'holder', 'mo_code', await storedCodeReply(id, msisdn))
    await expect(setStatus(id, 'executed')).rejects.toMatchObject({ code: 'NG007' })
    await recordConsent(id, 'new_holder', 'id_check', { staff_id: g.staffId, kyc_doc_last4: '1234' })
    await setStatus(id, 'executed')
    const { rows } = await sql<{ status: string }>`SELECT status FROM requests WHERE id = ${id}`.execute(g.db)
    expect(rows).toEqual([{ status: 'executed' }])
  })

  it('refuse a code consent that is not an SMS reply from the number itself (NG007)', async () => {
    const msisdn = await newNumber()
    const id = await newRequest(msisdn, 'transfer', 'pending')
    await expect(
      recordConsent(id, 'holder', 'mo_code', { mo_id: randomUUID(), from: '+85512999999', code_id: randomUUID() }),
    ).rejects.toMatchObject({ code: 'NG007' })
    await expect(recordConsent(id, 'holder', 'mo_code', { from: msisdn })).rejects.toMatchObject({ code: 'NG007' })
  })

  it('keep an approval that is voided once, and refuse voiding it again (NG007)', async () => {
    const id = await newRequest(await newNumber(), 'reclaim', 'pending')
    await approve(id, g.supervisorId)
    const voidIt = sql`UPDATE request_approvals SET voided_at = now() WHERE request_id = ${id}`
    await run(voidIt)
    await expect(run(voidIt)).rejects.toMatchObject({ code: 'NG007' })
    await expect(setStatus(id, 'approved')).rejects.toMatchObject({ code: 'NG007' })
  })
})

describe('migration batches', () => {
  it('are born pending and execute only on their executed request (NG007)', async () => {
    await expect(
      run(sql`INSERT INTO migration_batches (id, source, status, input_sha256, created_at, executed_at)
              VALUES (${randomUUID()}, 'legacy', 'executed', ${'b'.repeat(64)}, now(), now())`),
    ).rejects.toMatchObject({ code: 'NG007' })
    const pending = await newMigrationBatch('pending')
    await expect(
      run(sql`UPDATE migration_batches SET status = 'executed', executed_at = now() WHERE id = ${pending}`),
    ).rejects.toMatchObject({
      code: 'NG007',
    })
  })
})

describe('the incident in raw SQL', () => {
  it('refuses handing an active number to a stranger on a self-made "executed" transfer', async () => {
    const { msisdn, custodyId } = await heldNumber()
    const stranger = await newSubscriber()
    const requestId = randomUUID()
    await expect(
      inTransaction(async (tx) => {
        await sql`UPDATE custodies SET ended_at = now(), end_reason = 'transfer' WHERE id = ${custodyId}`.execute(tx)
        await sql`INSERT INTO requests (id, kind, msisdn, status, payload, payload_sha256, requested_by, requested_at, expires_at, executed_at)
                  VALUES (${requestId}, 'transfer', ${msisdn}, 'executed', '{}', ${'a'.repeat(64)}, ${g.staffId}, now(), now(), now())`.execute(
          tx,
        )
        await sql`INSERT INTO custodies (id, msisdn, subscriber_id, basis, request_id, started_at)
                  VALUES (${randomUUID()}, ${msisdn}, ${stranger}, 'transfer', ${requestId}, now())`.execute(tx)
      }),
    ).rejects.toMatchObject({ code: 'NG007' })
    expect(await openCustodies(msisdn)).toBe(1)
  })
})

describe('SIM bindings', () => {
  let simSeq = 0
  async function boundNumber() {
    const held = await heldNumber()
    const iccid = () => `89855019${String(++simSeq).padStart(11, '0')}`
    const [first, second] = [iccid(), iccid()]
    await run(sql`INSERT INTO sims (iccid, imsi, state, imported_at) VALUES
                  (${first}, ${`45606${first.slice(-10)}`}, 'bound', now()), (${second}, ${`45606${second.slice(-10)}`}, 'bound', now())`)
    const bindingId = randomUUID()
    await run(sql`INSERT INTO sim_bindings (id, msisdn, iccid, custody_id, started_at)
                  VALUES (${bindingId}, ${held.msisdn}, ${first}, ${held.custodyId}, now())`)
    return { ...held, bindingId, second }
  }
  const swap = (
    n: { msisdn: string; custodyId: string; bindingId: string; second: string },
    requestId: string | null,
  ) =>
    inTransaction(async (tx) => {
      await sql`UPDATE sim_bindings SET ended_at = now(), end_reason = 'sim_swap' WHERE id = ${n.bindingId}`.execute(tx)
      await sql`INSERT INTO sim_bindings (id, msisdn, iccid, custody_id, request_id, started_at)
                VALUES (${randomUUID()}, ${n.msisdn}, ${n.second}, ${n.custodyId}, ${requestId}, now())`.execute(tx)
    })

  it('refuse a SIM swap that names no executed swap request (NG008), accept one that does', async () => {
    const n = await boundNumber()
    await expect(swap(n, null)).rejects.toMatchObject({ code: 'NG008' })
    await swap(n, await newRequest(n.msisdn, 'sim_swap_lost', 'executed'))
    const { rows } = await sql<{
      iccid: string
    }>`SELECT iccid FROM sim_bindings WHERE msisdn = ${n.msisdn} AND ended_at IS NULL`.execute(g.db)
    expect(rows).toEqual([{ iccid: n.second }])
  })

  it('refuse a binding that names another number’s custody (NG008)', async () => {
    const n = await boundNumber()
    const other = await heldNumber()
    await expect(
      run(sql`INSERT INTO sim_bindings (id, msisdn, iccid, custody_id, started_at)
              VALUES (${randomUUID()}, ${other.msisdn}, ${n.second}, ${n.custodyId}, now())`),
    ).rejects.toMatchObject({ code: 'NG008' })
  })
})
