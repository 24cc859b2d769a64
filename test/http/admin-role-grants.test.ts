// Role grants and credential resets are requests: an admin asks, a compliance officer approves, the admin
// executes; a new or reset approver decides nothing for 7 days (DOMAIN's last row of the request table, and the
// incident scenario "an admin creates an approver who approves the same day").
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { audited, recordAudit } from '../../src/audit/record.ts'
import { runCommand } from '../../src/audit/run-command.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { makeStaff, SYSTEM, signInStaff, type TestStaff } from '../helpers/factories.ts'
import { auth, envelopeOf } from './support.ts'

const DAY = 86_400_000
let t: TestApp
let admin: TestStaff
let officer: TestStaff

beforeAll(async () => {
  t = await openTestApp()
  admin = await makeStaff(t.app, ['admin'])
  officer = await makeStaff(t.app, ['compliance_officer'])
  officers.set(officer.id, officer)
})
afterAll(() => t.close())

const post = (url: string, token: string, payload: object = {}) =>
  t.server.inject({ method: 'POST', url, payload, headers: auth(token) })
const get = (url: string, token: string) => t.server.inject({ method: 'GET', url, headers: auth(token) })

/** Every compliance officer this file signs in, by id: the system assigns approvers at random among the least loaded. */
const officers = new Map<string, TestStaff>()

async function approve(requestId: string, who: TestStaff) {
  const request = (await get(`/api/v1/requests/${requestId}`, who.token)).json()
  return post(`/api/v1/requests/${requestId}/approve`, who.token, { payload_sha256: request.payload_sha256 })
}

/** Everyone signs in again after the clock moved days (sessions last 12 hours). */
async function refresh(...staff: TestStaff[]) {
  for (const s of staff) s.token = (await signInStaff(t.app, s.username)).token
}

/** An admin-created account whose role grant a compliance officer approved and the admin executed, on this day. */
async function grantedAccount(username: string, roles: string[], approver = officer) {
  const created = await post('/api/v1/staff', admin.token, {
    username,
    display_name: username,
    roles,
    shop_id: null,
    password: 'a-fresh-password-1',
  })
  expect(created.statusCode, created.body).toBe(201)
  const requestId = created.json().role_grant_request.id as string
  expect((await approve(requestId, approver)).statusCode).toBe(200)
  const executed = await post(`/api/v1/requests/${requestId}/execute`, admin.token)
  expect(executed.statusCode, executed.body).toBe(200)
  return { id: created.json().id as string, username, requestId, executed: executed.json() }
}

describe('a role grant', () => {
  it('needs a compliance officer’s approval: the admin can neither approve nor execute it alone', async () => {
    const created = await post('/api/v1/staff', admin.token, {
      username: 'new.auditor',
      display_name: 'New Auditor',
      roles: ['auditor'],
      password: 'a-fresh-password-1',
    })
    const requestId = created.json().role_grant_request.id as string
    expect(created.json().roles).toEqual([])
    const byAdmin = await approve(requestId, admin)
    expect(byAdmin.statusCode).toBe(403)
    const early = await post(`/api/v1/requests/${requestId}/execute`, admin.token)
    expect(early.statusCode).toBe(409)
    expect(early.json()).toMatchObject({ code: 'request_not_open' })
    // The generic request route refuses this kind: its own route checks the roles and the shop.
    const generic = await post('/api/v1/requests', admin.token, {
      kind: 'role_grant',
      payload: { staff_id: created.json().id, roles: ['compliance_officer'] },
    })
    expect(generic.statusCode).toBe(400)
    expect(generic.json().message).toContain('POST /api/v1/staff/{id}/role-grants')

    expect((await approve(requestId, officer)).statusCode).toBe(200)
    const executed = await post(`/api/v1/requests/${requestId}/execute`, admin.token)
    expect(executed.statusCode, executed.body).toBe(200)
    expect(executed.json()).toMatchObject({ status: 'executed', outcome: { roles: ['auditor'] } })
    const staff = await get(`/api/v1/staff/${created.json().id}`, admin.token)
    expect(staff.json()).toMatchObject({ roles: ['auditor'], approver_cooling_until: expect.any(String) })
    const leaf = await t.app.db
      .selectFrom('audit_records')
      .select('envelope')
      .where('action', '=', 'staff.roles_granted')
      .executeTakeFirstOrThrow()
    expect(envelopeOf(leaf)).toMatchObject({
      basis: requestId,
      after: { staff_id: created.json().id, roles: ['auditor'], shop_id: null },
    })
  })

  it('refuses an admin asking roles for themselves (with an alert), an unknown role, and a shop role without a shop', async () => {
    const own = await post(`/api/v1/staff/${admin.id}/role-grants`, admin.token, { roles: ['auditor'] })
    expect(own.statusCode).toBe(403)
    expect(own.json().details.alert_id).toEqual(expect.any(String))
    const target = await makeStaff(t.app, ['auditor'])
    const unknown = await post(`/api/v1/staff/${target.id}/role-grants`, admin.token, { roles: ['owner'] })
    expect(unknown.statusCode).toBe(400)
    const noShop = await post(`/api/v1/staff/${target.id}/role-grants`, admin.token, { roles: ['agent'] })
    expect(noShop.statusCode).toBe(400)
    expect(noShop.json()).toMatchObject({ details: { field: 'shop_id' } })
    const byOfficer = await post(`/api/v1/staff/${target.id}/role-grants`, officer.token, { roles: ['auditor'] })
    expect(byOfficer.statusCode).toBe(403)
  })
})

describe('a new or reset approver', () => {
  it('cannot approve anything for 7 days (the same day: refused with an alert), and can on day 8', async () => {
    const fresh = await grantedAccount('fresh.officer', ['compliance_officer'])
    const first = await makeStaffToken(fresh.username)
    const freshStaff: TestStaff = { ...first, roles: ['compliance_officer'] }
    officers.set(freshStaff.id, freshStaff)
    const relogFresh = async () => {
      freshStaff.token = (await signInStaff(t.app, fresh.username, 'a-fresh-password-1', first.secret)).token
    }

    // Day 0: a request is filed; the cooling officer is never assigned, and approving it anyway is refused.
    const target = await makeStaff(t.app, ['auditor'])
    const reset = await post(`/api/v1/staff/${target.id}/credential-resets`, admin.token, { reason: 'lost phone' })
    expect(reset.statusCode, reset.body).toBe(200)
    expect(reset.json().assigned_to.id).toBe(officer.id)
    const refused = await approve(reset.json().id, freshStaff)
    expect(refused.statusCode).toBe(403)
    expect(refused.json()).toMatchObject({ code: 'approver_not_eligible', details: { reason: 'cooling_period' } })
    const alert = await t.app.db
      .selectFrom('alerts')
      .selectAll()
      .where('id', '=', refused.json().details.alert_id)
      .executeTakeFirstOrThrow()
    expect(alert).toMatchObject({ kind: 'approval_refused', staff_id: fresh.id })

    // The database refuses it too, even if the request were assigned to them.
    await expect(
      runCommand(t.app.deps, SYSTEM, async (ctx) => {
        await ctx.tx.updateTable('requests').set({ assigned_to: fresh.id }).where('id', '=', reset.json().id).execute()
        await ctx.tx
          .insertInto('request_approvals')
          .values({
            request_id: reset.json().id,
            approver_id: fresh.id,
            payload_sha256: reset.json().payload_sha256,
            decision: 'approved',
            decided_at: ctx.now,
          })
          .execute()
        return audited(null, [await recordAudit(ctx, { action: 'request.approved', basis: reset.json().id })])
      }),
    ).rejects.toMatchObject({ code: 'invariant_violation', details: { reason: expect.stringContaining('7 days') } })

    // Day 6 still refused, and a new request still goes to the other officer.
    t.clock.advance(6 * DAY)
    await refresh(admin, officer)
    await relogFresh()
    expect((await approve(reset.json().id, freshStaff)).json().details.reason).toBe('cooling_period')
    const other = await makeStaff(t.app, ['auditor'])
    const second = await post(`/api/v1/staff/${other.id}/credential-resets`, admin.token, { reason: 'new phone' })
    expect(second.json().assigned_to.id).toBe(officer.id)
    // Day 8: with the other officer suspended, their pending request goes to the cooled officer, who approves it.
    t.clock.advance(2 * DAY)
    await refresh(admin, officer)
    await relogFresh()
    const suspended = await post(`/api/v1/staff/${officer.id}/suspend`, freshStaff.token, { reason: 'investigation' })
    expect(suspended.statusCode, suspended.body).toBe(200)
    expect(suspended.json().reassigned_requests).toEqual([second.json().id])
    const approved = await approve(second.json().id, freshStaff)
    expect(approved.statusCode, approved.body).toBe(200)
    expect(approved.json()).toMatchObject({ status: 'approved' })
  })
})

describe('a credential reset', () => {
  it('executes only through its own route, which shows a new password once; MFA is enrolled again', async () => {
    const approver = await makeStaff(t.app, ['compliance_officer'])
    const target = await makeStaff(t.app, ['supervisor'])
    const filed = await post(`/api/v1/staff/${target.id}/credential-resets`, admin.token, { reason: 'forgotten' })
    expect(filed.statusCode, filed.body).toBe(200)
    const again = await post(`/api/v1/staff/${target.id}/credential-resets`, admin.token, { reason: 'twice' })
    expect(again.json()).toMatchObject({ code: 'duplicate_request' })
    officers.set(approver.id, approver)
    const assignee = officers.get(filed.json().assigned_to.id) as TestStaff
    expect(assignee).toBeDefined()
    expect((await approve(filed.json().id, assignee)).statusCode).toBe(200)

    const generic = await post(`/api/v1/requests/${filed.json().id}/execute`, admin.token)
    expect(generic.statusCode).toBe(409)
    expect(generic.json()).toMatchObject({ code: 'execute_with_staff_route' })
    const executed = await post(`/api/v1/staff/credential-resets/${filed.json().id}/execute`, admin.token)
    expect(executed.statusCode, executed.body).toBe(200)
    expect(executed.headers['cache-control']).toBe('no-store')
    const password = executed.json().temporary_password as string
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/)
    expect(executed.json().request).toMatchObject({ status: 'executed' })
    expect(JSON.stringify(executed.json().request)).not.toContain(password)

    // Their sessions ended; the new password signs in and asks for a new enrolment; 7 days without approving.
    expect((await get('/api/v1/alerts', target.token)).statusCode).toBe(401)
    const signIn = await t.server.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { username: target.username, password },
    })
    expect(signIn.json()).toMatchObject({ status: 'mfa_enrolment_required' })
    const row = await t.app.db
      .selectFrom('staff')
      .select(['credentials_reset_at', 'mfa_enrolled_at', sql<string>`password_hash`.as('hash')])
      .where('id', '=', target.id)
      .executeTakeFirstOrThrow()
    expect(row.mfa_enrolled_at).toBeNull()
    expect(new Date(row.credentials_reset_at as Date).getTime()).toBe(t.clock.now().getTime())
    const records = await t.app.db.selectFrom('audit_records').select('envelope').execute()
    expect(JSON.stringify(records)).not.toContain(password)
  })
})

/** The first sign-in of an account made through the API: it enrols MFA with the secret the server offers. */
async function makeStaffToken(username: string) {
  const offered = await t.server.inject({
    method: 'POST',
    url: '/api/v1/auth/sign-in',
    payload: { username, password: 'a-fresh-password-1' },
  })
  expect(offered.json().status).toBe('mfa_enrolment_required')
  const secret = offered.json().enrolment.secret as string
  const out = await signInStaff(t.app, username, 'a-fresh-password-1', secret)
  return {
    secret,
    id: out.staff.id,
    username,
    shopId: null,
    token: out.token,
    actor: {
      kind: 'staff' as const,
      staffId: out.staff.id,
      sessionId: out.session.id,
      username,
      roles: out.staff.roles as TestStaff['roles'],
      shopId: null,
      client: {},
    },
  }
}
