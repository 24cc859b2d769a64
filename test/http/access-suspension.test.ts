// Staff suspension (issue 4 item 9, invariant 9): a compliance officer suspends a staff member; their open session
// fails on its very next request; the requests they filed are cancelled, their approvals on open requests voided,
// pending requests assigned to them go to another approver; one transaction with its audit record and an alert.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { issueMachineToken } from '../../src/access/machine-tokens.ts'
import type { TestApp } from '../helpers/app.ts'
import { makeShop, makeStaff, type TestStaff } from '../helpers/factories.ts'
import { DAY, type HeldNumber, sellTo, signInAgain, withdrawForInactivity } from '../helpers/reclaim-fixtures.ts'
import { auth, envelopeOf, makeMachineClient, openDemoTestApp } from './support.ts'

let t: TestApp
let officer: TestStaff
let agents: TestStaff[]
let supervisors: TestStaff[]
let held: HeldNumber[]

beforeAll(async () => {
  t = await openDemoTestApp()
  const shop = await makeShop(t.app)
  agents = [await makeStaff(t.app, ['agent'], { shopId: shop }), await makeStaff(t.app, ['agent'], { shopId: shop })]
  held = []
  for (const agent of [agents[0], agents[1], agents[1]]) held.push(await sellTo(t.app, { agent }))
  t.clock.advance(90 * DAY)
  for (const h of held) await withdrawForInactivity(t.app, h)
  officer = await makeStaff(t.app, ['compliance_officer'])
  supervisors = []
  for (let i = 0; i < 3; i++) supervisors.push(await makeStaff(t.app, ['supervisor']))
  await signInAgain(t.app, ...agents)
})
afterAll(() => t.close())

const post = (url: string, token: string, payload: object = {}) =>
  t.server.inject({ method: 'POST', url, payload, headers: auth(token) })
const get = (url: string, token: string) => t.server.inject({ method: 'GET', url, headers: auth(token) })
const suspend = (who: TestStaff, by = officer, reason = 'investigation of an unauthorised transfer') =>
  post(`/api/v1/staff/${who.id}/suspend`, by.token, { reason })

async function fileReclaim(agent: TestStaff, number: HeldNumber) {
  const res = await post(`/api/v1/numbers/${encodeURIComponent(number.msisdn)}/reclaim`, agent.token, {
    kyc_doc_number: number.subscriber.kyc_doc_number,
  })
  expect(res.statusCode, res.body).toBe(200)
  return res.json() as { id: string; payload_sha256: string; assigned_to: { id: string } }
}

const requestStatus = async (id: string) =>
  await t.app.db.selectFrom('requests').select(['status', 'assigned_to']).where('id', '=', id).executeTakeFirstOrThrow()

describe('who may suspend', () => {
  it('only a compliance officer, never themselves, with a reason; twice is a 409', async () => {
    const target = await makeStaff(t.app, ['auditor'])
    expect((await suspend(target, agents[0])).statusCode).toBe(403)
    expect((await suspend(target, supervisors[0])).statusCode).toBe(403)
    expect((await suspend(officer, officer)).statusCode).toBe(403)
    const noReason = await post(`/api/v1/staff/${target.id}/suspend`, officer.token, {})
    expect(noReason.statusCode).toBe(400)
    expect(
      (await post(`/api/v1/staff/0b8f4b8e-6c1a-4d1e-9d0a-3f7c2b1a9e55/suspend`, officer.token, { reason: 'who?' }))
        .statusCode,
    ).toBe(404)
    expect((await suspend(target)).statusCode).toBe(200)
    const twice = await suspend(target)
    expect(twice.statusCode).toBe(409)
    expect(twice.json().code).toBe('staff_not_active')
  })
})

describe('suspending an agent with an open session and a pending request', () => {
  it('fails their next request with 401 staff_suspended, cancels the request, records and alerts; machines go on', async () => {
    const agent = agents[0]
    const reclaim = await fileReclaim(agent, held[0])
    expect((await get('/api/v1/numbers', agent.token)).statusCode).toBe(200)
    const machine = await makeMachineClient(t.app, ['provisioning'])
    const machineToken = (await issueMachineToken(t.app.deps, machine.id, machine.secret)).access_token

    const res = await suspend(agent)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({
      staff_id: agent.id,
      status: 'suspended',
      cancelled_requests: [reclaim.id],
      voided_approvals: [],
      sessions_ended: 1,
    })

    const next = await get('/api/v1/numbers', agent.token)
    expect(next.statusCode).toBe(401)
    expect(next.json()).toMatchObject({ code: 'staff_suspended' })
    expect(await requestStatus(reclaim.id)).toMatchObject({ status: 'cancelled' })
    const signIn = await t.server.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { username: agent.username, password: 'test-password-1' },
    })
    expect(signIn.statusCode).toBe(403)
    expect(signIn.json()).toMatchObject({ code: 'staff_suspended' })

    // Machine clients are not staff: their tokens are unaffected.
    const claim = await t.server.inject({
      method: 'POST',
      url: '/api/v1/provisioning/claim',
      payload: {},
      headers: auth(machineToken),
    })
    expect(claim.statusCode).toBe(200)

    const leaf = await t.app.db
      .selectFrom('audit_records')
      .select('envelope')
      .where('action', '=', 'staff.suspended')
      .execute()
    const mine = leaf.map(envelopeOf).find((e) => e.data?.staff_id === agent.id)
    expect(mine).toMatchObject({
      actor: { kind: 'staff', staff_id: officer.id },
      data: { staff_id: agent.id, reason: expect.any(String), cancelled_requests: [reclaim.id], voided_approvals: [] },
    })
    const cancelled = await t.app.db
      .selectFrom('audit_records')
      .select('envelope')
      .where('action', '=', 'request.cancelled')
      .where('msisdn', '=', held[0].msisdn)
      .executeTakeFirstOrThrow()
    expect(envelopeOf(cancelled).data).toMatchObject({ request_id: reclaim.id, reason: 'requester_suspended' })
    const alert = await t.app.db
      .selectFrom('alerts')
      .selectAll()
      .where('kind', '=', 'staff_suspended')
      .where('staff_id', '=', agent.id)
      .executeTakeFirstOrThrow()
    expect(alert.attempt).toMatchObject({ username: agent.username, cancelled_requests: [reclaim.id] })
    const listed = (await get(`/api/v1/staff/${agent.id}`, officer.token)).json()
    expect(listed).toMatchObject({
      status: 'suspended',
      suspension_reason: expect.any(String),
      abilities: { suspend: false },
    })
  })
})

describe('suspending an approver', () => {
  it('voids their approval on an open request (which is cancelled, having none left) and reassigns their pending ones', async () => {
    const agent = agents[1]
    const approved = await fileReclaim(agent, held[1])
    const approver = supervisors.find((s) => s.id === approved.assigned_to.id) as TestStaff
    const ok = await post(`/api/v1/requests/${approved.id}/approve`, approver.token, {
      payload_sha256: approved.payload_sha256,
    })
    expect(ok.statusCode, ok.body).toBe(200)
    // A second, pending request lands on the least loaded supervisor (ties at random): whoever has it, suspending
    // them moves it to a remaining active supervisor of another shop.
    const pending = await fileReclaim(agent, held[2])
    const pendingApprover = supervisors.find((s) => s.id === pending.assigned_to.id) as TestStaff

    const res = await suspend(approver)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().voided_approvals).toEqual([approved.id])
    expect(res.json().cancelled_requests).toEqual([approved.id])
    const approval = await t.app.db
      .selectFrom('request_approvals')
      .selectAll()
      .where('request_id', '=', approved.id)
      .executeTakeFirstOrThrow()
    expect(approval.voided_at).not.toBeNull()
    expect(await requestStatus(approved.id)).toMatchObject({ status: 'cancelled' })
    const execute = await post(`/api/v1/requests/${approved.id}/execute`, agent.token)
    expect(execute.statusCode).toBe(409)

    if (pendingApprover.id === approver.id) {
      expect(res.json().reassigned_requests).toEqual([pending.id])
      const now = await requestStatus(pending.id)
      expect(now.status).toBe('pending')
      expect(now.assigned_to).not.toBe(approver.id)
      expect(supervisors.map((s) => s.id)).toContain(now.assigned_to)
    } else {
      expect(res.json().reassigned_requests).toEqual([])
      // Suspend the one who has it: it moves to the remaining active supervisor of another shop.
      const again = await suspend(pendingApprover)
      expect(again.json().reassigned_requests).toEqual([pending.id])
      const now = await requestStatus(pending.id)
      expect([approver.id, pendingApprover.id]).not.toContain(now.assigned_to)
    }
  })
})
