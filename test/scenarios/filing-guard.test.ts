// Filing a change on a held number needs its holder's customer session (issue 9 item 9): without one, a transfer,
// termination, KYC change or SIM swap is refused with 403 customer_session_required and a risk alert naming the
// agent, and the holder is texted nothing; the holder's ID checked in the shop as part of a SIM swap counts as
// authenticating them. One agent files at most 3 changes on one number a day (429 filing_limit_reached).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FILING_WINDOW_HOURS, FILINGS_PER_AGENT_AND_NUMBER } from '../../src/changes/filing-guard.ts'
import type { TestApp } from '../helpers/app.ts'
import { makeAuthenticatedNumber, openCustomerSession } from '../helpers/customer-session.ts'
import { makeActiveNumber, makeSims, makeStaff, newSubscriber, type TestStaff } from '../helpers/factories.ts'
import { extraSession } from '../http/support.ts'
import { alertsFor, HOUR, http, num, openConsentApp, phone } from './consent-harness.ts'

let t: TestApp
let api: ReturnType<typeof http>
let agent: TestStaff

const requestsOn = (msisdn: string) =>
  t.app.db.selectFrom('requests').select(['id', 'kind', 'status']).where('msisdn', '=', msisdn).execute()

beforeAll(async () => {
  t = await openConsentApp()
  api = http(t)
  agent = await makeStaff(t.app, ['agent'])
  await makeStaff(t.app, ['supervisor']) // of another shop: approver of the four-eyes kinds
})
afterAll(() => t.close())

describe('without a customer session for the holder', () => {
  it('refuses each kind with 403 customer_session_required and a risk alert, and texts nobody', async () => {
    const { msisdn } = await makeActiveNumber(t.app, { agent: await makeStaff(t.app, ['agent']) })
    const texted = (await phone(t, msisdn)).length
    const [iccid] = await makeSims(t.app, agent.shopId as string, 1)
    const filings: [string, Record<string, unknown>][] = [
      ['transfer', { iccid, new_subscriber: newSubscriber() }],
      ['termination', {}],
      ['kyc-change', { kyc_doc_kind: 'passport', kyc_doc_number: 'N7654321' }],
      ['sim-swap', { iccid }],
    ]
    for (const [path, body] of filings) {
      const res = await api.post(agent, `${num(msisdn)}/${path}`, body)
      expect(res.statusCode, `${path}: ${res.body}`).toBe(403)
      expect(res.json()).toMatchObject({ code: 'customer_session_required', details: { msisdn } })
      // Nothing of the holder's account in the refusal.
      expect(res.body).not.toMatch(/subscriber_id|custody_id/)
      expect(res.json().details.alert_id).toEqual(expect.any(String))
    }
    expect(await requestsOn(msisdn)).toEqual([])
    expect((await phone(t, msisdn)).length).toBe(texted)
    const alerts = await alertsFor(t, msisdn, 'customer_session_required')
    expect(alerts).toHaveLength(4)
    for (const a of alerts) expect(a).toMatchObject({ severity: 'risk', staff_id: agent.id })
  })

  it('does not count another agent’s session, or a session for someone else', async () => {
    const colleague = await makeStaff(t.app, ['agent'], { shopId: agent.shopId })
    const { msisdn } = await makeAuthenticatedNumber(t, colleague)
    const mine = await makeActiveNumber(t.app, { agent })
    await openCustomerSession(t.server, agent, mine.msisdn, mine.subscriber.kyc_doc_number)
    const res = await api.post(agent, `${num(msisdn)}/termination`, {})
    expect(res.statusCode).toBe(403)
    expect(res.json().code).toBe('customer_session_required')
  })

  it('lets a SIM swap through on the holder’s ID checked in the shop (lost SIM, or with the SIM)', async () => {
    for (const path of ['sim-swap-lost', 'sim-swap']) {
      const { msisdn, subscriber } = await makeActiveNumber(t.app, { agent })
      const [iccid] = await makeSims(t.app, agent.shopId as string, 1)
      const wrong = await api.post(agent, `${num(msisdn)}/${path}`, { iccid, kyc_doc_number: 'XX999999' })
      expect(wrong.json().code, path).toBe('kyc_mismatch')
      const res = await api.post(agent, `${num(msisdn)}/${path}`, { iccid, kyc_doc_number: subscriber.kyc_doc_number })
      expect(res.statusCode, `${path}: ${res.body}`).toBe(200)
      expect(res.json().consents).toMatchObject([{ party: 'holder', method: 'id_check' }])
    }
  })
})

describe('inside a customer session for the holder', () => {
  it('files the change, and the holder is told', async () => {
    const { msisdn } = await makeAuthenticatedNumber(t, agent)
    const before = (await phone(t, msisdn)).length
    const res = await api.post(agent, `${num(msisdn)}/termination`, {})
    expect(res.statusCode, res.body).toBe(200)
    expect((await phone(t, msisdn)).length).toBeGreaterThan(before)
  })

  it(`allows ${FILINGS_PER_AGENT_AND_NUMBER} filings by one agent on one number a day, then 429 with an alert`, async () => {
    const { msisdn, subscriber } = await makeAuthenticatedNumber(t, agent)
    for (let i = 0; i < FILINGS_PER_AGENT_AND_NUMBER; i++) {
      const filed = await api.post(agent, `${num(msisdn)}/termination`, {})
      expect(filed.statusCode, filed.body).toBe(200)
      const cancelled = await api.post(agent, `/api/v1/requests/${filed.json().id}/cancel`, { reason: 'filed twice' })
      expect(cancelled.statusCode, cancelled.body).toBe(200)
    }
    const texted = (await phone(t, msisdn)).length
    const refused = await api.post(agent, `${num(msisdn)}/termination`, {})
    expect(refused.statusCode, refused.body).toBe(429)
    expect(refused.json()).toMatchObject({
      code: 'filing_limit_reached',
      details: { msisdn, limit: FILINGS_PER_AGENT_AND_NUMBER, retry_after_seconds: expect.any(Number) },
    })
    expect(await requestsOn(msisdn)).toHaveLength(FILINGS_PER_AGENT_AND_NUMBER)
    expect((await phone(t, msisdn)).length).toBe(texted)
    const [alert] = await alertsFor(t, msisdn, 'filing_limit_reached')
    expect(alert).toMatchObject({ staff_id: agent.id, severity: 'warning' })

    // Another agent is not held to this agent's count; and a day later this agent may file again.
    const colleague = await makeStaff(t.app, ['agent'], { shopId: agent.shopId })
    await openCustomerSession(t.server, colleague, msisdn, subscriber.kyc_doc_number)
    const theirs = await api.post(colleague, `${num(msisdn)}/kyc-change`, {
      kyc_doc_kind: 'passport',
      kyc_doc_number: 'N7654321',
    })
    expect(theirs.statusCode, theirs.body).toBe(200)
    t.clock.advance(FILING_WINDOW_HOURS * HOUR)
    const nextDay = { ...agent, token: (await extraSession(t.app, agent.id)).token }
    await openCustomerSession(t.server, nextDay, msisdn, subscriber.kyc_doc_number)
    const again = await api.post(nextDay, `${num(msisdn)}/termination`, {})
    expect(again.statusCode, again.body).toBe(200)
  })
})
