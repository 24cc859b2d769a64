// The incident, replayed against the request workflow over HTTP: every way a rogue employee (or a pair of them)
// might move a held number without its holder is refused, and each refusal leaves an alert naming who tried.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { executeDueRequests } from '../../src/changes/due.ts'
import type { TestApp } from '../helpers/app.ts'
import { makeActiveNumber, makeSims, makeStaff, newSubscriber, type TestStaff } from '../helpers/factories.ts'
import { signInAgain } from '../helpers/reclaim-fixtures.ts'
import { alertsFor, codeOnPhone, HOUR, http, num, openConsentApp, phone, reply } from './consent-harness.ts'

let t: TestApp
let agent: TestStaff
let sameShopSupervisor: TestStaff
let colluder: TestStaff
let api: ReturnType<typeof http>

beforeAll(async () => {
  t = await openConsentApp()
  api = http(t)
  agent = await makeStaff(t.app, ['agent'])
  sameShopSupervisor = await makeStaff(t.app, ['supervisor'], { shopId: agent.shopId })
  colluder = await makeStaff(t.app, ['supervisor'])
})
afterAll(() => t.close())

async function fileTransfer(msisdn: string) {
  const [iccid] = await makeSims(t.app, agent.shopId as string, 1)
  const res = await api.post(agent, `${num(msisdn)}/transfer`, { iccid, new_subscriber: newSubscriber() })
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}

describe('a transfer the holder never agreed to', () => {
  let msisdn: string
  let request: { id: string; payload_sha256: string; assigned_to: { id: string } }

  beforeAll(async () => {
    ;({ msisdn } = await makeActiveNumber(t.app, { agent }))
    request = await fileTransfer(msisdn)
  })

  it('is filed pending, assigned to a supervisor of another shop, and the holder is told and sent a code', async () => {
    expect(request).toMatchObject({ kind: 'transfer', status: 'pending', consent_code_sent: true })
    expect(request.assigned_to.id).toBe(colluder.id)
    const texts = await phone(t, msisdn)
    expect(texts.some((x) => x.includes('reply NO') || x.includes('NO'))).toBe(true)
    // The stored bodies never hold the code.
    const code = await codeOnPhone(t, msisdn)
    const bodies = await t.app.db.selectFrom('sms_notices').select('body_masked').where('msisdn', '=', msisdn).execute()
    expect(bodies.some((b) => b.body_masked.includes(code))).toBe(false)
  })

  it('refuses the agent typing the holder’s code (no route takes it) with a risk alert', async () => {
    const code = await codeOnPhone(t, msisdn)
    const res = await api.post(agent, `/api/v1/requests/${request.id}/consent`, { code })
    expect(res.statusCode).toBe(403)
    expect(res.json().code).toBe('consent_only_by_sms')
    const [alert] = await alertsFor(t, msisdn, 'staff_typed_consent_code')
    expect(alert).toMatchObject({ severity: 'risk', staff_id: agent.id })
    expect(JSON.stringify(alert.attempt)).not.toContain(code)
    const consents = await t.app.db
      .selectFrom('request_consents')
      .selectAll()
      .where('request_id', '=', request.id)
      .execute()
    expect(consents.map((c) => c.party)).toEqual(['new_holder'])
  })

  it('refuses the agent approving their own request and a supervisor of the same shop, with alerts', async () => {
    const own = await api.post(agent, `/api/v1/requests/${request.id}/approve`, {
      payload_sha256: request.payload_sha256,
    })
    expect(own.statusCode).toBe(403)
    const same = await api.post(sameShopSupervisor, `/api/v1/requests/${request.id}/approve`, {
      payload_sha256: request.payload_sha256,
    })
    expect(same.statusCode).toBe(403)
    expect(same.json().details.reason).toBe('same_shop')
    expect((await alertsFor(t, msisdn, 'approval_refused')).map((a) => a.staff_id)).toContain(sameShopSupervisor.id)
  })

  it('lets a colluding supervisor approve, but nothing executes without the holder’s reply', async () => {
    const ok = await api.post(colluder, `/api/v1/requests/${request.id}/approve`, {
      payload_sha256: request.payload_sha256,
    })
    expect(ok.statusCode, ok.body).toBe(200)
    t.clock.advance(25 * HOUR)
    await signInAgain(t.app, agent, colluder, sameShopSupervisor)
    expect(await executeDueRequests(t.app)).toEqual({ executed: 0, failed: 0 })
    const res = await api.post(agent, `/api/v1/requests/${request.id}/execute`)
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('consent_not_recorded')
    const [alert] = await alertsFor(t, msisdn, 'execution_without_consent')
    expect(alert).toMatchObject({ severity: 'risk', staff_id: agent.id })
    const custody = await t.app.db
      .selectFrom('custodies')
      .select(['basis', 'ended_at'])
      .where('msisdn', '=', msisdn)
      .execute()
    expect(custody).toEqual([{ basis: 'sale', ended_at: null }])
  })
})

describe('the holder replies NO within the waiting time', () => {
  it('cancels the transfer, tells the holder, and alerts on the requester', async () => {
    const { msisdn } = await makeActiveNumber(t.app, { agent })
    const request = await fileTransfer(msisdn)
    const code = await codeOnPhone(t, msisdn)
    const yes = await reply(t, msisdn, `YES ${code}`)
    expect(yes.outcome).toBe('consent_recorded')
    expect(yes.text_masked).not.toContain(code)
    await api.post(colluder, `/api/v1/requests/${request.id}/approve`, { payload_sha256: request.payload_sha256 })
    t.clock.advance(2 * HOUR)
    const no = await reply(t, msisdn, 'no')
    expect(no.outcome).toBe('request_cancelled')
    const after = await api.get(agent, `/api/v1/requests/${request.id}`)
    expect(after.json()).toMatchObject({ status: 'cancelled', outcome: { cancelled_by: 'holder' } })
    const [alert] = await alertsFor(t, msisdn, 'holder_refused_change')
    expect(alert).toMatchObject({ staff_id: agent.id, severity: 'warning' })
    expect((await phone(t, msisdn)).some((x) => x.includes('Stopped') || x.includes('បានបញ្ឈប់'))).toBe(true)
    t.clock.advance(23 * HOUR)
    await signInAgain(t.app, agent, colluder, sameShopSupervisor)
    expect((await executeDueRequests(t.app)).executed).toBe(0)
    // A redelivered NO finds nothing left to stop.
    expect((await reply(t, msisdn, 'NO')).outcome).toBe('nothing_pending')
  })
})

describe('SIM swaps and transfers', () => {
  it('refuses a swap while the holder’s lock is on, unless the holder shows their ID in the shop', async () => {
    const { msisdn, subscriber } = await makeActiveNumber(t.app, { agent })
    expect((await reply(t, msisdn, 'LOCK')).outcome).toBe('locked')
    const [iccid] = await makeSims(t.app, agent.shopId as string, 1)
    const refused = await api.post(agent, `${num(msisdn)}/sim-swap`, { iccid })
    expect(refused.statusCode).toBe(403)
    expect(refused.json().code).toBe('sim_swap_locked')
    const [alert] = await alertsFor(t, msisdn, 'sim_swap_under_lock')
    expect(alert).toMatchObject({ severity: 'risk', staff_id: agent.id })
    const withId = await api.post(agent, `${num(msisdn)}/sim-swap`, {
      iccid,
      kyc_doc_number: subscriber.kyc_doc_number,
    })
    expect(withId.statusCode, withId.body).toBe(200)
    expect(withId.json().consents).toMatchObject([{ party: 'holder', method: 'id_check' }])
  })

  it('refuses a transfer 3 days after a SIM swap (India rule) with a risk alert', async () => {
    const { msisdn } = await makeActiveNumber(t.app, { agent })
    const [newSim] = await makeSims(t.app, agent.shopId as string, 1)
    const swap = await api.post(agent, `${num(msisdn)}/sim-swap`, { iccid: newSim })
    expect(swap.statusCode, swap.body).toBe(200)
    const code = await codeOnPhone(t, msisdn)
    expect((await reply(t, msisdn, `YES ${code}`)).outcome).toBe('consent_recorded')
    const history = await api.get(agent, `${num(msisdn)}/sim-swaps`)
    expect(history.json().items).toHaveLength(1)
    t.clock.advance(3 * 24 * HOUR)
    await signInAgain(t.app, agent, colluder, sameShopSupervisor)
    const [iccid] = await makeSims(t.app, agent.shopId as string, 1)
    const res = await api.post(agent, `${num(msisdn)}/transfer`, { iccid, new_subscriber: newSubscriber() })
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('transfer_after_sim_swap')
    const [alert] = await alertsFor(t, msisdn, 'transfer_after_sim_swap')
    expect(alert).toMatchObject({ severity: 'risk', staff_id: agent.id })
  })
})
