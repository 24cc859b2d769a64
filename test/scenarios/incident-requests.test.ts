// The incident, replayed against the request workflow over HTTP: every way a rogue employee (or a pair of them)
// might move a held number without its holder is refused, and each refusal leaves an alert naming who tried.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCommand } from '../../src/audit/run-command.ts'
import { executeDueRequests } from '../../src/changes/due.ts'
import { DEFAULT_SWAP_COOLING_DAYS, swapCoolingDays } from '../../src/changes/swap-history.ts'
import { sellNumber } from '../../src/inventory/sales.ts'
import type { TestApp } from '../helpers/app.ts'
import { makeAuthenticatedNumber, openCustomerSession } from '../helpers/customer-session.ts'
import { makeRange, makeSims, makeStaff, newSubscriber, type TestStaff } from '../helpers/factories.ts'
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
    ;({ msisdn } = await makeAuthenticatedNumber(t, agent))
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
    const { msisdn } = await makeAuthenticatedNumber(t, agent)
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
    const { msisdn, subscriber } = await makeAuthenticatedNumber(t, agent)
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

  it('refuses a transfer 3 days after a SIM swap (the 30-day cooling window) with a risk alert', async () => {
    const { msisdn, subscriber } = await makeAuthenticatedNumber(t, agent)
    const [newSim] = await makeSims(t.app, agent.shopId as string, 1)
    const swap = await api.post(agent, `${num(msisdn)}/sim-swap`, { iccid: newSim })
    expect(swap.statusCode, swap.body).toBe(200)
    const code = await codeOnPhone(t, msisdn)
    expect((await reply(t, msisdn, `YES ${code}`)).outcome).toBe('consent_recorded')
    const history = await api.get(agent, `${num(msisdn)}/sim-swaps`)
    expect(history.json().items).toHaveLength(1)
    t.clock.advance(3 * 24 * HOUR)
    await signInAgain(t.app, agent, colluder, sameShopSupervisor)
    // A new sign-in: the holder is authenticated again before the transfer is filed.
    await openCustomerSession(t.server, agent, msisdn, subscriber.kyc_doc_number)
    const [iccid] = await makeSims(t.app, agent.shopId as string, 1)
    const res = await api.post(agent, `${num(msisdn)}/transfer`, { iccid, new_subscriber: newSubscriber() })
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('transfer_after_sim_swap')
    const [alert] = await alertsFor(t, msisdn, 'transfer_after_sim_swap')
    expect(alert).toMatchObject({ severity: 'risk', staff_id: agent.id })
  })
})

// Issue 10, item 5: the lost-SIM attack. An agent with a copy of the holder's ID card files a lost-SIM swap, a
// supervisor of another shop approves it, it executes 24 h later with no word from the holder — and then, with the
// new SIM in the attackers' hands, the transfer (or termination, or KYC change) that the swap was for is refused for
// the number's swap cooling window (30 days). The holder was told twice how to stop it, and the approver saw what
// else the requester had been doing.
const DAY = 24 * HOUR
const ALT_CONTACT = '+85592555777'

describe('two colluding staff with a copy of the holder’s ID card', () => {
  let msisdn: string
  let doc: string
  let request: { id: string; payload_sha256: string; assigned_to: { id: string }; notice_ids: string[] }

  const later = async (ms: number) => {
    t.clock.advance(ms)
    await signInAgain(t.app, agent, colluder, sameShopSupervisor)
    await openCustomerSession(t.server, agent, msisdn, doc)
  }

  beforeAll(async () => {
    const held = await makeAuthenticatedNumber(t, agent)
    msisdn = held.msisdn
    doc = held.subscriber.kyc_doc_number
    await t.app.db
      .updateTable('subscribers')
      .set({ alt_contact: ALT_CONTACT, language: 'en' })
      .where('id', '=', held.sale.subscriber_id)
      .execute()
  })

  it('file a lost-SIM swap: the number and the alternate contact are told, with how to stop it', async () => {
    const [iccid] = await makeSims(t.app, agent.shopId as string, 1)
    // A first try with another document is refused and leaves a risk alert in the agent's name.
    const wrong = await api.post(agent, `${num(msisdn)}/sim-swap-lost`, { iccid, kyc_doc_number: 'XX999999' })
    expect(wrong.statusCode).toBe(403)
    const filed = await api.post(agent, `${num(msisdn)}/sim-swap-lost`, { iccid, kyc_doc_number: doc })
    expect(filed.statusCode, filed.body).toBe(200)
    request = filed.json()
    expect(request.notice_ids).toHaveLength(2)
    expect(request.assigned_to.id).toBe(colluder.id)
    // The number still rings the holder's SIM until the swap executes: the holder reads it there.
    const onNumber = (await phone(t, msisdn)).join('\n')
    expect(onNumber).toContain('SIM reported lost')
    expect(onNumber).toMatch(/reply NO from this phone or call us at once to stop it/)
    const onAlt = (await phone(t, ALT_CONTACT)).join('\n')
    expect(onAlt).toContain(`reply NO from ${msisdn} or call us at once to stop it`)
    const stored = await t.app.db
      .selectFrom('sms_notices')
      .select(['to_address', 'template'])
      .where('id', 'in', request.notice_ids)
      .execute()
    expect(stored.map((n) => n.template).sort()).toEqual(['sim_swap_lost_alt_contact', 'sim_swap_lost_number'])
  })

  it('the approver reads the requester’s recent swaps and refusals on the request', async () => {
    const seen = await api.get(colluder, `/api/v1/requests/${request.id}`)
    expect(seen.statusCode, seen.body).toBe(200)
    const record = seen.json().requester_record
    expect(record.swaps[0]).toMatchObject({ id: request.id, kind: 'sim_swap_lost', status: 'pending' })
    expect(record.refusals.map((a: { kind: string }) => a.kind)).toContain('kyc_mismatch')
    expect(new Date(record.since).getTime()).toBe(t.clock.now().getTime() - 30 * DAY)
    // Other kinds carry no record.
    const { msisdn: other } = await makeAuthenticatedNumber(t, agent)
    const termination = await api.post(agent, `${num(other)}/termination`, {})
    expect(termination.statusCode, termination.body).toBe(200)
    expect(termination.json().requester_record ?? null).toBeNull()
  })

  it('approve it; with no NO from the holder it executes 24 h later', async () => {
    const approved = await api.post(colluder, `/api/v1/requests/${request.id}/approve`, {
      payload_sha256: request.payload_sha256,
    })
    expect(approved.statusCode, approved.body).toBe(200)
    await later(DAY)
    expect((await executeDueRequests(t.app)).executed).toBe(1)
  })

  it('7 days later (and until day 30) the new SIM cannot take, end or re-identify the number', async () => {
    expect(await swapCoolingDays(t.app.db, msisdn)).toBe(DEFAULT_SWAP_COOLING_DAYS)
    expect(DEFAULT_SWAP_COOLING_DAYS).toBe(30)
    for (const [at, label] of [
      [7 * DAY + HOUR, 'day 7'],
      [22 * DAY, 'day 29'],
    ] as const) {
      await later(at)
      const [iccid] = await makeSims(t.app, agent.shopId as string, 1)
      const transfer = await api.post(agent, `${num(msisdn)}/transfer`, { iccid, new_subscriber: newSubscriber() })
      expect(transfer.statusCode, `${label}: ${transfer.body}`).toBe(409)
      expect(transfer.json()).toMatchObject({ code: 'transfer_after_sim_swap', details: { cooling_days: 30 } })
      const termination = await api.post(agent, `${num(msisdn)}/termination`, {})
      expect(termination.statusCode, `${label}: ${termination.body}`).toBe(409)
      expect(termination.json().code).toBe('termination_after_sim_swap')
      const kyc = await api.post(agent, `${num(msisdn)}/kyc-change`, {
        kyc_doc_kind: 'passport',
        kyc_doc_number: 'N1234567',
      })
      expect(kyc.statusCode, `${label}: ${kyc.body}`).toBe(409)
      expect(kyc.json().code).toBe('kyc_change_after_sim_swap')
    }
    // The holder's identity is theirs on every number: a second number they hold cannot re-identify them either.
    const [secondIccid] = await makeSims(t.app, agent.shopId as string, 1)
    const [second] = await makeRange(t.app, 1)
    const holder = await t.app.db
      .selectFrom('custodies')
      .select('subscriber_id')
      .where('msisdn', '=', msisdn)
      .where('ended_at', 'is', null)
      .executeTakeFirstOrThrow()
    await runCommand(t.app.deps, agent.actor, (ctx) =>
      sellNumber(
        ctx,
        agent.actor,
        { msisdn: second, iccid: secondIccid, subscriberId: holder.subscriber_id, kycDocNumber: doc },
        t.app.config.kycKey,
      ),
    )
    await openCustomerSession(t.server, agent, second, doc)
    const viaSecond = await api.post(agent, `${num(second)}/kyc-change`, {
      kyc_doc_kind: 'passport',
      kyc_doc_number: 'N1234567',
    })
    expect(viaSecond.statusCode, viaSecond.body).toBe(409)
    expect(viaSecond.json()).toMatchObject({ code: 'kyc_change_after_sim_swap', details: { swapped_msisdn: msisdn } })
    for (const kind of ['transfer', 'termination', 'kyc_change']) {
      const alerts = await alertsFor(t, msisdn, `${kind}_after_sim_swap`)
      expect(alerts.length, kind).toBeGreaterThan(0)
      expect(alerts[0]).toMatchObject({ severity: 'risk', staff_id: agent.id })
    }
    const custody = await t.app.db
      .selectFrom('custodies')
      .select('ended_at')
      .where('msisdn', '=', msisdn)
      .executeTakeFirstOrThrow()
    expect(custody.ended_at).toBeNull()
  })

  it('once the 30 days are over, a transfer may be filed again (it still needs the holder’s YES)', async () => {
    await later(DAY)
    const [iccid] = await makeSims(t.app, agent.shopId as string, 1)
    const transfer = await api.post(agent, `${num(msisdn)}/transfer`, { iccid, new_subscriber: newSubscriber() })
    expect(transfer.statusCode, transfer.body).toBe(200)
  })
})
