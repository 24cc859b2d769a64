// System routes and alerts over HTTP: meta, the demo clock, health, metrics, the OpenAPI document, unknown routes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestApp } from '../helpers/app.ts'
import { makeActiveNumber, makeRange, makeStaff, type TestStaff } from '../helpers/factories.ts'
import { auth, envelopeOf, openDemoTestApp } from './support.ts'

let t: TestApp
let supervisor: TestStaff
beforeAll(async () => {
  t = await openDemoTestApp()
  supervisor = await makeStaff(t.app, ['supervisor'])
})
afterAll(() => t.close())

const DAY = 86_400_000
// Sessions last 12 hours and one test moves the clock by 30 days: later tests sign in afresh, as a role that may
// move the demo clock (auditors may not: a 403 before the body is read).
const signedIn = () => makeStaff(t.app, ['supervisor'])

describe('GET /api/v1/alerts', () => {
  it('lists alerts newest first, filtered by severity, each naming who tried', async () => {
    // A risk: an attempt on a number held for an hour. An info: a reservation lost within the race window.
    const { msisdn: held } = await makeActiveNumber(t.app)
    t.clock.advance(3_600_000)
    const rogue = await makeStaff(t.app, ['agent'])
    expect(
      (await t.server.inject({ method: 'POST', url: `/api/v1/numbers/${held}/reserve`, headers: auth(rogue.token) }))
        .statusCode,
    ).toBe(409)
    const [raced] = await makeRange(t.app, 1)
    const winner = await makeStaff(t.app, ['agent'])
    const loser = await makeStaff(t.app, ['agent'])
    expect(
      (await t.server.inject({ method: 'POST', url: `/api/v1/numbers/${raced}/reserve`, headers: auth(winner.token) }))
        .statusCode,
    ).toBe(200)
    t.clock.advance(1000)
    expect(
      (await t.server.inject({ method: 'POST', url: `/api/v1/numbers/${raced}/reserve`, headers: auth(loser.token) }))
        .statusCode,
    ).toBe(409)

    const risk = await t.server.inject({
      method: 'GET',
      url: '/api/v1/alerts?severity=risk',
      headers: auth(supervisor.token),
    })
    expect(risk.statusCode).toBe(200)
    expect(risk.json().items).toEqual([
      expect.objectContaining({
        kind: 'attempt_on_active_number',
        severity: 'risk',
        msisdn: held,
        staff_id: rogue.id,
        staff_username: rogue.username,
      }),
    ])
    const info = await t.server.inject({
      method: 'GET',
      url: '/api/v1/alerts?severity=info',
      headers: auth(supervisor.token),
    })
    expect(info.json().items).toEqual([
      expect.objectContaining({ kind: 'race_lost', severity: 'info', msisdn: raced, staff_id: loser.id }),
    ])
    const all = await t.server.inject({ method: 'GET', url: '/api/v1/alerts', headers: auth(supervisor.token) })
    expect(all.json().items.map((a: { msisdn: string }) => a.msisdn)).toEqual([raced, held])
    const one = await t.server.inject({
      method: 'GET',
      url: `/api/v1/alerts?msisdn=${encodeURIComponent(held)}&kind=attempt_on_active_number`,
      headers: auth(supervisor.token),
    })
    expect(one.json().items).toHaveLength(1)
  })

  it.each(['severity=panic', 'limit=0', 'before=yesterday', 'msisdn=abc', 'sort=asc'])(
    'answers 400 for %s',
    async (query) => {
      const res = await t.server.inject({
        method: 'GET',
        url: `/api/v1/alerts?${query}`,
        headers: auth(supervisor.token),
      })
      expect(res.statusCode).toBe(400)
      expect(res.json().code).toBe('invalid_input')
    },
  )
})

describe('GET /api/v1/meta and the demo clock', () => {
  it('tells mode, clock, database and version without a session', async () => {
    const res = await t.server.inject({ method: 'GET', url: '/api/v1/meta' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      mode: 'demo',
      now: t.app.clock.now().toISOString(),
      clock_movable: true,
      database: t.app.database.kind,
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    })
  })

  it('moves the demo clock forward, persists the offset and records clock.advanced', async () => {
    const before = t.app.clock.now()
    const res = await t.server.inject({
      method: 'POST',
      url: '/api/v1/demo/clock/advance',
      headers: auth(supervisor.token),
      payload: { by: '30d' },
    })
    expect(res.statusCode, res.body).toBe(200)
    const now = new Date(before.getTime() + 30 * DAY).toISOString()
    expect(res.json()).toMatchObject({ now, offset_ms: 30 * DAY })
    expect((await t.server.inject({ method: 'GET', url: '/api/v1/meta' })).json().now).toBe(now)
    const setting = await t.app.db
      .selectFrom('settings')
      .select('value')
      .where('key', '=', 'demo_clock_offset_ms')
      .executeTakeFirstOrThrow()
    expect(Number(setting.value)).toBe(30 * DAY)
    const leaves = await t.app.db
      .selectFrom('audit_records')
      .select('envelope')
      .where('action', '=', 'clock.advanced')
      .execute()
    expect(leaves).toHaveLength(1)
    expect(envelopeOf(leaves[0])).toMatchObject({ actor: { staff_id: supervisor.id }, after: { now } })
  })

  it.each(['two days', '', '0d', '-1d', '401d', '5y', '1.5h'])(
    'answers 400 naming `by` for %j and leaves the clock',
    async (by) => {
      const before = t.app.clock.now().toISOString()
      const res = await t.server.inject({
        method: 'POST',
        url: '/api/v1/demo/clock/advance',
        headers: auth((await signedIn()).token),
        payload: { by },
      })
      expect(res.statusCode).toBe(400)
      expect(res.json()).toMatchObject({ code: 'invalid_input', details: { field: 'by' } })
      expect(t.app.clock.now().toISOString()).toBe(before)
    },
  )

  it('answers 400 for a missing `by` or a number instead of a string', async () => {
    const { token } = await signedIn()
    const missing = await t.server.inject({
      method: 'POST',
      url: '/api/v1/demo/clock/advance',
      headers: auth(token),
      payload: {},
    })
    expect(missing.json().details.field).toBe('by')
    const asObject = await t.server.inject({
      method: 'POST',
      url: '/api/v1/demo/clock/advance',
      headers: auth(token),
      payload: { by: { days: 3 } },
    })
    expect(asObject.statusCode).toBe(400)
  })
})

describe('operations routes', () => {
  it('GET /healthz answers 200 with the database kind', async () => {
    const res = await t.server.inject({ method: 'GET', url: '/healthz' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      status: 'ok',
      mode: 'demo',
      checks: { database: { ok: true, kind: t.app.database.kind } },
    })
    expect(res.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    })
  })

  it('GET /metrics answers Prometheus text with request durations by route', async () => {
    await t.server.inject({ method: 'GET', url: '/api/v1/meta' })
    await t.server.inject({ method: 'GET', url: '/api/v1/numbers' })
    const res = await t.server.inject({ method: 'GET', url: '/metrics' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/plain/)
    expect(res.body).toContain('# TYPE numguard_http_request_duration_seconds histogram')
    expect(res.body).toMatch(
      /numguard_http_request_duration_seconds_bucket\{[^}]*route="\/api\/v1\/meta"[^}]*status="200"/,
    )
    expect(res.body).toMatch(/numguard_refusals_total\{status="401"\} [1-9]/)
    expect(res.body).toContain('numguard_process_cpu_seconds_total')
  })

  it('GET /openapi.json is an OpenAPI 3 document describing every /api/v1 route', async () => {
    const res = await t.server.inject({ method: 'GET', url: '/openapi.json' })
    expect(res.statusCode).toBe(200)
    const doc = res.json()
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/)
    expect(doc.info).toMatchObject({ title: 'numguard', version: expect.any(String) })
    expect(doc.components.securitySchemes.session).toMatchObject({ type: 'http', scheme: 'bearer' })
    expect(doc.security).toEqual([{ session: [] }])
    const clientScopes = doc.components.securitySchemes.client.flows.clientCredentials.scopes as Record<string, string>
    expect(doc.components.securitySchemes.client.flows.clientCredentials.tokenUrl).toBe('/oauth/token')
    expect(t.routes.some((r) => r.access.auth === 'machine' && r.url.startsWith('/api/v1'))).toBe(true)
    for (const route of t.routes.filter((r) => r.url.startsWith('/api/v1'))) {
      const path = route.url.replace(/:(\w+)/g, '{$1}')
      const op = doc.paths[path]?.[route.method.toLowerCase()]
      expect(op, `${route.method} ${path}`).toBeDefined()
      expect(typeof op.responses).toBe('object')
      // Public routes say they need no credentials; machine routes the client-credentials scope they check (an
      // operator configuring the charging system or the HLR reads it here); staff routes inherit the session rule.
      const access = route.access
      if (access.auth === 'public') expect(op.security, `${route.method} ${path}`).toEqual([])
      else if (access.auth === 'machine') {
        expect(op.security, `${route.method} ${path}`).toEqual([{ client: [access.scope] }])
        expect(Object.keys(clientScopes), `${route.method} ${path}: scope ${access.scope}`).toContain(access.scope)
      } else expect(op.security, `${route.method} ${path}`).toBeUndefined()
      for (const name of [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
        expect(op.parameters, `${path} declares {${name}}`).toContainEqual(
          expect.objectContaining({ in: 'path', name, required: true }),
        )
      }
    }
    expect(
      doc.paths['/api/v1/numbers/{msisdn}/sell'].post.requestBody.content['application/json'].schema.required,
    ).toContain('iccid')
    expect(doc.paths['/metrics']).toBeUndefined()
  })
})

describe('unknown routes', () => {
  it.each([
    ['GET', '/api/v1/nothing-here'],
    ['POST', '/api/v1/numbers'],
    ['DELETE', '/api/v1/numbers/+85512100001'],
    ['GET', '/api/v2/numbers'],
    ['GET', '/no/such/page'],
  ])('%s %s answers 404 {code: not_found}', async (method, url) => {
    const res = await t.server.inject({ method: method as 'GET', url, headers: auth(supervisor.token) })
    expect(res.statusCode).toBe(404)
    expect(res.json()).toEqual({ code: 'not_found', message: expect.stringContaining(url), details: {} })
  })
})
