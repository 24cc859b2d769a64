// The happy paths of issue 4 items 3–8 over HTTP with the SMSC simulator: each change is filed by its staff member,
// agreed from the holder's phone where DOMAIN asks, approved by the right person, waits its time and then moves
// custody or SIM in one transaction with its provisioning event.
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { executeDueRequests } from '../../src/changes/due.ts'
import { latestSimSwap } from '../../src/changes/swap-history.ts'
import type { TestApp } from '../helpers/app.ts'
import { makeAuthenticatedNumber } from '../helpers/customer-session.ts'
import { makeSims, makeStaff, newSubscriber, type TestStaff } from '../helpers/factories.ts'
import { signInAgain } from '../helpers/reclaim-fixtures.ts'
import { codeOnPhone, HOUR, http, num, openConsentApp, phone, reply } from './consent-harness.ts'

let t: TestApp
let agent: TestStaff
let supervisor: TestStaff
let compliance: TestStaff
let compliance2: TestStaff
let api: ReturnType<typeof http>

beforeAll(async () => {
  t = await openConsentApp()
  api = http(t)
  agent = await makeStaff(t.app, ['agent'])
  supervisor = await makeStaff(t.app, ['supervisor'])
  compliance = await makeStaff(t.app, ['compliance_officer'])
  compliance2 = await makeStaff(t.app, ['compliance_officer'])
})
afterAll(() => t.close())

const staffOf = (id: string) => [agent, supervisor, compliance, compliance2].find((s) => s.id === id) as TestStaff
const approve = async (r: { id: string; payload_sha256: string; assigned_to: { id: string } }) => {
  const res = await api.post(staffOf(r.assigned_to.id), `/api/v1/requests/${r.id}/approve`, {
    payload_sha256: r.payload_sha256,
  })
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}
const later = async (hours: number) => {
  t.clock.advance(hours * HOUR)
  await signInAgain(t.app, agent, supervisor, compliance, compliance2)
}
const actions = async (msisdn: string) =>
  (
    await t.app.db.selectFrom('audit_records').select('action').where('msisdn', '=', msisdn).orderBy('seq').execute()
  ).map((r) => r.action)

describe('a transfer with both holders’ consent', () => {
  it('executes 24 h after the request and moves custody to the new holder with a new SIM', async () => {
    const { msisdn, sale, iccid: oldIccid } = await makeAuthenticatedNumber(t, agent)
    const [iccid] = await makeSims(t.app, agent.shopId as string, 1)
    const filed = await api.post(agent, `${num(msisdn)}/transfer`, { iccid, new_subscriber: newSubscriber() })
    expect(filed.statusCode, filed.body).toBe(200)
    const request = filed.json()
    expect(request.consents).toMatchObject([{ party: 'new_holder', method: 'id_check' }])
    const texts = await phone(t, msisdn)
    expect(texts.join(' ')).toMatch(/ផ្ទេរ/) // Khmer holder: the code SMS says it is a transfer
    const code = await codeOnPhone(t, msisdn)
    expect((await reply(t, msisdn, 'YES 000000')).outcome).toBe('code_mismatch')
    expect((await reply(t, msisdn, `YES ${code}`)).outcome).toBe('consent_recorded')
    // The same reply delivered again by the SMSC changes nothing.
    expect((await reply(t, msisdn, `YES ${code}`)).outcome).toBe('consent_already_recorded')
    await approve(request)
    await later(23)
    expect((await executeDueRequests(t.app)).executed).toBe(0)
    await later(1)
    expect(await executeDueRequests(t.app)).toEqual({ executed: 1, failed: 0 })

    const custodies = await t.app.db
      .selectFrom('custodies')
      .select(['id', 'basis', 'request_id', 'end_reason', 'subscriber_id'])
      .where('msisdn', '=', msisdn)
      .orderBy('started_at')
      .execute()
    expect(custodies).toMatchObject([
      { id: sale.custody_id, basis: 'sale', end_reason: 'transfer' },
      { basis: 'transfer', request_id: request.id, end_reason: null, subscriber_id: request.payload.to_subscriber_id },
    ])
    const binding = await t.app.db
      .selectFrom('sim_bindings')
      .select(['iccid', 'custody_id'])
      .where('msisdn', '=', msisdn)
      .where('ended_at', 'is', null)
      .executeTakeFirstOrThrow()
    expect(binding).toEqual({ iccid, custody_id: custodies[1].id })
    const event = await t.app.db
      .selectFrom('provisioning_events')
      .select(['kind', 'payload'])
      .where('msisdn', '=', msisdn)
      .where('kind', '=', 'sim_change')
      .executeTakeFirstOrThrow()
    expect(event.payload).toMatchObject({ old_iccid: oldIccid, new_iccid: iccid, reason: 'transfer' })
    const log = await actions(msisdn)
    expect(log.indexOf('request.consent_recorded')).toBeLessThan(log.indexOf('request.executed'))
    expect(log).toContain('number.transferred')
  })
})

describe('SIM swaps', () => {
  it('with the SIM: executes as soon as the holder replies YES, and is kept in the swap history', async () => {
    const { msisdn, iccid: oldIccid } = await makeAuthenticatedNumber(t, agent)
    const [iccid] = await makeSims(t.app, agent.shopId as string, 1)
    const filed = await api.post(agent, `${num(msisdn)}/sim-swap`, { iccid })
    expect(filed.json()).toMatchObject({ status: 'pending', assigned_to: null })
    expect((await reply(t, msisdn, `YES ${await codeOnPhone(t, msisdn)}`)).outcome).toBe('consent_recorded')
    const after = await api.get(agent, `/api/v1/requests/${filed.json().id}`)
    expect(after.json().status).toBe('executed')
    const history = await api.get(supervisor, `${num(msisdn)}/sim-swaps`)
    expect(history.json().items).toMatchObject([{ kind: 'sim_swap', old_iccid: oldIccid, new_iccid: iccid }])
    // An agent outside a customer session sees that and when the SIM changed, not which SIMs (invariant 10).
    const masked = await api.get(await makeStaff(t.app, ['agent']), `${num(msisdn)}/sim-swaps`)
    expect(masked.json().items).toMatchObject([{ kind: 'sim_swap', old_iccid: null, new_iccid: null, withheld: true }])
    const latest = await latestSimSwap(t.app.db, msisdn)
    expect(latest.latestSwap?.request_id).toBe(filed.json().id)
    const old = await t.app.db.selectFrom('sims').select('state').where('iccid', '=', oldIccid).executeTakeFirst()
    expect(old?.state).toBe('deactivated')
  })

  it('lost SIM: ID in the shop, other-shop approval, notices to number and alternate contact, 24 h wait', async () => {
    const { msisdn, subscriber, iccid: oldIccid } = await makeAuthenticatedNumber(t, agent)
    await t.app.db
      .updateTable('subscribers')
      .set({ alt_contact: '+85592555111' })
      .where('kyc_doc_last4', '=', subscriber.kyc_doc_number.slice(-4))
      .execute()
    const [iccid] = await makeSims(t.app, agent.shopId as string, 1)
    const wrongId = await api.post(agent, `${num(msisdn)}/sim-swap-lost`, { iccid, kyc_doc_number: 'XX999999' })
    expect(wrongId.statusCode).toBe(403)
    const filed = await api.post(agent, `${num(msisdn)}/sim-swap-lost`, {
      iccid,
      kyc_doc_number: subscriber.kyc_doc_number,
    })
    expect(filed.statusCode, filed.body).toBe(200)
    expect(filed.json()).toMatchObject({
      consent_code_sent: false,
      consents: [{ party: 'holder', method: 'id_check' }],
    })
    expect(filed.json().notice_ids).toHaveLength(2)
    expect((await phone(t, '+85592555111')).length).toBe(1)
    await approve(filed.json())
    await later(24)
    expect((await executeDueRequests(t.app)).executed).toBe(1)
    const old = await t.app.db.selectFrom('sims').select('state').where('iccid', '=', oldIccid).executeTakeFirst()
    expect(old?.state).toBe('lost_stolen')
    expect((await latestSimSwap(t.app.db, msisdn)).latestSwap).toMatchObject({
      kind: 'sim_swap_lost',
      new_iccid: iccid,
    })
  })

  it('LOCK is on at once; UNLOCK takes effect 24 h later, with a notice', async () => {
    const { msisdn } = await makeAuthenticatedNumber(t, agent)
    await reply(t, msisdn, 'LOCK')
    expect((await api.get(agent, `${num(msisdn)}/swap-lock`)).json()).toMatchObject({ locked: true, unlocks_at: null })
    expect((await reply(t, msisdn, 'UNLOCK')).outcome).toBe('unlock_requested')
    expect((await phone(t, msisdn)).some((x) => x.includes('LOCK'))).toBe(true)
    await later(23)
    expect((await api.get(agent, `${num(msisdn)}/swap-lock`)).json().locked).toBe(true)
    await later(1)
    expect((await api.get(agent, `${num(msisdn)}/swap-lock`)).json().locked).toBe(false)
    // A LOCK again is on at once (and a second LOCK changes nothing).
    await reply(t, msisdn, 'LOCK')
    expect((await reply(t, msisdn, 'LOCK')).outcome).toBe('locked')
    expect((await api.get(agent, `${num(msisdn)}/swap-lock`)).json().locked).toBe(true)
  })
})

describe('the holder’s own changes', () => {
  it('termination: YES, then 24 h later the number ages and the disconnection is registered', async () => {
    const { msisdn, sale } = await makeAuthenticatedNumber(t, agent)
    const filed = await api.post(agent, `${num(msisdn)}/termination`, {})
    expect(filed.statusCode, filed.body).toBe(200)
    await reply(t, msisdn, `YES ${await codeOnPhone(t, msisdn)}`)
    expect((await api.get(agent, `/api/v1/requests/${filed.json().id}`)).json().status).toBe('approved')
    await later(24)
    expect((await executeDueRequests(t.app)).executed).toBe(1)
    const number = await t.app.db.selectFrom('numbers').select('state').where('msisdn', '=', msisdn).executeTakeFirst()
    expect(number?.state).toBe('aging')
    const custody = await t.app.db
      .selectFrom('custodies')
      .select('end_reason')
      .where('id', '=', sale.custody_id)
      .executeTakeFirst()
    expect(custody?.end_reason).toBe('termination')
    const d = await t.app.db.selectFrom('disconnections').select('custody_id').where('msisdn', '=', msisdn).execute()
    expect(d).toHaveLength(1)
  })

  it('KYC change: YES and an other-shop approval; ID-only authentication is then refused for 30 days', async () => {
    const { msisdn, sale } = await makeAuthenticatedNumber(t, agent)
    const filed = await api.post(agent, `${num(msisdn)}/kyc-change`, {
      kyc_doc_kind: 'passport',
      kyc_doc_number: 'N1234567',
    })
    expect(filed.statusCode, filed.body).toBe(200)
    expect(JSON.stringify(filed.json().payload)).not.toContain('N1234567')
    await reply(t, msisdn, `YES ${await codeOnPhone(t, msisdn)}`)
    await approve(filed.json())
    expect((await executeDueRequests(t.app)).executed).toBe(1)
    const s = await t.app.db
      .selectFrom('subscribers')
      .select(['kyc_doc_kind', 'kyc_doc_last4', 'kyc_changed_at'])
      .where('id', '=', sale.subscriber_id)
      .executeTakeFirstOrThrow()
    expect(s).toMatchObject({ kyc_doc_kind: 'passport', kyc_doc_last4: '4567' })
    expect(s.kyc_changed_at).not.toBeNull()
    const idOnly = await api.post(agent, '/api/v1/customer-sessions', {
      msisdn,
      method: 'id_document',
      document: 'N1234567',
    })
    expect(idOnly.statusCode).toBeGreaterThanOrEqual(400)
    expect(idOnly.json().code).toBe('id_authentication_refused')
  })

  it('legal order with notice: SMS to the holder, another compliance officer approves, 7 days’ wait', async () => {
    const { msisdn, sale } = await makeAuthenticatedNumber(t, agent)
    const order_sha256 = createHash('sha256').update('court order 42').digest('hex')
    const own = await api.post(agent, `${num(msisdn)}/legal-order`, {
      order_reference: 'X',
      order_sha256,
      forbids_notice: false,
    })
    expect(own.statusCode).toBe(403)
    const filed = await api.post(compliance, `${num(msisdn)}/legal-order`, {
      order_reference: 'Court 42/2026',
      order_sha256,
      forbids_notice: false,
    })
    expect(filed.statusCode, filed.body).toBe(200)
    expect(filed.json().payload.order_sha256).toBe(order_sha256)
    expect(filed.json().notice_ids).toHaveLength(1)
    expect(filed.json().assigned_to.id).toBe(compliance2.id)
    await approve(filed.json())
    await later(24 * 6)
    expect((await executeDueRequests(t.app)).executed).toBe(0)
    await later(24)
    expect((await executeDueRequests(t.app)).executed).toBe(1)
    const custody = await t.app.db
      .selectFrom('custodies')
      .select('end_reason')
      .where('id', '=', sale.custody_id)
      .executeTakeFirst()
    expect(custody?.end_reason).toBe('legal_order')
  })

  it('legal order that forbids notice: no SMS and no wait', async () => {
    const { msisdn } = await makeAuthenticatedNumber(t, agent)
    const before = (await phone(t, msisdn)).length
    const filed = await api.post(compliance, `${num(msisdn)}/legal-order`, {
      order_reference: 'Secret 7',
      order_sha256: 'a'.repeat(64),
      forbids_notice: true,
    })
    expect(filed.json()).toMatchObject({ not_before: null, notice_ids: [] })
    await approve(filed.json())
    expect((await executeDueRequests(t.app)).executed).toBe(1)
    expect((await phone(t, msisdn)).length).toBe(before)
    const number = await t.app.db.selectFrom('numbers').select('state').where('msisdn', '=', msisdn).executeTakeFirst()
    expect(number?.state).toBe('aging')
  })
})
