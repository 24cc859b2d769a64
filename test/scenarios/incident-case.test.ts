// The seed's incident end to end, the second half (issue 11, "How it is checked"): a colluding agent uses the
// holder's stolen ID card for an in-shop lost-SIM swap a colluding supervisor approves; once the swap cooling is
// over the transfer's code reaches the fraudster's SIM and the number moves to an accomplice. The former holder
// complains in another shop; the hold lands in the case's own transaction; analysis names the pair; the case file
// shows their actions with verified proofs; the number is restored on four eyes; two offers are declined; the
// findings suspend the agent; the hold is released on four eyes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAuditLogPass } from '../../src/audit/log-service.ts'
import { executeDueRequests } from '../../src/changes/due.ts'
import { swapCoolingDays } from '../../src/changes/swap-history.ts'
import { localDate } from '../../src/domain/zoned-time.ts'
import { operatorTimeZone } from '../../src/reports/index.ts'
import type { TestApp } from '../helpers/app.ts'
import { openCustomerSession } from '../helpers/customer-session.ts'
import { makeActiveNumber, makeSims, makeStaff, newSubscriber, type TestStaff } from '../helpers/factories.ts'
import { lineWith, readPdf } from '../helpers/pdf.ts'
import { signInAgain } from '../helpers/reclaim-fixtures.ts'
import { alertsFor, codeOnPhone, HOUR, http, num, openConsentApp, phone, reply } from './consent-harness.ts'

const DAY = 24 * HOUR
const HOLDER_CONTACT = '+85592555123'

let t: TestApp
let api: ReturnType<typeof http>
let honest: TestStaff
let rogue: TestStaff
let colluder: TestStaff
let counter: TestStaff
let owner: TestStaff
let second: TestStaff
let third: TestStaff
let msisdn: string
let doc: string
let rightfulCustody: string
let rightfulSubscriber: string
let accompliceDoc: string
let swapId: string
let transferId: string
let caseId: string
let holdId: string
let restorationId: string

let rogueSuspended = false
const everyone = () => [honest, rogue, colluder, counter, owner, second, third]
async function later(ms: number) {
  t.clock.advance(ms)
  await signInAgain(t.app, ...everyone().filter((s) => s.id !== rogue.id || !rogueSuspended))
}

/** Approves a request as whoever the system assigned it to (one of `among`), returning that staff member. */
async function approveAsAssigned(request: { id: string; payload_sha256: string }, among: TestStaff[]) {
  const shown = await api.get(owner, `/api/v1/requests/${request.id}`)
  expect(shown.statusCode, shown.body).toBe(200)
  const assigned = among.find((s) => s.id === shown.json().assigned_to?.id)
  expect(assigned, `assigned to ${JSON.stringify(shown.json().assigned_to)}`).toBeDefined()
  const approved = await api.post(assigned as TestStaff, `/api/v1/requests/${request.id}/approve`, {
    payload_sha256: request.payload_sha256,
  })
  expect(approved.statusCode, approved.body).toBe(200)
  return assigned as TestStaff
}

beforeAll(async () => {
  t = await openConsentApp()
  api = http(t)
  honest = await makeStaff(t.app, ['agent'])
  rogue = await makeStaff(t.app, ['agent'])
  colluder = await makeStaff(t.app, ['supervisor']) // the only supervisor: the rogue's requests are all theirs
  counter = await makeStaff(t.app, ['agent']) // the agent of another shop who takes the complaint
  owner = await makeStaff(t.app, ['compliance_officer'])
  second = await makeStaff(t.app, ['compliance_officer'])
  third = await makeStaff(t.app, ['compliance_officer'])

  // Sold by an honest agent; the holder uses the number for weeks.
  const sold = await makeActiveNumber(t.app, { agent: honest })
  msisdn = sold.msisdn
  doc = sold.subscriber.kyc_doc_number
  rightfulCustody = sold.sale.custody_id
  rightfulSubscriber = sold.sale.subscriber_id
  await t.app.db
    .updateTable('subscribers')
    .set({ alt_contact: HOLDER_CONTACT, language: 'en' })
    .where('id', '=', rightfulSubscriber)
    .execute()
  await later(40 * DAY)
})
afterAll(() => t.close())

describe('the taking', () => {
  it('a lost-SIM swap on the stolen ID card, approved by the colluding supervisor, executes a day later', async () => {
    await openCustomerSession(t.server, rogue, msisdn, doc)
    const [fraudSim] = await makeSims(t.app, rogue.shopId as string, 1)
    const filed = await api.post(rogue, `${num(msisdn)}/sim-swap-lost`, { iccid: fraudSim, kyc_doc_number: doc })
    expect(filed.statusCode, filed.body).toBe(200)
    expect(filed.json()).toMatchObject({ kind: 'sim_swap_lost', assigned_to: { id: colluder.id } })
    expect(filed.json().consents).toMatchObject([{ party: 'holder', method: 'id_check' }])
    swapId = filed.json().id
    const approved = await api.post(colluder, `/api/v1/requests/${swapId}/approve`, {
      payload_sha256: filed.json().payload_sha256,
    })
    expect(approved.statusCode, approved.body).toBe(200)
    await later(DAY)
    expect((await executeDueRequests(t.app)).executed).toBe(1)
    const binding = await t.app.db
      .selectFrom('sim_bindings')
      .select('iccid')
      .where('msisdn', '=', msisdn)
      .where('ended_at', 'is', null)
      .executeTakeFirstOrThrow()
    expect(binding.iccid).toBe(fraudSim) // the number now rings the fraudster's SIM
  })

  it('after the swap cooling, the transfer’s code reaches the fraudster’s SIM and the number moves to an accomplice', async () => {
    const cooling = await swapCoolingDays(t.app.db, msisdn)
    expect(cooling).toBeGreaterThan(0)
    await later((cooling + 1) * DAY)
    await openCustomerSession(t.server, rogue, msisdn, doc)
    const [accompliceSim] = await makeSims(t.app, rogue.shopId as string, 1)
    const accomplice = newSubscriber({ name: 'Accomplice' })
    accompliceDoc = accomplice.kyc_doc_number
    const filed = await api.post(rogue, `${num(msisdn)}/transfer`, {
      iccid: accompliceSim,
      new_subscriber: accomplice,
    })
    expect(filed.statusCode, filed.body).toBe(200)
    transferId = filed.json().id
    // The fraudster holds the SIM the number rings: they read the code and reply YES from the number.
    const code = await codeOnPhone(t, msisdn)
    expect((await reply(t, msisdn, `YES ${code}`)).outcome).toBe('consent_recorded')
    const approved = await api.post(colluder, `/api/v1/requests/${transferId}/approve`, {
      payload_sha256: filed.json().payload_sha256,
    })
    expect(approved.statusCode, approved.body).toBe(200)
    await later(25 * HOUR)
    expect((await executeDueRequests(t.app)).executed).toBe(1)
    const custodies = await t.app.db
      .selectFrom('custodies')
      .select(['id', 'basis', 'ended_at', 'subscriber_id'])
      .where('msisdn', '=', msisdn)
      .orderBy('started_at')
      .execute()
    expect(custodies.map((c) => [c.basis, c.ended_at === null])).toEqual([
      ['sale', false],
      ['transfer', true],
    ])
    expect(custodies[0].id).toBe(rightfulCustody)
  })
})

describe('the complaint, in another shop', () => {
  it('authenticates the former holder against their old custody by ID document and holds the number at once', async () => {
    expect(counter.shopId).not.toBe(rogue.shopId)
    await later(3 * HOUR)
    const opened = await api.post(counter, '/api/v1/cases', {
      kind: 'complaint',
      category: 'number_taken',
      description: 'My number stopped working; the shop says it belongs to someone else now.',
      msisdns: [msisdn],
      complainant: { method: 'id_document', document: doc },
      contact: HOLDER_CONTACT,
    })
    expect(opened.statusCode, opened.body).toBe(201)
    const c = opened.json()
    caseId = c.id
    expect(c).toMatchObject({
      kind: 'complaint',
      category: 'number_taken',
      status: 'open',
      opened_by: counter.id,
      opened_in_shop: counter.shopId,
      complainant: { custody_id: rightfulCustody, subscriber_id: rightfulSubscriber, method: 'id_document' },
    })
    expect(c.holds_placed).toHaveLength(1)
    holdId = c.holds_placed[0].id
    expect(c.holds).toHaveLength(1)
    expect(c.holds[0]).toMatchObject({ id: holdId, msisdn, active: true, minutes_after_complaint: 0 })
    expect(new Date(c.holds[0].placed_at).getTime()).toBe(new Date(c.opened_at).getTime())
    expect(c.sla.hold).toMatchObject({ state: 'met', hours_taken: 0 })
    // The hold is of the case's own transaction: the case's and the hold's leaves share it.
    await runAuditLogPass(t.app)
    const leaves = await t.app.db
      .selectFrom('audit_leaves')
      .select(['action', 'txid'])
      .where('action', 'in', ['case.opened', 'hold.placed'])
      .where('msisdn', '=', msisdn)
      .execute()
    expect(leaves.map((l) => l.action).sort()).toEqual(['case.opened', 'hold.placed'])
    expect(leaves[0].txid).toBe(leaves[1].txid)
    const held = await api.get(counter, `${num(msisdn)}/holds`)
    expect(held.json()).toMatchObject({
      held: true,
      items: [{ id: holdId, case_id: caseId, barred_on_network: false }],
    })
    // The complainant is told at the contact they gave (their number rings the accomplice's SIM).
    expect((await phone(t, HOLDER_CONTACT)).join('\n')).toContain(c.reference)
  })

  it('refuses a transfer or a SIM swap filed now: 409 number_on_hold, with a risk alert naming the agent', async () => {
    await openCustomerSession(t.server, rogue, msisdn, accompliceDoc)
    const [iccid, other] = await makeSims(t.app, rogue.shopId as string, 2)
    const transfer = await api.post(rogue, `${num(msisdn)}/transfer`, { iccid, new_subscriber: newSubscriber() })
    expect(transfer.statusCode, transfer.body).toBe(409)
    expect(transfer.json()).toMatchObject({ code: 'number_on_hold', details: { msisdn } })
    const swap = await api.post(rogue, `${num(msisdn)}/sim-swap`, { iccid: other })
    expect(swap.statusCode, swap.body).toBe(409)
    expect(swap.json().code).toBe('number_on_hold')
    const alerts = await t.app.db
      .selectFrom('alerts')
      .select(['staff_id', 'severity'])
      .where('kind', '=', 'held_number_change_refused')
      .where('msisdn', '=', msisdn)
      .execute()
    expect(alerts).toHaveLength(2)
    expect(alerts.every((a) => a.staff_id === rogue.id && a.severity === 'risk')).toBe(true)
  })
})

describe('the investigation', () => {
  it('a compliance officer takes and confirms the case: the number is barred on the network', async () => {
    const taken = await t.server.inject({
      method: 'PATCH',
      url: `/api/v1/cases/${caseId}`,
      headers: { authorization: `Bearer ${owner.token}` },
      payload: { owner_id: owner.id, responded: true },
    })
    expect(taken.statusCode, taken.body).toBe(200)
    expect(taken.json()).toMatchObject({ owner_id: owner.id, sla: { first_response: { state: 'met' } } })
    const confirmed = await api.post(owner, `/api/v1/cases/${caseId}/confirm`)
    expect(confirmed.statusCode, confirmed.body).toBe(200)
    expect(confirmed.json()).toMatchObject({ status: 'investigating', confirmed_by: owner.id })
    const bars = await t.app.db
      .selectFrom('provisioning_events')
      .select(['kind', 'payload'])
      .where('msisdn', '=', msisdn)
      .where('kind', '=', 'hold_bar')
      .execute()
    expect(bars).toHaveLength(1)
    expect(JSON.stringify(bars[0].payload)).toContain(holdId)
    const held = await api.get(owner, `${num(msisdn)}/holds`)
    expect(held.json().items[0].barred_on_network).toBe(true)
  })

  it('internal analysis ranks the colluding agent and supervisor first', async () => {
    await runAuditLogPass(t.app)
    const res = await api.get(owner, `/api/v1/cases/${caseId}/analysis`)
    expect(res.statusCode, res.body).toBe(200)
    const ranked = (res.json().staff as { staff: { id: string } }[]).map((s) => s.staff.id)
    expect(ranked.slice(0, 2).sort()).toEqual([rogue.id, colluder.id].sort())
    expect(ranked).toContain(honest.id)
    expect(res.json().case_id).toBe(caseId)
  })

  it('the case file shows their actions, with approvals and proofs verified against the signed checkpoint', async () => {
    await runAuditLogPass(t.app)
    const res = await api.get(owner, `/api/v1/cases/${caseId}/file`)
    expect(res.statusCode, res.body).toBe(200)
    const file = res.json() as {
      checkpoint: { size: number } | null
      entries: {
        action: string
        staff_id: string | null
        request_id: string | null
        approved_by: { staff_id: string }[]
        proof: string
        shop_id: string | null
      }[]
      counts: Record<string, number>
    }
    expect(file.checkpoint).not.toBeNull()
    const ofRequest = (id: string) => file.entries.filter((e) => e.request_id === id)
    for (const id of [swapId, transferId]) {
      const mine = ofRequest(id)
      expect(mine.map((e) => e.action)).toEqual(expect.arrayContaining(['request.created', 'request.approved']))
      expect(mine.find((e) => e.action === 'request.created')).toMatchObject({
        staff_id: rogue.id,
        shop_id: rogue.shopId,
      })
      expect(mine.find((e) => e.action === 'request.approved')?.staff_id).toBe(colluder.id)
      expect(mine.every((e) => e.approved_by.some((a) => a.staff_id === colluder.id))).toBe(true)
      expect(mine.every((e) => e.proof === 'verified')).toBe(true)
    }
    expect(file.entries.some((e) => e.action === 'case.opened' && e.staff_id === counter.id)).toBe(true)
    expect(file.counts.failed).toBe(0)
    expect(file.counts.verified).toBeGreaterThan(0)
  })
})

describe('the restoration', () => {
  let newSim: string

  it('is filed by the owner to the complainant’s custody with a new SIM of the shop; both parties are texted', async () => {
    ;[newSim] = await makeSims(t.app, counter.shopId as string, 1)
    // Never to someone the case does not name as a former holder: a custody of another number, or the open one.
    const stranger = await makeActiveNumber(t.app, { agent: counter })
    const open = await t.app.db
      .selectFrom('custodies')
      .select('id')
      .where('msisdn', '=', msisdn)
      .where('ended_at', 'is', null)
      .executeTakeFirstOrThrow()
    for (const wrong of [stranger.sale.custody_id, open.id]) {
      const [sim] = await makeSims(t.app, counter.shopId as string, 1)
      const refused = await api.post(owner, `/api/v1/cases/${caseId}/restoration`, {
        msisdn,
        rightful_custody_id: wrong,
        iccid: sim,
        shop_id: counter.shopId,
      })
      expect(refused.statusCode, refused.body).toBe(409)
      expect(refused.json().code).toBe('not_a_former_holder')
    }
    expect((await alertsFor(t, msisdn, 'restoration_refused')).map((a) => a.staff_id)).toEqual([owner.id, owner.id])
    const before = (await phone(t, msisdn)).length
    const filed = await api.post(owner, `/api/v1/cases/${caseId}/restoration`, {
      msisdn,
      rightful_custody_id: rightfulCustody,
      iccid: newSim,
      shop_id: counter.shopId,
    })
    expect(filed.statusCode, filed.body).toBe(201)
    restorationId = filed.json().id
    expect(filed.json()).toMatchObject({ kind: 'restoration', status: 'pending' })
    expect([second.id, third.id]).toContain(filed.json().assigned_to.id)
    const templates = await t.app.db
      .selectFrom('sms_notices')
      .select(['template', 'to_address'])
      .where('msisdn', '=', msisdn)
      .where('purpose', '=', 'restoration')
      .execute()
    expect(templates.map((n) => n.template).sort()).toEqual(['restoration_rightful', 'restoration_wrongful'])
    expect((await phone(t, msisdn)).length).toBeGreaterThan(before)
    expect((await phone(t, HOLDER_CONTACT)).join('\n')).toContain(msisdn)

    // The owner may not approve it, even if asked to (four eyes beyond the requester).
    const own = await api.post(owner, `/api/v1/requests/${restorationId}/approve`, {
      payload_sha256: filed.json().payload_sha256,
    })
    expect(own.statusCode).toBe(403)
    await approveAsAssigned(filed.json(), [second, third])
    const executed = await api.post(owner, `/api/v1/requests/${restorationId}/execute`)
    expect(executed.statusCode, executed.body).toBe(200)
    expect(executed.json().status).toBe('executed')
  })

  it('gives the number back to the former holder; the accomplice’s custody ends and their record is flagged', async () => {
    const custodies = await t.app.db
      .selectFrom('custodies')
      .select(['id', 'basis', 'subscriber_id', 'ended_at', 'end_reason', 'request_id'])
      .where('msisdn', '=', msisdn)
      .orderBy('started_at')
      .execute()
    expect(custodies).toHaveLength(3)
    const [, wrongful, restored] = custodies
    expect(wrongful).toMatchObject({ basis: 'transfer', end_reason: 'restored_to_rightful_holder' })
    expect(wrongful.ended_at).not.toBeNull()
    expect(restored).toMatchObject({
      basis: 'restoration',
      subscriber_id: rightfulSubscriber,
      ended_at: null,
      request_id: restorationId,
    })
    const accomplice = await t.app.db
      .selectFrom('subscribers')
      .select('flagged_by_case')
      .where('id', '=', wrongful.subscriber_id)
      .executeTakeFirstOrThrow()
    expect(accomplice.flagged_by_case).toBe(caseId)
    const binding = await t.app.db
      .selectFrom('sim_bindings')
      .select('iccid')
      .where('msisdn', '=', msisdn)
      .where('ended_at', 'is', null)
      .executeTakeFirstOrThrow()
    expect(binding.iccid).toBe(newSim)
    const events = await t.app.db
      .selectFrom('provisioning_events')
      .select('kind')
      .where('msisdn', '=', msisdn)
      .where('kind', 'in', ['sim_change', 'restore'])
      .execute()
    expect(events.map((e) => e.kind)).toEqual(expect.arrayContaining(['sim_change', 'restore']))
    const shown = await api.get(owner, `/api/v1/cases/${caseId}`)
    expect(shown.json().restorations).toMatchObject([
      { request_id: restorationId, rightful_custody_id: rightfulCustody, wrongful_custody_id: wrongful.id },
    ])
    // The hold still stands after its own restoration.
    expect((await api.get(owner, `${num(msisdn)}/holds`)).json().held).toBe(true)
  })
})

describe('compensation, findings and the release', () => {
  it('records two compensation offers, both declined', async () => {
    const offers = [
      { kind: 'money', amount: 50, currency: 'usd' },
      { kind: 'service_credit', credit: 'Six months of free service' },
    ]
    for (const offer of offers) {
      const made = await api.post(owner, `/api/v1/cases/${caseId}/offers`, offer)
      expect(made.statusCode, made.body).toBe(201)
      const answered = await api.post(owner, `/api/v1/offers/${made.json().id}/response`, { response: 'declined' })
      expect(answered.statusCode, answered.body).toBe(200)
      await later(DAY)
    }
    const shown = await api.get(owner, `/api/v1/cases/${caseId}`)
    expect(
      shown
        .json()
        .compensation_offers.map((o: { kind: string; response: string; currency: string | null }) => [
          o.kind,
          o.response,
          o.currency,
        ]),
    ).toEqual([
      ['money', 'declined', 'USD'],
      ['service_credit', 'declined', null],
    ])
  })

  it('findings of staff misconduct suspend the agent in one step, and the agent’s sessions end', async () => {
    const rogueToken = rogue.token
    // Findings naming a staff member nobody has ever been are refused, and record nothing.
    const ghost = '00000000-0000-4000-8000-000000000000'
    const refused = await api.post(owner, `/api/v1/cases/${caseId}/findings`, {
      conclusion: 'staff_misconduct',
      findings: 'Named the wrong id.',
      staff: [{ staff_id: ghost, suspend: false }],
    })
    expect(refused.statusCode, refused.body).toBe(404)
    const still = (await api.get(owner, `/api/v1/cases/${caseId}`)).json()
    expect(still.status).toBe('investigating')
    expect(still.links.some((l: { ref_id: string }) => l.ref_id === ghost)).toBe(false)
    expect((await api.get(rogue, '/api/v1/auth/me')).statusCode).toBe(200)
    const res = await api.post(owner, `/api/v1/cases/${caseId}/findings`, {
      conclusion: 'staff_misconduct',
      findings: 'The agent swapped the SIM on a stolen ID card; the supervisor approved every request of the pair.',
      staff: [
        { staff_id: rogue.id, suspend: true, note: 'filed the swap and the transfer' },
        { staff_id: colluder.id, note: 'approved both' },
      ],
      measures: [{ kind: 'process_change', description: 'Lost-SIM swaps need a second ID check' }],
    })
    expect(res.statusCode, res.body).toBe(200)
    rogueSuspended = true
    expect(res.json()).toMatchObject({ status: 'resolved', conclusion: 'staff_misconduct' })
    const kinds = (res.json().measures_taken as { kind: string; staff_id: string | null }[]).map((m) => [
      m.kind,
      m.staff_id,
    ])
    expect(kinds).toEqual([
      ['staff_suspended', rogue.id],
      ['process_change', null],
    ])
    const staff = await t.app.db
      .selectFrom('staff')
      .select(['id', 'status'])
      .where('id', 'in', [rogue.id, colluder.id])
      .execute()
    expect(Object.fromEntries(staff.map((s) => [s.id, s.status]))).toEqual({
      [rogue.id]: 'suspended',
      [colluder.id]: 'active',
    })
    const after = await t.server.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { authorization: `Bearer ${rogueToken}` },
    })
    expect(after.statusCode).toBe(401)
    const links = res.json().links.filter((l: { kind: string }) => l.kind === 'staff')
    expect(links.map((l: { ref_id: string }) => l.ref_id).sort()).toEqual([rogue.id, colluder.id].sort())
  })

  it('releases the hold on a hold_release another compliance officer approves', async () => {
    const filed = await api.post(owner, `/api/v1/holds/${holdId}/release`, { reason: 'number restored, case resolved' })
    expect(filed.statusCode, filed.body).toBe(201)
    expect(filed.json()).toMatchObject({ kind: 'hold_release', status: 'pending' })
    await approveAsAssigned(filed.json(), [second, third])
    const executed = await api.post(owner, `/api/v1/requests/${filed.json().id}/execute`)
    expect(executed.statusCode, executed.body).toBe(200)
    expect((await api.get(owner, `${num(msisdn)}/holds`)).json()).toEqual({ held: false, items: [] })
    const unbar = await t.app.db
      .selectFrom('provisioning_events')
      .select('kind')
      .where('msisdn', '=', msisdn)
      .where('kind', '=', 'hold_unbar')
      .execute()
    expect(unbar).toHaveLength(1)
    const shown = await api.get(owner, `/api/v1/cases/${caseId}`)
    expect(shown.json().holds[0]).toMatchObject({ id: holdId, active: false, release_request_id: filed.json().id })
  })
})

describe('the regulator’s account of the case', () => {
  it('names the case, its ids and figures, as JSON and as a PDF', async () => {
    await runAuditLogPass(t.app)
    const json = await api.get(owner, `/api/v1/reports/incident/${caseId}?format=json`)
    expect(json.statusCode, json.body).toBe(200)
    const r = json.json()
    expect(r.case).toMatchObject({
      id: caseId,
      category: 'number_taken',
      status: 'resolved',
      opened_in_shop: counter.shopId,
      complainant: { custody_id: rightfulCustody, subscriber_id: rightfulSubscriber, method: 'id_document' },
    })
    expect(r.numbers).toEqual([msisdn])
    expect(r.sla.hold).toMatchObject({ state: 'met', hours_taken: 0, row: holdId })
    expect(r.holds).toMatchObject([{ id: holdId, msisdn }])
    expect(r.holds[0].released_at).not.toBeNull()
    expect(r.restorations).toMatchObject([
      { request_id: restorationId, status: 'executed', rightful_custody_id: rightfulCustody },
    ])
    expect(r.compensation_offers.map((o: { response: string }) => o.response)).toEqual(['declined', 'declined'])
    expect(r.findings.conclusion).toBe('staff_misconduct')
    const named = Object.fromEntries(
      (r.findings.staff as { staff_id: string; status: string }[]).map((x) => [x.staff_id, x.status]),
    )
    expect(named).toEqual({ [rogue.id]: 'suspended', [colluder.id]: 'active' })
    expect(r.measures.map((m: { kind: string }) => m.kind)).toEqual(['staff_suspended', 'process_change'])
    const timeline = r.timeline as { request_id: string | null; staff_id: string | null; proof: string }[]
    for (const id of [swapId, transferId]) {
      const mine = timeline.filter((l) => l.request_id === id)
      expect(mine.map((l) => l.staff_id)).toEqual(expect.arrayContaining([rogue.id, colluder.id]))
      expect(mine.every((l) => l.proof === 'verified')).toBe(true)
    }
    expect(r.proofs).toMatchObject({ failed: 0, awaiting_checkpoint: 0 })
    expect(r.proofs.verified).toBe(timeline.length)

    const pdf = await t.server.inject({
      method: 'GET',
      url: `/api/v1/reports/incident/${r.case.reference}?format=pdf`,
      headers: { authorization: `Bearer ${owner.token}` },
    })
    expect(pdf.statusCode, pdf.body).toBe(200)
    expect(pdf.headers['content-type']).toBe('application/pdf')
    const text = await readPdf(pdf.rawPayload)
    expect(lineWith(text, `Incident report ${r.case.reference}`)).toBeDefined()
    expect(lineWith(text, 'Hold', holdId)).toBeDefined()
    expect(lineWith(text, 'Request', restorationId)).toBeDefined()
    expect(lineWith(text, 'Conclusion', 'staff_misconduct')).toBeDefined()
    expect(lineWith(text, 'Proofs verified', String(r.proofs.verified))).toBeDefined()
    for (const o of r.compensation_offers) expect(lineWith(text, 'Offer', o.id)).toBeDefined()
  })
})

describe('the regulator’s monthly report', () => {
  it('counts the complaint by its category and its hold placed in time', async () => {
    const { opened_at } = await t.app.db
      .selectFrom('cases')
      .select('opened_at')
      .where('id', '=', caseId)
      .executeTakeFirstOrThrow()
    const month = localDate(opened_at, await operatorTimeZone(t.app.db, opened_at)).slice(0, 7)
    const res = await api.get(owner, `/api/v1/reports/monthly?month=${month}&format=json`)
    expect(res.statusCode, res.body).toBe(200)
    const { counts } = res.json()
    expect(counts.complaints_by_category.number_taken).toBeGreaterThanOrEqual(1)
    expect(counts.cases.complaints).toBeGreaterThanOrEqual(1)
    expect(counts.cases.holds_within_sla).toBeGreaterThanOrEqual(1)
    expect(counts.cases.holds_late).toBe(0)
  })
})
