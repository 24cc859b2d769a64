// The access matrix's "right role" column for the routes that change something (reads and request filings are in
// access-matrix-2xx.test.ts): every role a route's permission admits calls it with a valid request of its own and
// gets a 2xx, unless a rule on the object itself refuses it with that rule's own code. A write route this file has no
// sample for still gets the role-gate check (neither 401 nor 403) and is named in the output, so none escapes.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { issueMachineToken } from '../../src/access/machine-tokens.ts'
import { runCommand } from '../../src/audit/run-command.ts'
import { REQUEST_KINDS } from '../../src/domain/requests.ts'
import { PERMISSIONS, ROLES, type Role } from '../../src/domain/roles.ts'
import type { DeclaredRoute } from '../../src/platform/route-access.ts'
import { executorFor } from '../../src/requests/executors.ts'
import { createRequest } from '../../src/requests/index.ts'
import { type SmsLink, sendDueNotices } from '../../src/sms/index.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { openCustomerSession } from '../helpers/customer-session.ts'
import {
  makeActiveNumber,
  makeRange,
  makeSims,
  makeStaff,
  newSubscriber,
  type TestStaff,
} from '../helpers/factories.ts'
import { auth, extraSession, makeMachineClient } from './support.ts'

let t: TestApp
let api: DeclaredRoute[]
const staffByRole = new Map<Role, TestStaff>()
const as = (role: Role) => staffByRole.get(role) as TestStaff
const key = (r: { method: string; url: string }) => `${r.method} ${r.url}`
const enc = encodeURIComponent
const admits = (route: DeclaredRoute, role: Role) =>
  route.access.auth === 'staff' &&
  (route.access.permission === undefined || (PERMISSIONS[route.access.permission] as readonly Role[]).includes(role))

interface Call {
  url: string
  body?: Record<string, unknown>
  /** A session of its own when the call ends the one it is made with. */
  token?: string
}

beforeAll(async () => {
  t = await openTestApp({}, { demoClock: true, sms: 'simulator' })
  api = t.routes.filter((r) => r.url.startsWith('/api/v1') || r.url.startsWith('/oauth'))
  for (const role of ROLES) staffByRole.set(role, await makeStaff(t.app, [role]))
  await makeStaff(t.app, ['compliance_officer']) // the other compliance officer, who approves compliance kinds
})
afterAll(() => t.close())

const agent = () => as('agent')
const available = async () => (await makeRange(t.app, 1))[0]
const shopSim = async () => (await makeSims(t.app, agent().shopId as string, 1))[0]
const post = (url: string, role: Role, body?: Record<string, unknown>) =>
  t.server.inject({ method: 'POST', url, headers: auth(as(role).token), ...(body ? { payload: body } : {}) })

/** A held number whose holder the agent authenticated (a change on it is filed inside that customer session). */
async function heldAndAuthenticated() {
  const held = await makeActiveNumber(t.app, { agent: agent() })
  await openCustomerSession(t.server, agent(), held.msisdn, held.subscriber.kyc_doc_number)
  return held
}

/**
 * A request the system assigned to a staff member of `role` (a supervisor of another shop, or a compliance officer),
 * and a session of that assignee: the requester never picks the approver, so the test does not either.
 */
async function assignedTo(role: Role): Promise<{ id: string; token: string }> {
  const id = await fileForApproval(role)
  const row = await t.app.db.selectFrom('requests').select('assigned_to').where('id', '=', id).executeTakeFirstOrThrow()
  return { id, token: (await extraSession(t.app, row.assigned_to as string)).token }
}

async function fileForApproval(role: Role): Promise<string> {
  if (role === 'supervisor') {
    const { msisdn } = await heldAndAuthenticated()
    const res = await post(`/api/v1/numbers/${enc(msisdn)}/kyc-change`, 'agent', {
      kyc_doc_kind: 'passport',
      kyc_doc_number: `P${Date.now()}`,
    })
    expect(res.statusCode, res.body).toBe(200)
    return res.json().id
  }
  const other = await makeStaff(t.app, ['compliance_officer'])
  const created = await runCommand(t.app.deps, other.actor, (ctx) =>
    createRequest(ctx, { kind: 'hold_release', msisdn: null, payload: { probe: randomUUID() } }),
  )
  return created.id
}

/** The assignee approves the request, signing the payload hash they are shown. */
async function approveAsAssignee(id: string): Promise<void> {
  const row = await t.app.db
    .selectFrom('requests')
    .select(['assigned_to', 'payload_sha256'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow()
  const token = (await extraSession(t.app, row.assigned_to as string)).token
  const approved = await t.server.inject({
    method: 'POST',
    url: `/api/v1/requests/${id}/approve`,
    headers: auth(token),
    payload: { payload_sha256: row.payload_sha256 },
  })
  expect(approved.statusCode, approved.body).toBe(200)
}

/** A request the staff member of `role` filed themselves, still open (for cancel and the consent code). */
async function ownRequest(role: Role): Promise<string | undefined> {
  if (role === 'agent') {
    const { msisdn } = await heldAndAuthenticated()
    const res = await post(`/api/v1/numbers/${enc(msisdn)}/termination`, 'agent', {})
    return res.json().id
  }
  if (role === 'admin') {
    const target = await makeStaff(t.app, ['auditor'])
    const res = await post(`/api/v1/staff/${target.id}/credential-resets`, 'admin', { reason: 'forgot the password' })
    return res.json().id
  }
  const kind = ({ compliance_officer: 'hold_release', inventory_manager: 'policy_change' } as const)[role as string]
  if (!kind) return undefined
  const created = await runCommand(t.app.deps, as(role).actor, (ctx) =>
    createRequest(ctx, { kind, msisdn: null, payload: { probe: randomUUID() } }),
  )
  return created.id
}

/** A customer session the agent opened for a held number's holder, and the code the holder's phone received. */
async function customerSession(): Promise<{ id: string; code: string }> {
  const { msisdn } = await makeActiveNumber(t.app, { agent: agent() })
  const res = await post('/api/v1/customer-sessions', 'agent', { msisdn, method: 'sms_code' })
  expect(res.statusCode, res.body).toBe(200)
  const sms = t.app.sms as SmsLink
  await sendDueNotices(t.app, sms.transport, { limit: 10 })
  const text = sms.smsc?.inbox(msisdn).at(-1)?.text ?? ''
  return { id: res.json().id, code: text.match(/\b\d{6}\b/)?.[0] ?? '000000' }
}

const SAMPLES: Record<string, (role: Role) => Promise<Call | undefined>> = {
  'POST /api/v1/auth/sign-out': async (role) => ({
    url: '/api/v1/auth/sign-out',
    token: (await extraSession(t.app, as(role).id)).token,
  }),
  'DELETE /api/v1/sessions/:id': async (role) => ({
    url: `/api/v1/sessions/${(await extraSession(t.app, as(role).id)).id}`,
  }),
  'POST /api/v1/auth/mfa/enrolment': async () => ({ url: '/api/v1/auth/mfa/enrolment' }),
  'POST /api/v1/staff': async () => ({
    url: '/api/v1/staff',
    body: {
      username: `new.${randomUUID().slice(0, 8)}`,
      display_name: 'New Auditor',
      password: 'a-long-password-1',
      roles: ['auditor'],
    },
  }),
  'POST /api/v1/staff/:id/suspend': async () => ({
    url: `/api/v1/staff/${(await makeStaff(t.app, ['auditor'])).id}/suspend`,
    body: { reason: 'left the company' },
  }),
  'POST /api/v1/shops': async () => ({
    url: '/api/v1/shops',
    body: { id: `shop-${randomUUID().slice(0, 8)}`, name: 'Kampot' },
  }),
  'POST /api/v1/machine-clients': async () => ({
    url: '/api/v1/machine-clients',
    body: { id: `hlr-${randomUUID().slice(0, 8)}`, name: 'HLR', scopes: ['provisioning'] },
  }),
  'POST /api/v1/numbers/:msisdn/reserve': async () => ({ url: `/api/v1/numbers/${enc(await available())}/reserve` }),
  'POST /api/v1/numbers/:msisdn/release': async () => {
    const msisdn = await available()
    expect((await post(`/api/v1/numbers/${enc(msisdn)}/reserve`, 'agent')).statusCode).toBe(200)
    return { url: `/api/v1/numbers/${enc(msisdn)}/release` }
  },
  'POST /api/v1/numbers/:msisdn/sell': async () => ({
    url: `/api/v1/numbers/${enc(await available())}/sell`,
    body: { iccid: await shopSim(), subscriber: newSubscriber() },
  }),
  'POST /api/v1/ranges': async () => {
    const base = 85516000000 + Math.floor(Math.random() * 99_999) * 10
    return { url: '/api/v1/ranges', body: { first: `+${base}`, last: `+${base + 9}` } }
  },
  'POST /api/v1/sims/import': async () => ({
    url: '/api/v1/sims/import',
    body: { csv: `iccid,imsi\n89855077${Date.now().toString().slice(-11)},4560677${Date.now().toString().slice(-8)}` },
  }),
  'POST /api/v1/sims/allocate': async () => {
    const res = await post('/api/v1/sims/import', 'inventory_manager', {
      csv: `iccid,imsi\n89855066${Date.now().toString().slice(-11)},4560666${Date.now().toString().slice(-8)}`,
    })
    expect(res.statusCode, res.body).toBeLessThan(300)
    return { url: '/api/v1/sims/allocate', body: { shop_id: agent().shopId, count: 1 } }
  },
  'POST /api/v1/customer-sessions': async () => ({
    url: '/api/v1/customer-sessions',
    body: { msisdn: (await makeActiveNumber(t.app, { agent: agent() })).msisdn, method: 'sms_code' },
  }),
  'POST /api/v1/customer-sessions/:id/verify': async () => {
    const session = await customerSession()
    return { url: `/api/v1/customer-sessions/${session.id}/verify`, body: { code: session.code } }
  },
  'DELETE /api/v1/customer-sessions/:id': async () => ({
    url: `/api/v1/customer-sessions/${(await customerSession()).id}`,
  }),
  'POST /api/v1/demo/clock/advance': async () => ({ url: '/api/v1/demo/clock/advance', body: { by: '1m' } }),
  'POST /api/v1/demo/sms/reply': async () => ({
    url: '/api/v1/demo/sms/reply',
    body: { from: '+85512980000', text: 'STATUS' },
  }),
  'POST /api/v1/requests/:id/approve': async (role) => {
    const { id, token } = await assignedTo(role)
    const shown = await t.server.inject({ method: 'GET', url: `/api/v1/requests/${id}`, headers: auth(token) })
    return { url: `/api/v1/requests/${id}/approve`, body: { payload_sha256: shown.json().payload_sha256 }, token }
  },
  'POST /api/v1/requests/:id/reject': async (role) => {
    const { id, token } = await assignedTo(role)
    return { url: `/api/v1/requests/${id}/reject`, body: { reason: 'not what the customer asked' }, token }
  },
  'POST /api/v1/requests/:id/execute': async (role) => {
    // A kind of the role's own that needs nobody's word but its approver's: a policy change, a role grant.
    const filed =
      role === 'inventory_manager'
        ? await post('/api/v1/policies', role, { params: { aging_days: 120 } })
        : role === 'admin'
          ? await post(`/api/v1/staff/${(await makeStaff(t.app, ['auditor'])).id}/role-grants`, role, {
              roles: ['auditor', 'inventory_manager'],
              reason: 'runs the stock as well',
            })
          : undefined
    if (!filed) return undefined
    expect(filed.statusCode, filed.body).toBe(200)
    await approveAsAssignee(filed.json().id)
    return { url: `/api/v1/requests/${filed.json().id}/execute` }
  },
  'POST /api/v1/staff/credential-resets/:id/execute': async () => {
    const id = (await ownRequest('admin')) as string
    await approveAsAssignee(id)
    return { url: `/api/v1/staff/credential-resets/${id}/execute` }
  },
  'POST /api/v1/customer-auth-locks/:id/release': async () => {
    // The agent fails the holder's document until locked out of that number (never the holder).
    const { msisdn } = await makeActiveNumber(t.app, { agent: agent() })
    for (let i = 0; i < 10; i++) {
      const res = await post('/api/v1/customer-sessions', 'agent', {
        msisdn,
        method: 'id_document',
        document: 'WRONG-1',
      })
      if (res.statusCode !== 403 || res.json().code !== 'customer_auth_failed') break
    }
    const lock = await t.app.db
      .selectFrom('customer_auth_locks')
      .select('id')
      .where('msisdn', '=', msisdn)
      .executeTakeFirstOrThrow()
    return { url: `/api/v1/customer-auth-locks/${lock.id}/release`, body: { reason: 'the customer was confused' } }
  },
  'POST /api/v1/activity/sources/:source/retire': async () => {
    const client = await makeMachineClient(t.app, ['activity:ingest'])
    const token = (await issueMachineToken(t.app.deps, client.id, client.secret)).access_token
    const source = `old-billing-${randomUUID().slice(0, 6)}`
    const beat = await t.server.inject({
      method: 'POST',
      url: '/api/v1/activity',
      headers: auth(token),
      payload: { source, events: [] },
    })
    expect(beat.statusCode, beat.body).toBeLessThan(300)
    return { url: `/api/v1/activity/sources/${source}/retire` }
  },
  'POST /api/v1/requests/:id/cancel': async (role) => {
    const id = await ownRequest(role)
    return id ? { url: `/api/v1/requests/${id}/cancel`, body: { reason: 'filed by mistake' } } : undefined
  },
  'POST /api/v1/requests/:id/consent-code': async () => ({
    url: `/api/v1/requests/${await ownRequest('agent')}/consent-code`,
  }),
  'POST /api/v1/requests/:id/consent': async () => ({
    url: `/api/v1/requests/${await ownRequest('agent')}/consent`,
    body: { code: '123456' },
  }),
  'POST /api/v1/numbers/:msisdn/swap-lock': async () => {
    const held = await makeActiveNumber(t.app, { agent: agent() })
    return {
      url: `/api/v1/numbers/${enc(held.msisdn)}/swap-lock`,
      body: { action: 'lock', kyc_doc_number: held.subscriber.kyc_doc_number },
    }
  },
  'POST /api/v1/reports/disconnections': async () => ({
    url: '/api/v1/reports/disconnections',
    body: { month: '2026-02' },
  }),
  'POST /api/v1/audit/personal-data/erase': async () => ({
    url: '/api/v1/audit/personal-data/erase',
    body: { before: '2020-01-01T00:00:00Z' },
  }),
}

/** Refusals by a rule on the object itself, with their own codes, for roles the route's permission admits. */
const OBJECT_RULES: Record<string, { status: number; code: string }> = {
  // A consent code is never typed by staff: the route exists to refuse it loudly (and raise an alert).
  ...Object.fromEntries(
    ROLES.map((role) => [`POST /api/v1/requests/:id/consent as ${role}`, { status: 403, code: 'consent_only_by_sms' }]),
  ),
  // Supervisors, compliance officers and admins are enrolled at creation (their roles require MFA).
  ...Object.fromEntries(
    (['supervisor', 'compliance_officer', 'admin'] as const).map((role) => [
      `POST /api/v1/auth/mfa/enrolment as ${role}`,
      { status: 409, code: 'mfa_already_enrolled' },
    ]),
  ),
}

/** Routes that file a request kind: their 2xx cells are the request-table test's (access-matrix-2xx.test.ts). */
const FILING_ROUTES = new Set(
  REQUEST_KINDS.flatMap((kind) => executorFor(kind)?.dedicatedRoute?.replace(/\{(\w+)\}/g, ':$1') ?? []),
)

describe('the right role’s cell of the routes that change something', () => {
  it('every role a write route admits gets a 2xx for a valid request of its own', { timeout: 120_000 }, async () => {
    const failures: string[] = []
    const unsampled = new Set<string>()
    let cells = 0
    for (const route of api.filter((r) => r.method !== 'GET' && r.access.auth === 'staff')) {
      for (const role of ROLES.filter((r) => admits(route, r))) {
        const call = await SAMPLES[key(route)]?.(role)
        if (!call && !FILING_ROUTES.has(key(route))) unsampled.add(`${key(route)} as ${role}`)
        const url =
          call?.url ?? route.url.replace(/:(\w+)/g, (_, n: string) => (n === 'msisdn' ? '+85512100001' : randomUUID()))
        const res = await t.server.inject({
          method: route.method as 'POST',
          url,
          headers: auth(call?.token ?? as(role).token),
          ...(call?.body ? { payload: call.body } : route.method === 'POST' ? { payload: {} } : {}),
        })
        cells++
        const what = `${key(route)} as ${role}: ${res.statusCode} ${res.body.slice(0, 240)}`
        const rule = OBJECT_RULES[`${key(route)} as ${role}`]
        if (rule) {
          if (res.statusCode !== rule.status || res.json().code !== rule.code) failures.push(`object rule: ${what}`)
        } else if (call ? res.statusCode >= 300 : [401, 403].includes(res.statusCode) || res.statusCode >= 500)
          failures.push(what)
      }
    }
    console.info(`write cells: ${cells}; without a 2xx sample (role gate only): ${[...unsampled].join(', ') || 'none'}`)
    expect(failures).toEqual([])
    expect(cells - unsampled.size).toBeGreaterThan(30)
  })
})
