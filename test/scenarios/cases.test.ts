// Cases over HTTP (issue 11, items 1, 2, 6, 7): the complainant is proven against ANY custody of the number — here
// the first holder of a number sold, swapped and transferred — by the ID document of that custody or by a code to
// its subscriber's alternate contact; a complaint that the number was taken holds it in the same transaction; a
// compliance officer other than the opener confirms (the network bar); releasing a hold is a request another
// compliance officer approves; offers are answered once; findings suspend the staff they name in one step.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeActiveNumber, makeStaff, type TestStaff } from '../helpers/factories.ts'
import { signInAgain } from '../helpers/reclaim-fixtures.ts'
import { otherShopSupervisor, type Story, soldSwappedTransferred } from './lawful-story.ts'
import { type Harness, openHarness, provisioning } from './recycling-harness.ts'

let h: Harness
let story: Story
let agent: TestStaff
let officer: TestStaff
let second: TestStaff
let auditor: TestStaff

const call = (who: TestStaff, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
  h.t.server.inject({ method, url, headers: { authorization: `Bearer ${who.token}` }, ...(payload ? { payload } : {}) })
const holdsOf = async (msisdn: string) =>
  (await call(officer, 'GET', `/api/v1/numbers/${encodeURIComponent(msisdn)}/holds`)).json()

beforeAll(async () => {
  h = await openHarness()
  story = await soldSwappedTransferred(h, await otherShopSupervisor(h))
  h.at(40, '10:00')
  agent = await makeStaff(h.t.app, ['agent']) // a shop the number never saw
  officer = await makeStaff(h.t.app, ['compliance_officer'])
  second = await makeStaff(h.t.app, ['compliance_officer'])
  auditor = await makeStaff(h.t.app, ['auditor'])
}, 180_000)

afterAll(async () => {
  await h?.close()
})

describe('a complaint that a number was taken', () => {
  let caseId: string

  it('is opened by the former holder’s ID document, and holds the number in the same transaction', async () => {
    const res = await call(agent, 'POST', '/api/v1/cases', {
      category: 'number_taken',
      description: 'My number was given to someone else while I still used it.',
      msisdns: [story.msisdn],
      complainant: { method: 'id_document', document: story.soldDoc },
      contact: '+85597000111',
    })
    expect(res.statusCode, res.body).toBe(201)
    const opened = res.json()
    caseId = opened.id
    const { rows } = await sql<{ id: string; subscriber_id: string }>`
      SELECT id, subscriber_id FROM custodies WHERE msisdn = ${story.msisdn} ORDER BY started_at LIMIT 1`.execute(
      h.t.app.db,
    )
    expect(opened.complainant).toMatchObject({ custody_id: rows[0].id, subscriber_id: story.soldTo })
    expect(opened.holds_placed).toHaveLength(1)
    expect(opened.holds[0]).toMatchObject({ msisdn: story.msisdn, active: true, minutes_after_complaint: 0 })
    expect(opened.sla.hold.state).toBe('met')
    // One transaction: the case's leaf and the hold's leaf were written by the same one.
    const leaves = await sql<{ action: string; txid: string }>`
      SELECT action, txid::text FROM audit_records
       WHERE envelope ->> 'basis' = ${caseId} AND action IN ('case.opened', 'hold.placed')`.execute(h.t.app.db)
    expect(leaves.rows.map((r) => r.action).sort()).toEqual(['case.opened', 'hold.placed'])
    expect(new Set(leaves.rows.map((r) => r.txid)).size).toBe(1)
    expect((await holdsOf(story.msisdn)).held).toBe(true)
  })

  it('refuses any new change of the held number, with an alert naming who tried', async () => {
    const res = await call(officer, 'POST', `/api/v1/numbers/${encodeURIComponent(story.msisdn)}/legal-order`, {
      order_reference: 'ORDER-1',
      order_sha256: 'a'.repeat(64),
      forbids_notice: true,
    })
    expect(res.statusCode, res.body).toBe(409)
    expect(res.json().code).toBe('number_on_hold')
    const alerts = await sql<{ staff_id: string }>`
      SELECT staff_id FROM alerts WHERE kind = 'held_number_change_refused' AND msisdn = ${story.msisdn}`.execute(
      h.t.app.db,
    )
    expect(alerts.rows.map((a) => a.staff_id)).toEqual([officer.id])
  })

  it('is barred on the network once a compliance officer confirms it', async () => {
    expect(await provisioning(h, story.msisdn)).not.toContain('hold_bar')
    const taken = await call(officer, 'PATCH', `/api/v1/cases/${caseId}`, { owner_id: officer.id })
    expect(taken.statusCode, taken.body).toBe(200)
    expect(taken.json()).toMatchObject({ owner_id: officer.id, first_response_at: null })
    const answered = await call(officer, 'PATCH', `/api/v1/cases/${caseId}`, { responded: true })
    expect(answered.json().first_response_at).not.toBeNull()
    expect(answered.json().sla.first_response.state).toBe('met')
    const confirmed = await call(officer, 'POST', `/api/v1/cases/${caseId}/confirm`)
    expect(confirmed.statusCode, confirmed.body).toBe(200)
    expect(confirmed.json()).toMatchObject({ status: 'investigating', confirmed_by: officer.id })
    expect(await provisioning(h, story.msisdn)).toContain('hold_bar')
    expect((await holdsOf(story.msisdn)).items[0].barred_on_network).toBe(true)
  })

  it('tracks compensation offers, each answered once', async () => {
    const money = await call(officer, 'POST', `/api/v1/cases/${caseId}/offers`, {
      kind: 'money',
      amount: 50,
      currency: 'usd',
    })
    expect(money.statusCode, money.body).toBe(201)
    const credit = await call(officer, 'POST', `/api/v1/cases/${caseId}/offers`, {
      kind: 'service_credit',
      credit: '3 months of free calls',
    })
    expect(credit.statusCode, credit.body).toBe(201)
    expect(
      (await call(officer, 'POST', `/api/v1/cases/${caseId}/offers`, { kind: 'money', amount: 10 })).statusCode,
    ).toBe(400)
    for (const offer of [money.json(), credit.json()]) {
      const answered = await call(officer, 'POST', `/api/v1/offers/${offer.id}/response`, { response: 'declined' })
      expect(answered.statusCode, answered.body).toBe(200)
    }
    const again = await call(officer, 'POST', `/api/v1/offers/${money.json().id}/response`, { response: 'accepted' })
    expect(again.json().code).toBe('offer_answered')
    const shown = (await call(auditor, 'GET', `/api/v1/cases/${caseId}`)).json()
    expect(shown.compensation_offers.map((o: { response: string }) => o.response)).toEqual(['declined', 'declined'])
    expect(shown.compensation_offers[0]).toMatchObject({ amount: '50.00', currency: 'USD' })
  })

  it('concludes staff misconduct, suspending the staff member in the same step', async () => {
    const culprit = await makeStaff(h.t.app, ['agent'])
    const res = await call(officer, 'POST', `/api/v1/cases/${caseId}/findings`, {
      conclusion: 'staff_misconduct',
      findings: 'The agent swapped the SIM on a stolen ID card.',
      staff: [{ staff_id: culprit.id, suspend: true }],
      measures: [{ kind: 'process_change', description: 'ID checks need a second agent in that shop' }],
    })
    expect(res.statusCode, res.body).toBe(200)
    const resolved = res.json()
    expect(resolved).toMatchObject({ status: 'resolved', conclusion: 'staff_misconduct' })
    expect(resolved.sla.resolution.state).toBe('met')
    expect(resolved.measures.map((m: { kind: string }) => m.kind).sort()).toEqual(['process_change', 'staff_suspended'])
    expect(resolved.links).toContainEqual(expect.objectContaining({ kind: 'staff', ref_id: culprit.id }))
    const staff = await sql<{ status: string }>`SELECT status FROM staff WHERE id = ${culprit.id}`.execute(h.t.app.db)
    expect(staff.rows[0].status).toBe('suspended')
    expect((await call(culprit, 'GET', '/api/v1/numbers')).statusCode).toBe(401)
  })
})

describe('a complainant who proves nothing', () => {
  it('opens no case, and the attempt is an alert naming the agent', async () => {
    const { msisdn } = await makeActiveNumber(h.t.app)
    const res = await call(agent, 'POST', '/api/v1/cases', {
      category: 'unwanted_transfer',
      description: 'It is mine.',
      msisdns: [msisdn],
      complainant: { method: 'id_document', document: 'KH-NOT-A-HOLDER' },
    })
    expect(res.statusCode, res.body).toBe(403)
    expect(res.json().code).toBe('complainant_not_proven')
    expect((await holdsOf(msisdn)).held).toBe(false)
    const alerts = await sql<{ staff_id: string }>`
      SELECT staff_id FROM alerts WHERE kind = 'complainant_auth_failed' AND msisdn = ${msisdn}`.execute(h.t.app.db)
    expect(alerts.rows.map((a) => a.staff_id)).toEqual([agent.id])
  })
})

describe('a code to the alternate contact', () => {
  const altContact = '+85598765432'
  const codeAt = async (to: string) => {
    await h.sendAndSettle({ waitForReceipts: false })
    const texts = h.sim.inbox(to).map((m) => m.text)
    return texts.join('\n').match(/(?:Your code|លេខកូដ) (\d{6}) /)?.[1]
  }

  it('proves the subscriber of that custody; a wrong code counts and opens nothing', async () => {
    const { msisdn } = await makeActiveNumber(h.t.app, { subscriber: { alt_contact: altContact } })
    const sent = await call(agent, 'POST', '/api/v1/cases/complainant-codes', { msisdn, alt_contact: altContact })
    expect(sent.statusCode, sent.body).toBe(200)
    const { challenge_id } = sent.json()
    const code = await codeAt(altContact)
    expect(code).toMatch(/^\d{6}$/)
    const complaint = (typed: string) =>
      call(agent, 'POST', '/api/v1/cases', {
        category: 'unauthorised_sim_swap',
        description: 'My SIM stopped working.',
        msisdns: [msisdn],
        complainant: { method: 'alt_contact_code', challenge_id, code: typed },
      })
    const wrong = await complaint(code === '000000' ? '111111' : '000000')
    expect(wrong.statusCode, wrong.body).toBe(403)
    expect(wrong.json().details).toMatchObject({ reason: 'wrong_code', attempts_left: 4 })
    const opened = await complaint(code as string)
    expect(opened.statusCode, opened.body).toBe(201)
    expect(opened.json().complainant.method).toBe('alt_contact_code')
    expect((await holdsOf(msisdn)).held).toBe(true)
    // The code is used: it opens nothing more.
    expect((await complaint(code as string)).json().details.reason).toBe('code_no_longer_valid')
  })

  it('answers a contact that is no holder’s alike, and no code opens that challenge', async () => {
    const { msisdn } = await makeActiveNumber(h.t.app, { subscriber: { alt_contact: '+85598000001' } })
    const sent = await call(agent, 'POST', '/api/v1/cases/complainant-codes', { msisdn, alt_contact: '+85511223344' })
    expect(sent.statusCode, sent.body).toBe(200)
    expect(Object.keys(sent.json()).sort()).toEqual(['challenge_id', 'expires_at', 'sent_to'])
    expect(await codeAt('+85511223344')).toBeUndefined()
    const res = await call(agent, 'POST', '/api/v1/cases', {
      category: 'number_taken',
      description: 'x',
      msisdns: [msisdn],
      complainant: { method: 'alt_contact_code', challenge_id: sent.json().challenge_id, code: '123456' },
    })
    expect(res.json().code).toBe('complainant_not_proven')
  })
})

describe('a compliance officer’s hold on any number', () => {
  it('is confirmed only by another officer, and released only by a request another officer approves', async () => {
    const { msisdn } = await makeActiveNumber(h.t.app)
    const held = await call(officer, 'POST', '/api/v1/holds', { msisdn, reason: 'pattern of swaps at one shop' })
    expect(held.statusCode, held.body).toBe(201)
    const inv = held.json()
    expect(inv).toMatchObject({ kind: 'investigation', complainant: null })
    const own = await call(officer, 'POST', `/api/v1/cases/${inv.id}/confirm`)
    expect(own.statusCode).toBe(403)
    expect((await call(second, 'POST', `/api/v1/cases/${inv.id}/confirm`)).statusCode).toBe(200)

    const filed = await call(officer, 'POST', `/api/v1/holds/${inv.holds[0].id}/release`, { reason: 'cleared' })
    expect(filed.statusCode, filed.body).toBe(201)
    const request = filed.json()
    expect(request).toMatchObject({ kind: 'hold_release', status: 'pending', assigned_to: { id: second.id } })
    const mine = await call(officer, 'POST', `/api/v1/requests/${request.id}/approve`, {
      payload_sha256: request.payload_sha256,
    })
    expect(mine.statusCode).toBe(403)
    const approved = await call(second, 'POST', `/api/v1/requests/${request.id}/approve`, {
      payload_sha256: request.payload_sha256,
    })
    expect(approved.statusCode, approved.body).toBe(200)
    const executed = await call(officer, 'POST', `/api/v1/requests/${request.id}/execute`)
    expect(executed.statusCode, executed.body).toBe(200)
    expect((await holdsOf(msisdn)).held).toBe(false)
    expect(await provisioning(h, msisdn)).toEqual(expect.arrayContaining(['hold_bar', 'hold_unbar']))
  })
})

describe('the hold clock', () => {
  it('shows a hold placed after the market’s deadline as breached', async () => {
    const { msisdn, subscriber } = await makeActiveNumber(h.t.app)
    const opened = await call(agent, 'POST', '/api/v1/cases', {
      category: 'other',
      description: 'I was not warned before my number was suspended.',
      msisdns: [msisdn],
      complainant: { method: 'id_document', document: subscriber.kyc_doc_number },
    })
    expect(opened.statusCode, opened.body).toBe(201)
    expect(opened.json().holds).toEqual([])
    expect(opened.json().sla.hold.state).toBe('not_required')
    h.at(41, '12:00') // 26 hours later: the default is 24 h to the hold
    await signInAgain(h.t.app, officer, second, auditor, agent)
    const late = await call(officer, 'POST', `/api/v1/cases/${opened.json().id}/holds`, {
      msisdn,
      reason: 'the complaint turned out to be about a taken number',
    })
    expect(late.statusCode, late.body).toBe(201)
    const shown = (await call(auditor, 'GET', `/api/v1/cases/${opened.json().reference}`)).json()
    expect(shown.sla.hold).toMatchObject({ state: 'breached', hours_taken: 26 })
  })
})

describe('who sees cases', () => {
  it('lets compliance and auditors read them, agents only open them', async () => {
    expect((await call(auditor, 'GET', '/api/v1/cases')).statusCode).toBe(200)
    expect((await call(agent, 'GET', '/api/v1/cases')).statusCode).toBe(403)
    expect((await call(auditor, 'POST', '/api/v1/holds', { msisdn: story.msisdn, reason: 'x' })).statusCode).toBe(403)
  })
})
