// Reclaim during aging, end to end over HTTP: a holder's number is withdrawn for inactivity on day 90; on day 100
// the holder walks into a shop with their ID; an agent files the reclaim, a supervisor of another shop (assigned by
// the system) approves the payload hash, the agent executes, and the holder has their number back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { payloadSha256 } from '../../src/requests/payload.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { makeSims, makeStaff, type TestStaff } from '../helpers/factories.ts'
import { agingNumber, DAY, type HeldNumber, signInAgain } from '../helpers/reclaim-fixtures.ts'

let t: TestApp
let agent: TestStaff
let sameShopSupervisor: TestStaff
let otherShopSupervisor: TestStaff
let held: HeldNumber

const auth = (s: TestStaff) => ({ authorization: `Bearer ${s.token}` })
const post = (who: TestStaff, url: string, payload: unknown = {}) =>
  t.server.inject({ method: 'POST', url, headers: auth(who), payload: payload as Record<string, unknown> })
const get = (who: TestStaff, url: string) => t.server.inject({ method: 'GET', url, headers: auth(who) })

beforeAll(async () => {
  t = await openTestApp()
  agent = await makeStaff(t.app, ['agent'])
  sameShopSupervisor = await makeStaff(t.app, ['supervisor'], { shopId: agent.shopId })
  otherShopSupervisor = await makeStaff(t.app, ['supervisor'])
  held = await agingNumber(t.app, t.clock, { agent, subscriber: { alt_contact: '+85592000111', language: 'en' } })
  t.clock.advance(10 * DAY) // day 100: ten days into aging
  await signInAgain(t.app, agent, sameShopSupervisor, otherShopSupervisor)
})
afterAll(() => t.close())

describe('a reclaim on day 100', () => {
  let requestId: string
  let sha: string

  it('shows the number ageing, reclaimable until the day before aging ends', async () => {
    const res = await get(agent, `/api/v1/numbers/${encodeURIComponent(held.msisdn)}/recycling`)
    expect(res.statusCode).toBe(200)
    // Withdrawn on 2026-05-31 (day 90, Phnom Penh): aging ends 90 days later.
    expect(res.json()).toMatchObject({
      cycle: {
        group: 'aging',
        reclaim_until: '2026-08-28',
        reclaimable: true,
        next: { what: 'aging_ends', on: '2026-08-29' },
      },
      abilities: { reclaim: true },
    })
    const supervisorView = await get(
      otherShopSupervisor,
      `/api/v1/numbers/${encodeURIComponent(held.msisdn)}/recycling`,
    )
    expect(supervisorView.json().abilities.reclaim).toBe(false)
    // The overview counts it for the agent; which number it is, the supervisor sees (invariant 10).
    const overview = await get(agent, '/api/v1/recycling/overview')
    expect(overview.json()).toMatchObject({ counts: { aging: 1 }, lists: null })
    const supervisorOverview = await get(otherShopSupervisor, '/api/v1/recycling/overview')
    expect(supervisorOverview.json().lists.aging[0]).toMatchObject({ msisdn: held.msisdn, reclaim_until: '2026-08-28' })
  })

  it('refuses a document that is not the former holder’s, with a risk alert naming the agent', async () => {
    const res = await post(agent, `/api/v1/numbers/${encodeURIComponent(held.msisdn)}/reclaim`, {
      kyc_doc_number: 'KH000000',
    })
    expect(res.statusCode).toBe(403)
    expect(res.json().code).toBe('kyc_mismatch')
    const alert = await t.app.db
      .selectFrom('alerts')
      .selectAll()
      .where('id', '=', res.json().details.alert_id)
      .executeTakeFirstOrThrow()
    expect(alert).toMatchObject({ kind: 'kyc_mismatch', severity: 'risk', staff_id: agent.id, msisdn: held.msisdn })
    expect(await openRequests()).toBe(0)
  })

  it('files the request on the holder’s document, assigned to a supervisor of another shop, and tells the alternate contact', async () => {
    const res = await post(agent, `/api/v1/numbers/${encodeURIComponent(held.msisdn)}/reclaim`, {
      kyc_doc_number: held.subscriber.kyc_doc_number.toLowerCase(),
    })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    requestId = body.id
    sha = body.payload_sha256
    expect(body).toMatchObject({
      kind: 'reclaim',
      msisdn: held.msisdn,
      status: 'pending',
      assigned_to: { id: otherShopSupervisor.id },
      requested_by: { id: agent.id },
      payload: {
        former_custody_id: held.custodyId,
        subscriber_id: held.subscriberId,
        sim: { iccid: held.iccid, source: 'former' },
      },
      abilities: { approve: false, execute: false, cancel: true },
    })
    expect(sha).toBe(payloadSha256(body.payload))
    const notice = await t.app.db
      .selectFrom('sms_notices')
      .select(['to_address', 'purpose'])
      .where('dedupe_key', '=', `reclaim_requested:${requestId}`)
      .executeTakeFirstOrThrow()
    expect(notice).toEqual({ to_address: '+85592000111', purpose: 'reclaim_requested' })
  })

  it('shows on the number and in the assignee’s inbox only', async () => {
    const onNumber = await get(agent, `/api/v1/numbers/${encodeURIComponent(held.msisdn)}/requests`)
    expect(onNumber.json().items[0]).toMatchObject({ id: requestId, status: 'pending' })
    const inbox = await get(otherShopSupervisor, '/api/v1/requests?assigned_to_me=true&status=pending')
    expect(inbox.json().items.map((r: { id: string }) => r.id)).toEqual([requestId])
    expect(inbox.json().items[0].abilities).toMatchObject({ approve: true, reject: true })
    const other = await get(sameShopSupervisor, '/api/v1/requests?assigned_to_me=true&status=pending')
    expect(other.json().items).toEqual([])
  })

  it('refuses a second reclaim while this one is open', async () => {
    const res = await post(agent, `/api/v1/numbers/${encodeURIComponent(held.msisdn)}/reclaim`, {
      kyc_doc_number: held.subscriber.kyc_doc_number,
    })
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({ code: 'duplicate_request', details: { request_id: requestId } })
  })

  it('refuses the requester’s shop supervisor, the agent and a different payload hash', async () => {
    const sameShop = await post(sameShopSupervisor, `/api/v1/requests/${requestId}/approve`, { payload_sha256: sha })
    expect(sameShop.statusCode).toBe(403)
    expect(sameShop.json()).toMatchObject({ code: 'approver_not_eligible', details: { reason: 'same_shop' } })
    const byAgent = await post(agent, `/api/v1/requests/${requestId}/approve`, { payload_sha256: sha })
    expect(byAgent.statusCode).toBe(403)
    const wrongHash = await post(otherShopSupervisor, `/api/v1/requests/${requestId}/approve`, {
      payload_sha256: 'f'.repeat(64),
    })
    expect(wrongHash.statusCode).toBe(409)
    expect(wrongHash.json().code).toBe('payload_mismatch')
    const alerts = await t.app.db
      .selectFrom('alerts')
      .select(['kind', 'staff_id'])
      .where('msisdn', '=', held.msisdn)
      .where('kind', 'in', ['approval_refused', 'approval_payload_mismatch'])
      // Raised at one instant (and an identical refusal counts as a repeat of an earlier one): order by kind.
      .orderBy('kind')
      .execute()
    expect(alerts).toEqual([
      { kind: 'approval_payload_mismatch', staff_id: otherShopSupervisor.id },
      { kind: 'approval_refused', staff_id: sameShopSupervisor.id },
    ])
  })

  it('is not executed before its approval', async () => {
    const res = await post(agent, `/api/v1/requests/${requestId}/execute`)
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('request_not_open')
  })

  it('is approved by the assignee on the payload hash, then executed by the agent: the holder has the number back', async () => {
    const approved = await post(otherShopSupervisor, `/api/v1/requests/${requestId}/approve`, { payload_sha256: sha })
    expect(approved.statusCode).toBe(200)
    expect(approved.json()).toMatchObject({
      status: 'approved',
      approvals: [{ decision: 'approved', payload_sha256: sha }],
    })

    const executed = await post(agent, `/api/v1/requests/${requestId}/execute`)
    expect(executed.statusCode).toBe(200)
    const outcome = executed.json().outcome
    expect(executed.json().status).toBe('executed')
    expect(outcome).toMatchObject({
      iccid: held.iccid,
      sim_source: 'former',
      disconnection_cancelled: { correction_due: false },
    })

    // The approver's working view (an agent would need a customer session for the holder: invariant 10).
    const number = (await get(otherShopSupervisor, `/api/v1/numbers/${encodeURIComponent(held.msisdn)}`)).json()
    expect(number.state).toBe('active')
    expect(number.current_custody).toMatchObject({ id: outcome.custody_id, basis: 'reclaim', request_id: requestId })
    expect(number.current_custody.subscriber.id ?? number.current_custody.subscriber_id).toBe(held.subscriberId)

    const db = t.app.db
    const binding = await db
      .selectFrom('sim_bindings')
      .select(['iccid'])
      .where('custody_id', '=', outcome.custody_id)
      .where('ended_at', 'is', null)
      .executeTakeFirstOrThrow()
    expect(binding.iccid).toBe(held.iccid)
    const cycles = await db
      .selectFrom('recycling_state')
      .select(['custody_id', 'stage', 'next_due_at'])
      .where('msisdn', '=', held.msisdn)
      .execute()
    expect(cycles.find((c) => c.custody_id === held.custodyId)).toMatchObject({ stage: 'closed', next_due_at: null })
    expect(cycles.find((c) => c.custody_id === outcome.custody_id)).toMatchObject({ stage: 'in_cycle' })
    const register = await db
      .selectFrom('disconnections')
      .select(['cancel_reason', 'cancel_basis'])
      .where('custody_id', '=', held.custodyId)
      .executeTakeFirstOrThrow()
    expect(register).toEqual({ cancel_reason: 'reclaim', cancel_basis: requestId })
    const restore = await db
      .selectFrom('provisioning_events')
      .select(['kind'])
      .where('msisdn', '=', held.msisdn)
      .where('kind', '=', 'restore')
      .execute()
    expect(restore).toHaveLength(1)
    const sms = await db
      .selectFrom('sms_notices')
      .select(['to_address', 'template'])
      .where('id', '=', outcome.notice_id)
      .executeTakeFirstOrThrow()
    expect(sms).toEqual({ to_address: held.msisdn, template: 'reclaim' })

    const actions = await db
      .selectFrom('audit_records')
      .select(['action', 'envelope'])
      .where('action', 'like', 'request.%')
      .orderBy('seq')
      .execute()
    expect(actions.map((a) => a.action)).toEqual(['request.created', 'request.approved', 'request.executed'])
    const after = (
      await get(otherShopSupervisor, `/api/v1/numbers/${encodeURIComponent(held.msisdn)}/recycling`)
    ).json()
    expect(after.cycle).toMatchObject({ group: 'counting', custody_id: outcome.custody_id, day_of_cycle: 0 })
    expect(after.cycle.next).toMatchObject({ what: 'warning', stage: 1 })

    const executedRecord = actions[2].envelope as { data: Record<string, unknown>; basis: string }
    expect(executedRecord.data).toMatchObject({
      request_id: requestId,
      kind: 'reclaim',
      payload_sha256: sha,
      requested_by: agent.id,
      approved_by: [otherShopSupervisor.id],
    })
  })

  it('cannot be executed twice', async () => {
    const again = await post(agent, `/api/v1/requests/${requestId}/execute`)
    expect(again.statusCode).toBe(409)
  })
})

describe('reclaim refusals', () => {
  it('refuses a number that is held, with a risk alert', async () => {
    const res = await post(agent, `/api/v1/numbers/${encodeURIComponent(held.msisdn)}/reclaim`, {
      kyc_doc_number: held.subscriber.kyc_doc_number,
    })
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('number_not_aging')
    expect(res.json().details.alert_id).toBeTruthy()
  })

  it('asks for a SIM of the shop when the former SIM is taken, and binds that one', async () => {
    const other = await agingNumber(t.app, t.clock, { agent })
    await signInAgain(t.app, agent, sameShopSupervisor, otherShopSupervisor)
    // The former SIM was reported lost meanwhile: it cannot serve the number again.
    await t.app.db.updateTable('sims').set({ state: 'lost_stolen' }).where('iccid', '=', other.iccid).execute()
    const url = `/api/v1/numbers/${encodeURIComponent(other.msisdn)}/reclaim`
    const noSim = await post(agent, url, { kyc_doc_number: other.subscriber.kyc_doc_number })
    expect(noSim.statusCode).toBe(409)
    expect(noSim.json()).toMatchObject({ code: 'sim_required', details: { field: 'iccid' } })
    const [fresh] = await makeSims(t.app, agent.shopId as string, 1)
    const filed = await post(agent, url, { kyc_doc_number: other.subscriber.kyc_doc_number, iccid: fresh })
    expect(filed.statusCode).toBe(200)
    expect(filed.json().payload.sim).toEqual({ iccid: fresh, source: 'shop_stock' })
  })

  it('is refused to anyone but an agent (403) and without a session (401)', async () => {
    const url = `/api/v1/numbers/${encodeURIComponent(held.msisdn)}/reclaim`
    expect((await post(otherShopSupervisor, url, { kyc_doc_number: 'X1234' })).statusCode).toBe(403)
    expect((await t.server.inject({ method: 'POST', url, payload: { kyc_doc_number: 'X1234' } })).statusCode).toBe(401)
    expect((await post(agent, url, {})).statusCode).toBe(400)
  })
})

async function openRequests(): Promise<number> {
  const row = await t.app.db
    .selectFrom('requests')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('msisdn', '=', held.msisdn)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
