// The access matrix's "right role" column, as a 2xx (access-matrix.test.ts checks the 401 and 403 columns for every
// route and role). Generated from the route table and DOMAIN's request table: every read route answers 2xx to every
// role its permission admits, called with path values that name real things; every request kind is filed through
// the route the table's executor names, by every role — 2xx for the kind's requester roles, 403 for all the others.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { issueMachineToken } from '../../src/access/machine-tokens.ts'
import { runAuditLogPass } from '../../src/audit/log-service.ts'
import { runCommand } from '../../src/audit/run-command.ts'
import { REQUEST_KINDS, REQUEST_TABLE, type RequestKind } from '../../src/domain/requests.ts'
import { PERMISSIONS, ROLES, type Role } from '../../src/domain/roles.ts'
import type { DeclaredRoute } from '../../src/platform/route-access.ts'
import { executorFor } from '../../src/requests/executors.ts'
import { createRequest } from '../../src/requests/index.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { openCustomerSession } from '../helpers/customer-session.ts'
import { makeActiveNumber, makeSims, makeStaff, newSubscriber, type TestStaff } from '../helpers/factories.ts'
import { sellTo, withdrawForInactivity } from '../helpers/reclaim-fixtures.ts'
import { auth, makeMachineClient } from './support.ts'

let t: TestApp
let api: DeclaredRoute[]
const staffByRole = new Map<Role, TestStaff>()
const key = (r: { method: string; url: string }) => `${r.method} ${r.url}`
const as = (role: Role) => staffByRole.get(role) as TestStaff
const admits = (route: DeclaredRoute, role: Role) =>
  route.access.auth === 'staff' &&
  (route.access.permission === undefined || (PERMISSIONS[route.access.permission] as readonly Role[]).includes(role))

/** Real things for path parameters: `:msisdn` a held number, `:id` by the path's first segment. */
const real: { msisdn: string; iccid: string; source: string; ids: Record<string, string> } = {
  msisdn: '',
  iccid: '',
  source: 'charging',
  ids: {},
}

beforeAll(async () => {
  t = await openTestApp({}, { demoClock: true, sms: 'simulator' })
  api = t.routes.filter((r) => r.url.startsWith('/api/v1') || r.url.startsWith('/oauth'))
  for (const role of ROLES) staffByRole.set(role, await makeStaff(t.app, [role]))
  // Second approvers: compliance kinds are approved by another compliance officer.
  await makeStaff(t.app, ['compliance_officer'])
  const held = await makeActiveNumber(t.app, { agent: as('agent') })
  real.msisdn = held.msisdn
  // A SIM every role that views numbers may open: an unused one of the agent's shop (a bound SIM is its holder's
  // account, shown to an agent only inside a customer session).
  real.iccid = (await makeSims(t.app, as('agent').shopId as string, 1))[0]
  const client = await makeMachineClient(t.app, ['activity:ingest'])
  const token = (await issueMachineToken(t.app.deps, client.id, client.secret)).access_token
  const ingest = await t.server.inject({
    method: 'POST',
    url: '/api/v1/activity',
    headers: auth(token),
    payload: { source: real.source, events: [] },
  })
  expect(ingest.statusCode, ingest.body).toBeLessThan(300)
  const batch = await t.app.db.selectFrom('activity_batches').select('id').executeTakeFirstOrThrow()
  const request = await runCommand(t.app.deps, as('compliance_officer').actor, (ctx) =>
    createRequest(ctx, { kind: 'hold_release', msisdn: null, payload: { probe: randomUUID() } }),
  )
  const leaf = await t.app.db
    .selectFrom('audit_personal_data')
    .select('event_id')
    .executeTakeFirst()
    .catch(() => undefined)
  // The audit log integrates and signs in the worker's pass: once, so its read routes have leaves and a checkpoint.
  await runAuditLogPass(t.app)
  real.ids = {
    staff: as('agent').id,
    subscribers: held.sale.subscriber_id,
    requests: request.id,
    activity: batch.id,
    audit: leaf?.event_id ?? randomUUID(),
  }
})
afterAll(() => t.close())

/** Reads whose query names what to read (a route not listed needs none). */
const QUERIES: Record<string, () => string> = {
  'GET /api/v1/lookup': () => `q=${encodeURIComponent(real.msisdn)}`,
  'GET /api/v1/audit/proofs/inclusion': () => 'index=0',
  'GET /api/v1/audit/proofs/consistency': () => 'from=1',
  // Without `end` the export asks for 100 leaves, more than this small tree has (a 400 naming `end`).
  'GET /api/v1/audit/export/leaves': () => 'start=0&end=1',
  'GET /api/v1/audit/timeline': () => `msisdn=${encodeURIComponent(real.msisdn)}`,
}

/** The URL of a route with real values; `resolved` is false when a parameter names nothing this file made. */
function realUrl(route: DeclaredRoute): { url: string; resolved: boolean } {
  let resolved = true
  const query = QUERIES[key(route)]?.()
  const pool = route.url.replace(/^\/api\/v1\//, '').split('/')[0]
  const url = route.url.replace(/:(\w+)/g, (_, name: string) => {
    const value =
      name === 'msisdn' ? real.msisdn : name === 'iccid' ? real.iccid : name === 'source' ? real.source : real.ids[pool]
    if (value === undefined) resolved = false
    return encodeURIComponent(value ?? randomUUID())
  })
  return { url: query ? `${url}?${query}` : url, resolved }
}

/**
 * Where a role the permission admits is still refused by a rule on the object itself, with the refusal's own code
 * (never the role gate's `forbidden`). Invariant 10: an agent sees a subscriber only inside a customer session.
 */
const OBJECT_RULES: Record<string, { status: number; code: string }> = {
  'GET /api/v1/subscribers/:id as agent': { status: 403, code: 'customer_session_required' },
  // Demo accounts only (their DEMO secret is published); test accounts are not demo accounts.
  ...Object.fromEntries(
    ROLES.map((role) => [`GET /api/v1/auth/mfa/demo-code as ${role}`, { status: 409, code: 'not_a_demo_account' }]),
  ),
}

describe('the right role’s cell is a 2xx', () => {
  it('every read route answers 2xx to every role it admits, with path values that name real things', async () => {
    const failures: string[] = []
    let cells = 0
    for (const route of api.filter((r) => r.method === 'GET')) {
      const { url, resolved } = realUrl(route)
      const roles = route.access.auth === 'public' ? [undefined] : ROLES.filter((role) => admits(route, role))
      for (const role of roles) {
        const res = await t.server.inject({ method: 'GET', url, headers: role ? auth(as(role).token) : {} })
        cells++
        const what = `${key(route)} as ${role ?? 'anyone'} (${url}): ${res.statusCode} ${res.body.slice(0, 200)}`
        const rule = OBJECT_RULES[`${key(route)} as ${role}`]
        if (rule) {
          if (res.statusCode !== rule.status || res.json().code !== rule.code) failures.push(`object rule: ${what}`)
        } else if (resolved ? res.statusCode >= 300 : res.statusCode >= 500 || [401, 403].includes(res.statusCode))
          failures.push(what)
      }
    }
    expect(failures).toEqual([])
    expect(cells).toBeGreaterThan(50)
  })
})

interface Filing {
  params?: Record<string, string>
  body: Record<string, unknown>
}

/** A valid filing of each kind that has a route; a fresh number (or target) per kind, so kinds never meet. */
async function sampleFor(kind: RequestKind): Promise<Filing | undefined> {
  const agent = as('agent')
  // The holder authenticated in a customer session first: a change on a held number is filed inside one.
  const heldNumber = async () => {
    const held = await makeActiveNumber(t.app, { agent })
    await openCustomerSession(t.server, agent, held.msisdn, held.subscriber.kyc_doc_number)
    return held.msisdn
  }
  const shopSim = async () => (await makeSims(t.app, agent.shopId as string, 1))[0]
  switch (kind) {
    case 'transfer':
      return {
        params: { msisdn: await heldNumber() },
        body: { iccid: await shopSim(), new_subscriber: newSubscriber() },
      }
    case 'sim_swap':
      return { params: { msisdn: await heldNumber() }, body: { iccid: await shopSim() } }
    case 'sim_swap_lost': {
      const held = await makeActiveNumber(t.app, { agent })
      return {
        params: { msisdn: held.msisdn },
        body: { iccid: await shopSim(), kyc_doc_number: held.subscriber.kyc_doc_number },
      }
    }
    case 'termination':
      return { params: { msisdn: await heldNumber() }, body: {} }
    case 'kyc_change':
      return { params: { msisdn: await heldNumber() }, body: { kyc_doc_kind: 'passport', kyc_doc_number: 'P7654321' } }
    case 'legal_order':
      return {
        params: { msisdn: await heldNumber() },
        body: { order_reference: 'Court order 2026/17', order_sha256: 'ab'.repeat(32), forbids_notice: false },
      }
    case 'reclaim': {
      const former = await sellTo(t.app, { agent })
      await withdrawForInactivity(t.app, former)
      return { params: { msisdn: former.msisdn }, body: { kyc_doc_number: former.subscriber.kyc_doc_number } }
    }
    case 'restoration': {
      // A former holder complains about their withdrawn number: their custody is the one the case names.
      const former = await sellTo(t.app, { agent })
      await withdrawForInactivity(t.app, former)
      const opened = await t.server.inject({
        method: 'POST',
        url: '/api/v1/cases',
        headers: auth(agent.token),
        payload: {
          category: 'number_taken',
          description: 'withdrawn while in use',
          msisdns: [former.msisdn],
          complainant: { method: 'id_document', document: former.subscriber.kyc_doc_number },
        },
      })
      expect(opened.statusCode, opened.body).toBe(201)
      const c = opened.json()
      return {
        params: { id: c.id },
        body: {
          msisdn: former.msisdn,
          rightful_custody_id: c.complainant.custody_id,
          iccid: await shopSim(),
          shop_id: agent.shopId,
        },
      }
    }
    case 'hold_release': {
      const held = await t.server.inject({
        method: 'POST',
        url: '/api/v1/holds',
        headers: auth(as('compliance_officer').token),
        payload: { msisdn: (await makeActiveNumber(t.app, { agent })).msisdn, reason: 'a look at its swaps' },
      })
      expect(held.statusCode, held.body).toBe(201)
      return { params: { id: held.json().holds[0].id }, body: { reason: 'nothing found' } }
    }
    case 'policy_change':
      return { body: { params: { aging_days: 120 } } }
    case 'role_grant':
      return {
        params: { id: (await makeStaff(t.app, ['auditor'])).id },
        body: { roles: ['auditor', 'inventory_manager'], reason: 'runs the stock as well' },
      }
    case 'credential_reset':
      return { params: { id: (await makeStaff(t.app, ['auditor'])).id }, body: { reason: 'forgot the password' } }
  }
  return undefined
}

describe('the request table over HTTP', () => {
  it('every kind × every role: its requester roles file it (2xx), every other role gets 403', {
    timeout: 120_000,
  }, async () => {
    const failures: string[] = []
    const keys = new Set(api.map(key))
    for (const kind of REQUEST_KINDS) {
      const rule = REQUEST_TABLE[kind]
      const registration = executorFor(kind)
      // Kinds numguard can execute name the route that files them; the others go to the generic route and are refused.
      const routeKey = registration?.dedicatedRoute?.replace(/\{(\w+)\}/g, ':$1') ?? 'POST /api/v1/requests'
      expect(keys, `${kind} is filed with ${routeKey}`).toContain(routeKey)
      const sample = registration ? await sampleFor(kind) : undefined
      if (registration && !sample) failures.push(`${kind}: no sample filing in this test for ${routeKey}`)
      const filing = sample ?? { body: { kind, msisdn: real.msisdn, payload: { msisdn: real.msisdn } } }
      const url = routeKey
        .slice(routeKey.indexOf(' ') + 1)
        .replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(filing.params?.[name] ?? ''))
      // The requester roles last, so a refused role never meets a request the right role already filed.
      const roles = [...ROLES].sort(
        (a, b) => Number(rule.requesterRoles.includes(a)) - Number(rule.requesterRoles.includes(b)),
      )
      for (const role of roles) {
        const res = await t.server.inject({ method: 'POST', url, headers: auth(as(role).token), payload: filing.body })
        const code = res.statusCode < 300 ? '' : res.json().code
        const what = `${kind} by ${role} at ${routeKey}: ${res.statusCode} ${res.body.slice(0, 200)}`
        const requester = rule.requesterRoles.includes(role)
        if (!registration) {
          // Not executable in this release: the requester role hears it is not supported, every other role is
          // refused by role first (with its alert); nobody files it.
          if (requester ? res.statusCode !== 409 || code !== 'kind_not_supported' : res.statusCode !== 403)
            failures.push(what)
        } else if (requester ? res.statusCode >= 300 : res.statusCode !== 403 || code !== 'forbidden')
          failures.push(what)
      }
    }
    expect(failures).toEqual([])
  })
})
