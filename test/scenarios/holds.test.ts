// Protective holds over the API (issue 11, item 2; DOMAIN's invariant 3): while a hold is active, every kind of
// custody and SIM change is refused — filed or executed — the recycling clock stops, and all of it resumes once a
// hold_release that another compliance officer approved executes. And the hold clock: a hold placed after the
// market's case_hold_hours is a breached SLA.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { executeDueRequests } from '../../src/changes/due.ts'
import { sweepDueNumbers } from '../../src/recycling/sweep.ts'
import type { TestApp } from '../helpers/app.ts'
import { makeAuthenticatedNumber, openCustomerSession } from '../helpers/customer-session.ts'
import { makeRange, makeSims, makeStaff, newSubscriber, type TestStaff } from '../helpers/factories.ts'
import { agingNumber, signInAgain } from '../helpers/reclaim-fixtures.ts'
import { alertsFor, codeOnPhone, HOUR, http, num, openConsentApp, reply } from './consent-harness.ts'

const DAY = 24 * HOUR
let t: TestApp
let api: ReturnType<typeof http>
let agent: TestStaff
let supervisor: TestStaff
let officer: TestStaff
let second: TestStaff
let third: TestStaff

async function later(ms: number) {
  t.clock.advance(ms)
  await signInAgain(t.app, agent, supervisor, officer, second, third)
}

/** A compliance officer holds `msisdn` (an investigation opened with the hold); returns the hold and its case. */
async function hold(msisdn: string): Promise<{ holdId: string; caseId: string }> {
  const res = await api.post(officer, '/api/v1/holds', { msisdn, reason: 'suspected fraud on this number' })
  expect(res.statusCode, res.body).toBe(201)
  expect(res.json().holds_placed).toHaveLength(1)
  return { holdId: res.json().holds_placed[0].id, caseId: res.json().id }
}

/** Files the hold's release; whoever the system assigned approves; the officer executes it. */
async function release(holdId: string) {
  const filed = await api.post(officer, `/api/v1/holds/${holdId}/release`, { reason: 'investigation found nothing' })
  expect(filed.statusCode, filed.body).toBe(201)
  const approver = [second, third].find((s) => s.id === filed.json().assigned_to?.id) as TestStaff
  expect(approver, filed.body).toBeDefined()
  const approved = await api.post(approver, `/api/v1/requests/${filed.json().id}/approve`, {
    payload_sha256: filed.json().payload_sha256,
  })
  expect(approved.statusCode, approved.body).toBe(200)
  const executed = await api.post(officer, `/api/v1/requests/${filed.json().id}/execute`)
  expect(executed.statusCode, executed.body).toBe(200)
}

const openCustody = (msisdn: string) =>
  t.app.db
    .selectFrom('custodies')
    .select(['id', 'basis', 'ended_at', 'end_reason'])
    .where('msisdn', '=', msisdn)
    .orderBy('started_at')
    .execute()

beforeAll(async () => {
  t = await openConsentApp()
  api = http(t)
  agent = await makeStaff(t.app, ['agent'])
  supervisor = await makeStaff(t.app, ['supervisor'])
  officer = await makeStaff(t.app, ['compliance_officer'])
  second = await makeStaff(t.app, ['compliance_officer'])
  third = await makeStaff(t.app, ['compliance_officer'])
})
afterAll(() => t.close())

describe('a held active number', () => {
  let msisdn: string
  let doc: string

  beforeAll(async () => {
    const held = await makeAuthenticatedNumber(t, agent)
    msisdn = held.msisdn
    doc = held.subscriber.kyc_doc_number
    await hold(msisdn)
  })

  it('refuses every change filed over the API with 409 number_on_hold and a risk alert naming the staff member', async () => {
    await openCustomerSession(t.server, agent, msisdn, doc)
    const [a, b, c] = await makeSims(t.app, agent.shopId as string, 3)
    const attempts: [string, TestStaff, string, Record<string, unknown>][] = [
      ['transfer', agent, 'transfer', { iccid: a, new_subscriber: newSubscriber() }],
      ['sim_swap', agent, 'sim-swap', { iccid: b }],
      ['sim_swap_lost', agent, 'sim-swap-lost', { iccid: c, kyc_doc_number: doc }],
      ['termination', agent, 'termination', {}],
      ['kyc_change', agent, 'kyc-change', { kyc_doc_kind: 'passport', kyc_doc_number: 'N7654321' }],
      [
        'legal_order',
        officer,
        'legal-order',
        { order_reference: 'PP-1', order_sha256: 'a'.repeat(64), forbids_notice: false },
      ],
    ]
    for (const [kind, who, path, body] of attempts) {
      const res = await api.post(who, `${num(msisdn)}/${path}`, body)
      expect(res.statusCode, `${kind}: ${res.body}`).toBe(409)
      expect(res.json(), kind).toMatchObject({ code: 'number_on_hold', details: { msisdn } })
    }
    const alerts = await alertsFor(t, msisdn, 'held_number_change_refused')
    expect(alerts.map((x) => (x.attempt as { kind: string }).kind).sort()).toEqual(
      attempts.map(([kind]) => kind).sort(),
    )
    expect(alerts.every((x) => x.severity === 'risk')).toBe(true)
    expect(alerts.filter((x) => x.staff_id === officer.id)).toHaveLength(1)
    const requests = await t.app.db.selectFrom('requests').select('id').where('msisdn', '=', msisdn).execute()
    expect(requests).toEqual([])
    expect((await openCustody(msisdn)).map((x) => x.ended_at)).toEqual([null])
  })
})

describe('a held aging number', () => {
  it('refuses its former holder’s reclaim', async () => {
    const aging = await agingNumber(t.app, t.clock, { agent, daysHeld: 1 })
    await signInAgain(t.app, agent, supervisor, officer, second, third)
    const { holdId } = await hold(aging.msisdn)
    const refused = await api.post(agent, `${num(aging.msisdn)}/reclaim`, {
      kyc_doc_number: aging.subscriber.kyc_doc_number,
    })
    expect(refused.statusCode, refused.body).toBe(409)
    expect(refused.json().code).toBe('number_on_hold')
    await release(holdId)
    const filed = await api.post(agent, `${num(aging.msisdn)}/reclaim`, {
      kyc_doc_number: aging.subscriber.kyc_doc_number,
    })
    expect(filed.statusCode, filed.body).toBe(200)
    expect(filed.json().kind).toBe('reclaim')
  })
})

describe('a held available number', () => {
  it('is neither reserved nor sold, and the change leaves nothing behind', async () => {
    const [msisdn] = await makeRange(t.app, 1)
    const { holdId } = await hold(msisdn)
    const reserve = await api.post(agent, `${num(msisdn)}/reserve`)
    // The database's guard (042) refuses the state change; its refusal reads as the application's own check.
    expect(reserve.statusCode, reserve.body).toBe(409)
    expect(reserve.json()).toMatchObject({ code: 'number_on_hold', details: { sqlstate: 'NG042', msisdn } })
    expect(reserve.json().message).toContain('on hold')
    const [iccid] = await makeSims(t.app, agent.shopId as string, 1)
    const sell = await api.post(agent, `${num(msisdn)}/sell`, { iccid, subscriber: newSubscriber() })
    expect(sell.statusCode, sell.body).toBe(409)
    expect(sell.json()).toMatchObject({ code: 'number_on_hold', details: { sqlstate: 'NG042' } })
    const [guard] = await alertsFor(t, msisdn, 'held_number_change_refused').then((all) =>
      all.filter((x) => x.id === sell.json().details.alert_id),
    )
    expect(guard).toMatchObject({ severity: 'risk', staff_id: agent.id })
    const row = await t.app.db
      .selectFrom('numbers')
      .select('state')
      .where('msisdn', '=', msisdn)
      .executeTakeFirstOrThrow()
    expect(row.state).toBe('available')
    expect(await openCustody(msisdn)).toEqual([])
    const sim = await t.app.db.selectFrom('sims').select('state').where('iccid', '=', iccid).executeTakeFirstOrThrow()
    expect(sim.state).toBe('allocated')
    await release(holdId)
    const sold = await api.post(agent, `${num(msisdn)}/sell`, { iccid, subscriber: newSubscriber() })
    expect(sold.statusCode, sold.body).toBeLessThan(300)
  })
})

describe('a request filed before the hold', () => {
  it('waits while the hold stands — the due sweep leaves it, its requester cannot run it — and executes after the release', async () => {
    const { msisdn } = await makeAuthenticatedNumber(t, agent)
    const filed = await api.post(agent, `${num(msisdn)}/termination`, {})
    expect(filed.statusCode, filed.body).toBe(200)
    const requestId = filed.json().id
    const code = await codeOnPhone(t, msisdn)
    expect((await reply(t, msisdn, `YES ${code}`)).outcome).toBe('consent_recorded')
    const { holdId } = await hold(msisdn)
    const shown = await api.get(
      officer,
      `/api/v1/cases/${
        (await t.app.db.selectFrom('holds').select('case_id').where('id', '=', holdId).executeTakeFirstOrThrow())
          .case_id
      }`,
    )
    expect(shown.statusCode, shown.body).toBe(200)

    await later(25 * HOUR)
    expect(await executeDueRequests(t.app)).toEqual({ executed: 0, failed: 0 })
    const byHand = await api.post(agent, `/api/v1/requests/${requestId}/execute`)
    expect(byHand.statusCode, byHand.body).toBe(409)
    expect(byHand.json()).toMatchObject({ code: 'number_on_hold', details: { sqlstate: 'NG042', msisdn } })
    expect(byHand.json().message).toContain('waits until the hold is released')
    const waiting = await api.get(agent, `/api/v1/requests/${requestId}`)
    expect(waiting.json().status).toBe('approved')
    expect((await openCustody(msisdn)).map((x) => x.ended_at)).toEqual([null])

    await release(holdId)
    expect(await executeDueRequests(t.app)).toEqual({ executed: 1, failed: 0 })
    expect((await api.get(agent, `/api/v1/requests/${requestId}`)).json().status).toBe('executed')
    expect((await openCustody(msisdn)).map((x) => x.end_reason)).toEqual(['termination'])
  })
})

describe('the recycling clock of a held number', () => {
  it('stops: the sweep queues no warning while the hold stands, and does once it is released', async () => {
    const { msisdn } = await makeAuthenticatedNumber(t, agent)
    const { holdId } = await hold(msisdn)
    const warnings = () =>
      t.app.db
        .selectFrom('sms_notices')
        .select('id')
        .where('msisdn', '=', msisdn)
        .where('purpose', '=', 'inactivity_warning')
        .execute()
    const stateOf = () =>
      t.app.db
        .selectFrom('recycling_state')
        .select(['stage', 'step', 'next_due_at'])
        .where('msisdn', '=', msisdn)
        .executeTakeFirstOrThrow()
    const before = await stateOf()
    await later(62 * DAY)
    await sweepDueNumbers(t.app)
    expect(await warnings()).toEqual([])
    expect(await stateOf()).toEqual(before)
    const number = await t.app.db
      .selectFrom('numbers')
      .select('state')
      .where('msisdn', '=', msisdn)
      .executeTakeFirstOrThrow()
    expect(number.state).toBe('active')

    await release(holdId)
    await sweepDueNumbers(t.app)
    expect((await warnings()).length).toBeGreaterThan(0)
  })
})

describe('the hold clock', () => {
  it('shows breached when a compliance officer holds a case of category other after the market’s case_hold_hours', async () => {
    const held = await makeAuthenticatedNumber(t, agent)
    const opened = await api.post(agent, '/api/v1/cases', {
      kind: 'complaint',
      category: 'other',
      description: 'Strange calls since last week',
      msisdns: [held.msisdn],
      complainant: { method: 'id_document', document: held.subscriber.kyc_doc_number },
    })
    expect(opened.statusCode, opened.body).toBe(201)
    expect(opened.json().holds_placed).toEqual([])
    expect(opened.json().sla.hold.state).toBe('not_required')
    const caseId = opened.json().id
    const { case_hold_hours: hours } = await t.app.db
      .selectFrom('markets')
      .select('case_hold_hours')
      .where('code', '=', opened.json().market)
      .executeTakeFirstOrThrow()

    await later((hours + 1) * HOUR)
    const placed = await api.post(officer, `/api/v1/cases/${caseId}/holds`, {
      msisdn: held.msisdn,
      reason: 'the calls look like a SIM swap attempt',
    })
    expect(placed.statusCode, placed.body).toBe(201)
    const shown = await api.get(officer, `/api/v1/cases/${caseId}`)
    expect(shown.statusCode, shown.body).toBe(200)
    expect(shown.json().sla.hold).toMatchObject({ state: 'breached', hours_taken: hours + 1 })
    expect(shown.json().holds[0].minutes_after_complaint).toBe((hours + 1) * 60)
  })
})
