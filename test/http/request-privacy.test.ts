// Invariant 10 on requests and the recycling overview: a request's payload names subscribers (ids, ICCIDs, names,
// ID last 4), so an agent reads it only when they filed it or inside a customer session for the holder who held the
// number when it was filed; their request list holds only those. Supervisors, compliance officers and auditors keep
// every payload (approvers sign what they see). The recycling overview lists which numbers are where in their cycle
// only to supervisors, inventory managers, compliance officers and auditors; agents get the counts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { audited, recordAudit } from '../../src/audit/record.ts'
import { runCommand } from '../../src/audit/run-command.ts'
import { sellNumber } from '../../src/inventory/sales.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { makeSims, makeStaff, newSubscriber, SYSTEM, type TestStaff } from '../helpers/factories.ts'
import { actAsOwnerInThisTransaction } from '../helpers/owner-fixture.ts'
import { agingNumber, type HeldNumber, sellTo } from '../helpers/reclaim-fixtures.ts'
import { FakeTransport } from '../helpers/sms.ts'
import { auth, extraSession } from './support.ts'

let t: TestApp
let filer: TestStaff
let other: TestStaff
let supervisor: TestStaff
let compliance: TestStaff
let auditor: TestStaff
let manager: TestStaff
let dara: HeldNumber
let sokha: HeldNumber
let chenda: HeldNumber
const filed = { kyc: '', transfer: '', reclaim: '', policy: '' }
const secrets: string[] = ['Dara Renamed', 'Vanna Newholder', 'Chenda Former', 'N7654321', 'kyc_doc_last4']

type Who = TestStaff | string
const headers = (who: Who) => auth(typeof who === 'string' ? who : who.token)
const get = (who: Who, url: string) => t.server.inject({ method: 'GET', url, headers: headers(who) })
const post = (who: Who, url: string, payload: Record<string, unknown> = {}) =>
  t.server.inject({ method: 'POST', url, headers: headers(who), payload })
const num = (msisdn: string) => `/api/v1/numbers/${encodeURIComponent(msisdn)}`
const listIds = async (who: Who, query = '') => {
  const res = await get(who, `/api/v1/requests?limit=100${query}`)
  expect(res.statusCode, res.body).toBe(200)
  return { ids: res.json().items.map((r: { id: string }) => r.id) as string[], body: res.body }
}

function expectNoSubscriberData(text: string) {
  for (const secret of secrets) expect(text, `leaks ${secret}`).not.toContain(secret)
}

async function fileOk(who: TestStaff, url: string, body: Record<string, unknown>) {
  const res = await post(who, url, body)
  expect(res.statusCode, res.body).toBe(200)
  const r = res.json()
  expect(r.payload, 'the filer reads their own request').not.toBeNull()
  return r
}

/** Opens a customer session for a number's holder on the ID document they present. */
async function verifyHolder(agent: Who, msisdn: string, document: string) {
  const res = await post(agent, '/api/v1/customer-sessions', { msisdn, method: 'id_document', document })
  expect(res.statusCode, res.body).toBe(200)
  expect(res.json().state).toBe('open')
}

beforeAll(async () => {
  t = await openTestApp({}, { sms: { transport: new FakeTransport() } })
  // Chenda's number was withdrawn for inactivity (the clock moves 90 days); she comes back to reclaim it.
  chenda = await agingNumber(t.app, t.clock, { subscriber: { name: 'Chenda Former' } })
  filer = await makeStaff(t.app, ['agent'])
  other = await makeStaff(t.app, ['agent'])
  supervisor = await makeStaff(t.app, ['supervisor'])
  compliance = await makeStaff(t.app, ['compliance_officer'])
  auditor = await makeStaff(t.app, ['auditor'])
  manager = await makeStaff(t.app, ['inventory_manager'])
  dara = await sellTo(t.app, { subscriber: { name: 'Dara Holder' } })
  sokha = await sellTo(t.app, { subscriber: { name: 'Sokha Holder' } })

  // The filer authenticates each holder before filing (issue 9 item 9), at a desk of their own: another sign-in,
  // so that the filer's main session below has no customer session and shows only what filing gives them.
  const desk = { ...filer, token: (await extraSession(t.app, filer.id)).token }
  await verifyHolder(desk, dara.msisdn, dara.subscriber.kyc_doc_number)
  await verifyHolder(desk, sokha.msisdn, sokha.subscriber.kyc_doc_number)
  const kyc = await fileOk(desk, `${num(dara.msisdn)}/kyc-change`, {
    kyc_doc_kind: 'passport',
    kyc_doc_number: 'N7654321',
    name: 'Dara Renamed',
  })
  const [iccid] = await makeSims(t.app, filer.shopId as string, 1)
  const transfer = await fileOk(desk, `${num(sokha.msisdn)}/transfer`, {
    iccid,
    new_subscriber: newSubscriber({ name: 'Vanna Newholder' }),
  })
  const reclaim = await fileOk(filer, `${num(chenda.msisdn)}/reclaim`, {
    kyc_doc_number: chenda.subscriber.kyc_doc_number,
  })
  const policy = await fileOk(manager, '/api/v1/policies', { params: { aging_days: 120 } })
  Object.assign(filed, { kyc: kyc.id, transfer: transfer.id, reclaim: reclaim.id, policy: policy.id })
  secrets.push(
    ...[dara, sokha, chenda].flatMap((h) => [h.subscriberId, h.custodyId, h.iccid]),
    transfer.payload.to_subscriber_id,
    iccid,
  )
})
afterAll(() => t.close())

describe('an agent who neither filed a request nor verified the holder', () => {
  it('reads its kind, status, number, hash, dates and people — not its payload — on GET /api/v1/requests/:id', async () => {
    const res = await get(other, `/api/v1/requests/${filed.kyc}`)
    expect(res.statusCode, res.body).toBe(200)
    const r = res.json()
    expect(r).toMatchObject({
      id: filed.kyc,
      kind: 'kyc_change',
      msisdn: dara.msisdn,
      status: 'pending',
      payload: null,
      outcome: null,
      payload_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      requested_by: { id: filer.id },
      assigned_to: { id: supervisor.id },
      rule: { consents: [{ party: 'holder', method: 'mo_code' }] },
      payload_withheld: { reason: 'customer_session_required', verify_customer: true },
    })
    expect(r.requested_at).toBeTruthy()
    expect(r.expires_at).toBeTruthy()
    expect(r.payload_withheld.message).toMatch(/verify the customer/)
    expectNoSubscriberData(res.body)
    // What consents are still outstanding stays readable: it names parties, not people.
    const consents = await get(other, `/api/v1/requests/${filed.kyc}/consents`)
    expect(consents.statusCode, consents.body).toBe(200)
    expect(consents.json().outstanding).toEqual([{ party: 'holder', method: 'mo_code' }])
  })

  it('does not find other agents’ requests in the request list, whatever the filter', async () => {
    for (const query of ['', '&status=pending', `&msisdn=${encodeURIComponent(dara.msisdn)}`, '&kind=transfer']) {
      const { ids, body } = await listIds(other, query)
      expect(ids, query).not.toContain(filed.kyc)
      expect(ids, query).not.toContain(filed.transfer)
      expect(ids, query).not.toContain(filed.reclaim)
      expectNoSubscriberData(body)
    }
  })

  it('sees what is open on a number, payloads withheld, on GET /api/v1/numbers/:msisdn/requests', async () => {
    for (const [held, id] of [
      [dara, filed.kyc],
      [sokha, filed.transfer],
      [chenda, filed.reclaim],
    ] as const) {
      const res = await get(other, `${num(held.msisdn)}/requests`)
      expect(res.statusCode, res.body).toBe(200)
      expect(res.json().items).toMatchObject([{ id, status: 'pending', payload: null, outcome: null }])
      expectNoSubscriberData(res.body)
    }
    // Nobody holds an ageing number: verifying a customer would not show the former holder's reclaim.
    const reclaim = (await get(other, `/api/v1/requests/${filed.reclaim}`)).json()
    expect(reclaim.payload_withheld).toMatchObject({ verify_customer: false })
  })

  it('reads a policy proposal (it names no subscriber), which its list holds too', async () => {
    const res = await get(other, `/api/v1/requests/${filed.policy}`)
    expect(res.json()).toMatchObject({ kind: 'policy_change', payload_withheld: null })
    expect(res.json().payload).toMatchObject({ params: expect.objectContaining({ aging_days: 120 }) })
    expect((await listIds(other)).ids).toContain(filed.policy)
  })
})

describe('the agent who filed them', () => {
  it('reads their payloads on the request, their list and the number’s list', async () => {
    const one = (await get(filer, `/api/v1/requests/${filed.transfer}`)).json()
    expect(one).toMatchObject({ payload_withheld: null, payload: { from_subscriber_id: sokha.subscriberId } })
    const { ids } = await listIds(filer)
    expect(ids).toEqual(expect.arrayContaining([filed.kyc, filed.transfer, filed.reclaim]))
    expect((await listIds(filer, '&mine=true')).ids).toEqual(expect.arrayContaining([filed.kyc, filed.transfer]))
    const onNumber = (await get(filer, `${num(dara.msisdn)}/requests`)).json()
    expect(onNumber.items[0].payload).toMatchObject({ subscriber_id: dara.subscriberId, name: 'Dara Renamed' })
  })
})

describe('supervisors, compliance officers and auditors', () => {
  it('list every request with its payload; the assignee approves the hash of the payload they read', async () => {
    for (const who of [supervisor, compliance, auditor]) {
      const res = await get(who, '/api/v1/requests?limit=100')
      const items = res.json().items as { id: string; payload: unknown; payload_withheld: unknown }[]
      for (const id of [filed.kyc, filed.transfer, filed.reclaim]) {
        const item = items.find((r) => r.id === id)
        expect(item, `${who.roles[0]} lists ${id}`).toMatchObject({
          payload: expect.any(Object),
          payload_withheld: null,
        })
      }
    }
    const shown = (await get(supervisor, `/api/v1/requests/${filed.kyc}`)).json()
    expect(shown.payload).toMatchObject({ subscriber_id: dara.subscriberId, kyc_doc_last4: '4321' })
    const approved = await post(supervisor, `/api/v1/requests/${filed.kyc}/approve`, {
      payload_sha256: shown.payload_sha256,
    })
    expect(approved.statusCode, approved.body).toBe(200)
    expect(approved.json().approvals).toMatchObject([{ decision: 'approved', approver: { id: supervisor.id } }])
  })
})

describe('an inventory manager', () => {
  it('reads policy proposals but not a subscriber’s request, and is not told to verify a customer', async () => {
    const res = await get(manager, `/api/v1/requests/${filed.kyc}`)
    expect(res.json()).toMatchObject({
      payload: null,
      payload_withheld: { reason: 'not_in_your_view', verify_customer: false },
    })
    expectNoSubscriberData(res.body)
    const { ids } = await listIds(manager)
    expect(ids).toContain(filed.policy)
    expect(ids).not.toContain(filed.kyc)
  })
})

describe('an agent inside a customer session for the holder', () => {
  it('reads the requests on that holder’s number filed in their time, and lists them; nothing else', async () => {
    await verifyHolder(other, dara.msisdn, dara.subscriber.kyc_doc_number)
    const res = await get(other, `/api/v1/requests/${filed.kyc}`)
    expect(res.json()).toMatchObject({
      payload_withheld: null,
      payload: { subscriber_id: dara.subscriberId, name: 'Dara Renamed' },
    })
    const { ids } = await listIds(other)
    expect(ids).toContain(filed.kyc)
    expect(ids).not.toContain(filed.transfer)
    expect(ids).not.toContain(filed.reclaim)
    const transfer = (await get(other, `/api/v1/requests/${filed.transfer}`)).json()
    expect(transfer.payload).toBeNull()
    // The customer session belongs to the staff session that opened it: another sign-in of the same agent does not see.
    const elsewhere = await extraSession(t.app, other.id)
    expect((await get(elsewhere.token, `/api/v1/requests/${filed.kyc}`)).json().payload).toBeNull()
    expect((await listIds(elsewhere.token)).ids).not.toContain(filed.kyc)
  })

  it('never reads a request filed in a former holder’s time, nor its outcome', async () => {
    // Chenda changes her mind; the number ages out and Bopha buys it. An agent verifies Bopha.
    const cancelled = await post(filer, `/api/v1/requests/${filed.reclaim}/cancel`, {
      reason: 'Chenda Former decided to keep her new number',
    })
    expect(cancelled.statusCode, cancelled.body).toBe(200)
    await runCommand(t.app.deps, SYSTEM, async (ctx) => {
      // Owner-connection fixture: aged out early, before the floor migration 031 holds the application role to.
      await actAsOwnerInThisTransaction(ctx.tx)
      await ctx.tx
        .updateTable('numbers')
        .set({ state: 'available', state_changed_at: ctx.now })
        .where('msisdn', '=', chenda.msisdn)
        .execute()
      const receipt = await recordAudit(ctx, {
        action: 'number.aged_out',
        msisdn: chenda.msisdn,
        before: { state: 'aging', custody_id: chenda.custodyId },
        after: { state: 'available' },
        basis: 'inactivity',
      })
      return audited(null, [receipt])
    })
    t.clock.advance(60_000)
    const [iccid] = await makeSims(t.app, other.shopId as string, 1)
    const bopha = newSubscriber({ name: 'Bopha Current' })
    await runCommand(t.app.deps, other.actor, (ctx) =>
      sellNumber(ctx, other.actor, { msisdn: chenda.msisdn, iccid, subscriber: bopha }, t.app.config.kycKey),
    )
    const verifier = await makeStaff(t.app, ['agent'])
    await verifyHolder(verifier, chenda.msisdn, bopha.kyc_doc_number)

    const res = await get(verifier, `/api/v1/requests/${filed.reclaim}`)
    expect(res.json()).toMatchObject({
      status: 'cancelled',
      payload: null,
      outcome: null,
      payload_withheld: { reason: 'customer_session_required', verify_customer: false },
    })
    expect(res.body).not.toContain('decided to keep')
    expectNoSubscriberData(res.body)
    const onNumber = await get(verifier, `${num(chenda.msisdn)}/requests`)
    expect(onNumber.json().items).toMatchObject([{ id: filed.reclaim, payload: null, outcome: null }])
    expect((await listIds(verifier)).ids).not.toContain(filed.reclaim)
    // The filer still reads what they filed, outcome included.
    expect((await get(filer, `/api/v1/requests/${filed.reclaim}`)).json().outcome).toMatchObject({
      reason: 'Chenda Former decided to keep her new number',
    })
  })
})

describe('GET /api/v1/recycling/overview', () => {
  it('gives an agent the counts by stage, no numbers', async () => {
    const res = await get(other, '/api/v1/recycling/overview')
    expect(res.statusCode, res.body).toBe(200)
    const o = res.json()
    expect(o.lists).toBeNull()
    expect(o.lists_withheld.message).toMatch(/supervisors/)
    expect(o.counts.counting).toBeGreaterThanOrEqual(2)
    for (const msisdn of [dara.msisdn, sokha.msisdn]) expect(res.body).not.toContain(msisdn)
  })

  it('lists the numbers by stage to supervisors, inventory managers, compliance officers and auditors', async () => {
    for (const who of [supervisor, manager, compliance, auditor]) {
      const res = await get(who, '/api/v1/recycling/overview')
      expect(res.statusCode, res.body).toBe(200)
      const o = res.json()
      expect(o.lists_withheld, who.roles[0]).toBeNull()
      const counting = o.lists.counting.map((v: { msisdn: string }) => v.msisdn)
      expect(counting, who.roles[0]).toEqual(expect.arrayContaining([dara.msisdn, sokha.msisdn]))
    }
  })

  it('answers 401 without a session and 403 to an admin', async () => {
    expect((await t.server.inject({ url: '/api/v1/recycling/overview' })).statusCode).toBe(401)
    const admin = await makeStaff(t.app, ['admin'])
    const res = await get(admin, '/api/v1/recycling/overview')
    expect(res.statusCode).toBe(403)
    expect((await t.server.inject({ url: `/api/v1/requests/${filed.kyc}` })).statusCode).toBe(401)
  })
})
