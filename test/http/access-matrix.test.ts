// The access matrix, generated from the routes the server declares: every route under /api/v1 and /oauth is tried
// without a session, and every staff route with each role, so a new route cannot escape it.
import cookie from '@fastify/cookie'
import Fastify, { type InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { installAuth } from '../../src/access/http-auth.ts'
import { issueMachineToken } from '../../src/access/machine-tokens.ts'
import { mfaSettingsOf } from '../../src/access/mfa-secrets.ts'
import { signIn } from '../../src/access/sign-in.ts'
import { REQUEST_KINDS, REQUEST_TABLE } from '../../src/domain/requests.ts'
import { PERMISSIONS, ROLES, type Role } from '../../src/domain/roles.ts'
import { installErrorHandling } from '../../src/http/errors.ts'
import type { DeclaredRoute } from '../../src/platform/route-access.ts'
import { createRequest } from '../../src/requests/index.ts'
import type { TestApp } from '../helpers/app.ts'
import { makeStaff, type TestStaff } from '../helpers/factories.ts'
import {
  auth,
  extraSession,
  fillParams,
  isErrorBody,
  makeMachineClient,
  openDemoTestApp,
  suspendStaff,
} from './support.ts'

let t: TestApp
let api: DeclaredRoute[]
const staffByRole = new Map<Role, TestStaff>()
const coveredAnonymous = new Set<string>()
const coveredRoles = new Set<string>()
const key = (r: DeclaredRoute) => `${r.method} ${r.url}`

beforeAll(async () => {
  t = await openDemoTestApp()
  api = t.routes.filter((r) => r.url.startsWith('/api/v1') || r.url.startsWith('/oauth'))
  for (const role of ROLES) staffByRole.set(role, await makeStaff(t.app, [role]))
})
afterAll(() => t.close())

function request(route: DeclaredRoute, headers: Record<string, string> = {}): InjectOptions {
  const withBody = ['POST', 'PUT', 'PATCH'].includes(route.method)
  return {
    method: route.method as InjectOptions['method'],
    url: fillParams(route.url),
    headers,
    ...(withBody ? { payload: {} } : {}),
  }
}

/** Sign-out ends the session it is called with: give it a session of its own so the role's token survives. */
async function tokenFor(role: Role, route: DeclaredRoute): Promise<string> {
  const staff = staffByRole.get(role) as TestStaff
  if (route.url === '/api/v1/auth/sign-out') return (await extraSession(t.app, staff.id)).token
  return staff.token
}

describe('the declared routes', () => {
  it('include every feature’s routes under /api/v1 and /oauth, each with an access rule', () => {
    const urls = api.map(key)
    for (const expected of [
      'POST /api/v1/auth/sign-in',
      'POST /oauth/token',
      'GET /api/v1/numbers',
      'POST /api/v1/numbers/:msisdn/sell',
      'POST /api/v1/ranges',
      'GET /api/v1/alerts',
      'POST /api/v1/demo/clock/advance',
    ]) {
      expect(urls).toContain(expected)
    }
    for (const r of api) expect(['public', 'staff', 'machine']).toContain(r.access.auth)
    expect(new Set(urls).size).toBe(urls.length)
  })

  it('fail the server at start-up when an /api route declares no access rule', async () => {
    const bare = Fastify()
    installAuth(bare, t.app, [])
    expect(() => bare.get('/api/v1/undeclared', async () => ({}))).toThrow(/declares no access rule/)
    await bare.close()
  })
})

describe('without a session', () => {
  it('every staff or machine route answers 401 unauthenticated; public routes do not', async () => {
    for (const route of api) {
      const res = await t.server.inject(request(route))
      coveredAnonymous.add(key(route))
      if (route.access.auth === 'public') {
        expect(res.statusCode, `${key(route)} is public`).not.toBe(401)
        expect(res.statusCode, `${key(route)}: ${res.body}`).toBeLessThan(500)
      } else {
        expect(res.statusCode, `${key(route)}: ${res.body}`).toBe(401)
        expect(res.json()).toMatchObject({ code: 'unauthenticated', message: expect.any(String), details: {} })
      }
    }
  })

  it('a made-up or malformed token is 401 on every staff route', async () => {
    for (const route of api.filter((r) => r.access.auth === 'staff')) {
      for (const token of ['ngs_not-a-real-session', 'garbage', 'ngm_not-a-machine-token']) {
        const res = await t.server.inject(request(route, auth(token)))
        expect(res.statusCode, `${key(route)} with ${token}`).toBe(401)
      }
    }
  })
})

describe('with a session of each role', () => {
  // Each refusal writes its alert (invariant 8), so this walk takes longer than the default test timeout.
  it('a role outside PERMISSIONS[permission] gets 403 forbidden; a role inside it is let through', {
    timeout: 120_000,
  }, async () => {
    for (const route of api) {
      if (route.access.auth !== 'staff') continue
      const permission = route.access.permission
      for (const role of ROLES) {
        const allowed = permission === undefined || (PERMISSIONS[permission] as readonly Role[]).includes(role)
        const res = await t.server.inject(request(route, auth(await tokenFor(role, route))))
        const what = `${key(route)} as ${role}: ${res.body}`
        if (allowed) {
          expect(res.statusCode, what).not.toBe(401)
          expect(res.statusCode, what).not.toBe(403)
          expect([200, 201, 204, 400, 404, 409], what).toContain(res.statusCode)
        } else {
          expect(res.statusCode, what).toBe(403)
          expect(res.json()).toMatchObject({ code: 'forbidden', details: { action: permission } })
          // Invariant 8: the refusal left an alert naming the caller.
          expect(res.json().details.alert_id, what).toEqual(expect.any(String))
        }
      }
      coveredRoles.add(key(route))
    }
  })

  it('the session cookie works like the bearer token', async () => {
    const agent = staffByRole.get('agent') as TestStaff
    const res = await t.server.inject({ method: 'GET', url: '/api/v1/auth/me', cookies: { ng_session: agent.token } })
    expect(res.statusCode).toBe(200)
    expect(res.json().staff.username).toBe(agent.username)
  })
})

describe('a session still waiting for its TOTP code', () => {
  it('is refused with 401 mfa_required on every staff route but the few that finish or abandon a sign-in', async () => {
    const supervisor = staffByRole.get('supervisor') as TestStaff
    const pending = (
      await signIn(t.app.deps, {
        username: supervisor.username,
        password: 'test-password-1',
        client: {},
        ttlHours: 12,
        mfa: mfaSettingsOf(t.app),
      })
    ).token
    const open = api.filter((r) => r.access.auth === 'staff' && r.access.allowPendingMfa).map(key)
    expect(open.sort()).toEqual([
      'GET /api/v1/auth/me',
      'GET /api/v1/auth/mfa/demo-code',
      'POST /api/v1/auth/mfa',
      'POST /api/v1/auth/sign-out',
    ])
    for (const route of api) {
      if (route.access.auth !== 'staff' || route.access.allowPendingMfa) continue
      const res = await t.server.inject(request(route, auth(pending)))
      expect(res.statusCode, `${key(route)}: ${res.body}`).toBe(401)
      expect(res.json()).toMatchObject({ code: 'mfa_required', details: { stage: 'pending' } })
    }
  })
})

describe('the request table', () => {
  it('lets only a kind’s requester roles file it: every kind × every role', async () => {
    for (const kind of REQUEST_KINDS) {
      const rule = REQUEST_TABLE[kind]
      for (const role of ROLES) {
        const actor = (staffByRole.get(role) as TestStaff).actor
        const outcome = await t.app.db
          .transaction()
          .execute(async (tx) => {
            await createRequest({ tx, actor, now: t.app.clock.now() }, { kind, msisdn: null, payload: { probe: true } })
            throw new Error('rollback')
          })
          .catch((err: { code?: string; message?: string }) => err.code ?? err.message)
        const what = `${kind} by ${role}: ${outcome}`
        if (rule.requesterRoles.includes(role)) expect(outcome, what).not.toBe('forbidden')
        else expect(outcome, what).toBe('forbidden')
      }
    }
  })
})

describe('machine routes', () => {
  it('every declared machine route refuses staff tokens', async () => {
    for (const route of api.filter((r) => r.access.auth === 'machine')) {
      for (const role of ROLES) {
        const res = await t.server.inject(request(route, auth((staffByRole.get(role) as TestStaff).token)))
        expect([401, 403], `${key(route)} as ${role}`).toContain(res.statusCode)
      }
      coveredRoles.add(key(route))
    }
  })

  it('the auth hook refuses a staff token and a wrong scope on a machine route, and a machine token on a staff route', async () => {
    // A server with one route of each kind, so this holds even before a feature declares a machine route.
    const routes: DeclaredRoute[] = []
    const probe = Fastify()
    await probe.register(cookie)
    installErrorHandling(probe)
    installAuth(probe, t.app, routes)
    probe.post(
      '/api/v1/probe/ingest',
      { config: { access: { auth: 'machine', scope: 'activity:ingest' } } },
      async (req) => ({ actor: req.actor?.kind }),
    )
    probe.get('/api/v1/probe/staff', { config: { access: { auth: 'staff' } } }, async (req) => ({
      actor: req.actor?.kind,
    }))
    await probe.ready()
    try {
      expect(routes.map(key)).toEqual(['POST /api/v1/probe/ingest', 'GET /api/v1/probe/staff'])
      const charging = await makeMachineClient(t.app, ['activity:ingest'])
      const other = await makeMachineClient(t.app, ['provisioning'])
      const good = await issueMachineToken(t.app.deps, charging.id, charging.secret)
      const wrongScope = await issueMachineToken(t.app.deps, other.id, other.secret)
      const staff = staffByRole.get('compliance_officer') as TestStaff

      const call = (url: string, token?: string) =>
        probe.inject({
          method: url.endsWith('ingest') ? 'POST' : 'GET',
          url,
          headers: token ? auth(token) : {},
          payload: url.endsWith('ingest') ? {} : undefined,
        })
      expect((await call('/api/v1/probe/ingest')).statusCode).toBe(401)
      expect((await call('/api/v1/probe/ingest', staff.token)).statusCode).toBe(401)
      expect((await call('/api/v1/probe/ingest', wrongScope.access_token)).statusCode).toBe(403)
      const ok = await call('/api/v1/probe/ingest', good.access_token)
      expect(ok.statusCode).toBe(200)
      expect(ok.json()).toEqual({ actor: 'machine' })
      expect((await call('/api/v1/probe/staff', good.access_token)).statusCode).toBe(401)
      expect((await call('/api/v1/probe/staff', staff.token)).json()).toEqual({ actor: 'staff' })
    } finally {
      await probe.close()
    }
  })
})

describe('sessions that end', () => {
  it('a signed-out session is refused with 401 on its next request', async () => {
    const staff = await makeStaff(t.app, ['agent'])
    expect(
      (await t.server.inject({ method: 'GET', url: '/api/v1/auth/me', headers: auth(staff.token) })).statusCode,
    ).toBe(200)
    const out = await t.server.inject({ method: 'POST', url: '/api/v1/auth/sign-out', headers: auth(staff.token) })
    expect(out.statusCode).toBe(204)
    const again = await t.server.inject({ method: 'GET', url: '/api/v1/numbers', headers: auth(staff.token) })
    expect(again.statusCode).toBe(401)
    expect(again.json().code).toBe('unauthenticated')
  })

  it('a suspended staff member’s sessions stop working on their next request (invariant 9)', async () => {
    const staff = await makeStaff(t.app, ['supervisor'])
    const second = await extraSession(t.app, staff.id)
    expect(
      (await t.server.inject({ method: 'GET', url: '/api/v1/alerts', headers: auth(staff.token) })).statusCode,
    ).toBe(200)
    await suspendStaff(t.app, staff.id)
    for (const token of [staff.token, second.token]) {
      const res = await t.server.inject({ method: 'GET', url: '/api/v1/alerts', headers: auth(token) })
      expect(res.statusCode).toBe(401)
      expect(isErrorBody(res.body)).toBe(true)
    }
    const leaf = await t.app.db
      .selectFrom('audit_records')
      .select('envelope')
      .where('action', '=', 'staff.suspended' as never)
      .execute()
    expect(leaf).toHaveLength(1)
  })

  it('an expired session is refused once the clock passes its expiry', async () => {
    const staff = await makeStaff(t.app, ['auditor'])
    t.clock.advance(12 * 3_600_000 + 1)
    expect(
      (await t.server.inject({ method: 'GET', url: '/api/v1/auth/me', headers: auth(staff.token) })).statusCode,
    ).toBe(401)
  })
})

describe('coverage', () => {
  it('no declared route escaped the matrix', () => {
    expect(api.length).toBeGreaterThan(15)
    expect([...coveredAnonymous].sort()).toEqual(api.map(key).sort())
    const nonPublic = api
      .filter((r) => r.access.auth !== 'public')
      .map(key)
      .sort()
    expect([...coveredRoles].sort()).toEqual(nonPublic)
  })
})
