// Malformed input against every declared route, with a session that may call it: nothing a client sends is a 500,
// and every refusal is `{code, message, details}`. Deterministic: a fixed seed drives the generator.
import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { issueMachineToken } from '../../src/access/machine-tokens.ts'
import { PERMISSIONS, type Role } from '../../src/domain/roles.ts'
import type { DeclaredRoute } from '../../src/platform/route-access.ts'
import type { TestApp } from '../helpers/app.ts'
import {
  makeActiveNumber,
  makeRange,
  makeSims,
  makeStaff,
  newSubscriber,
  type TestStaff,
} from '../helpers/factories.ts'
import { CONTENT_TYPES, GARBAGE_JSON, type Gen, generator, PATH_VALUES, QUERIES, value } from './fuzz-inputs.ts'
import { auth, extraSession, fillParams, makeMachineClient, openDemoTestApp } from './support.ts'

const SEED = 0x5eed2026
const CASES_PER_ROUTE = 40

let t: TestApp
let templates: Record<string, (g: Gen) => Record<string, unknown>>
const staffByRole = new Map<Role, TestStaff>()
let sent = 0

beforeAll(async () => {
  t = await openDemoTestApp()
  const agent = await makeStaff(t.app, ['agent'])
  staffByRole.set('agent', agent)
  await makeRange(t.app, 10) // +85512100000…09: the path values name real numbers
  const { sale, subscriber } = await makeActiveNumber(t.app, { agent })
  const [iccid] = await makeSims(t.app, agent.shopId as string, 1)
  const client = await makeMachineClient(t.app, ['activity:ingest'])
  templates = {
    'POST /api/v1/auth/sign-in': () => ({ username: agent.username, password: 'not-the-password' }),
    'POST /oauth/token': () => ({
      grant_type: 'client_credentials',
      client_id: client.id,
      client_secret: client.secret,
      scope: 'activity:ingest',
    }),
    'POST /api/v1/numbers/:msisdn/sell': (g) =>
      g.int(2)
        ? { iccid, subscriber: newSubscriber() }
        : { iccid, subscriber_id: sale.subscriber_id, kyc_doc_number: subscriber.kyc_doc_number },
    'POST /api/v1/ranges': () => ({ first: '+85516200000', last: '+85516200009', category: 'standard' }),
    'POST /api/v1/sims/import': () => ({ csv: 'iccid,imsi\n8985509900000000001,456099000000001' }),
    'POST /api/v1/sims/allocate': () => ({ shop_id: agent.shopId, count: 1 }),
    'POST /api/v1/demo/clock/advance': () => ({ by: '1h' }),
  }
})
afterAll(async () => {
  console.info(`fuzz: sent ${sent} requests to ${t.routes.length} routes (seed ${SEED.toString(16)})`)
  await t.close()
})

async function credentials(route: DeclaredRoute): Promise<Record<string, string>> {
  const access = route.access
  if (access.auth === 'public') return {}
  if (access.auth === 'machine') {
    const client = await makeMachineClient(t.app, [access.scope])
    return auth((await issueMachineToken(t.app.deps, client.id, client.secret)).access_token)
  }
  const role = (access.permission ? PERMISSIONS[access.permission][0] : 'agent') as Role
  if (!staffByRole.has(role)) staffByRole.set(role, await makeStaff(t.app, [role]))
  // A session per request: sign-out or a revoked session id must not end the fuzzing of the routes after it.
  return auth((await extraSession(t.app, (staffByRole.get(role) as TestStaff).id)).token)
}

/** One malformed request for `route`; the kind rotates so every route gets each kind about equally. */
function malformed(route: DeclaredRoute, i: number, g: Gen): InjectOptions {
  const method = route.method as InjectOptions['method']
  const url = fillParams(route.url)
  const make = templates[`${route.method} ${route.url}`] ?? (() => ({}))
  const template = () => make(g)
  const json = (payload: unknown): InjectOptions => ({
    method,
    url,
    payload: JSON.stringify(payload),
    headers: { 'content-type': 'application/json' },
  })
  // A GET or DELETE has no body to speak of: its path and query get the malformed input instead.
  const bodyless = method === 'GET' || method === 'DELETE'
  switch (bodyless ? [0, 6, 7, 6, 7, 8][i % 6] : i % 9) {
    case 0:
      return { method, url, payload: g.pick(GARBAGE_JSON), headers: { 'content-type': 'application/json' } }
    case 1:
      return { method, url, payload: JSON.stringify(template()), headers: { 'content-type': g.pick(CONTENT_TYPES) } }
    case 2: {
      // A near-valid body: the route's template with one field (or one of the new subscriber's) made wrong.
      const body = template()
      const target = body.subscriber && g.int(2) === 0 ? (body.subscriber as Record<string, unknown>) : body
      const keys = Object.keys(target)
      target[keys.length > 0 && g.int(4) > 0 ? g.pick(keys) : g.pick(['extra', 'id', 'roles'])] = value(g)
      return json(body)
    }
    case 3:
      return json(g.pick([[template()], 'a string', 42, null, [], [[[]]], true]))
    case 4:
      return json(
        Object.fromEntries(
          Array.from({ length: 1 + g.int(4) }, () => [g.pick([...Object.keys(template()), 'x', 'limit']), value(g)]),
        ),
      )
    case 5:
      return {
        method,
        url,
        payload: `{"a":"${'x'.repeat(2 * 1024 * 1024 + g.int(1000))}"}`,
        headers: { 'content-type': 'application/json' },
      }
    case 6: {
      const params = [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1])
      if (params.length === 0)
        return { method, url: `${url}/${g.pick(PATH_VALUES)}`, payload: method === 'GET' ? undefined : template() }
      const values = Object.fromEntries(params.map((p) => [p, '\u0000']))
      const filled = fillParams(route.url, values).replaceAll('%00', g.pick(PATH_VALUES))
      return { method, url: filled, payload: method === 'GET' || method === 'DELETE' ? undefined : template() }
    }
    case 7:
      return {
        method,
        url: `${url}?${g.pick(QUERIES)}&${g.pick(QUERIES)}`,
        payload: method === 'GET' || method === 'DELETE' ? undefined : template(),
      }
    default:
      return {
        method,
        url,
        payload: g.int(2) ? JSON.stringify(template()) : Buffer.from(Array.from({ length: 64 }, () => g.int(256))),
        headers: {
          'content-type': 'application/json',
          accept: g.pick(['application/x-ndjson', 'text/html', '*/*', '\u00ff']),
        },
      }
  }
}

/** The staff and machine API answers `{code, message, details}`; the CAMARA partner API its spec's `{status, code, message}`. */
function errorShapeOk(route: DeclaredRoute, status: number, body: Record<string, unknown>): boolean {
  if (typeof body.code !== 'string' || typeof body.message !== 'string') return false
  if (route.url.startsWith('/camara/')) return body.status === status
  return typeof body.details === 'object' && body.details !== null
}

describe('fuzzing every declared route', () => {
  it('sends malformed input to every route: no 5xx, every 4xx is {code, message, details}', {
    timeout: 240_000,
  }, async () => {
    const g = generator(SEED)
    const failures: string[] = []
    const statuses = new Map<number, number>()
    for (const route of t.routes) {
      for (let i = 0; i < CASES_PER_ROUTE; i++) {
        const req = malformed(route, i, g)
        req.headers = { ...req.headers, ...(await credentials(route)) }
        const res = await t.server.inject(req)
        sent++
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
        const what = `${route.method} ${route.url} case ${i}: ${String(req.url).slice(0, 120)} -> ${res.statusCode} ${res.body.slice(0, 160)}`
        if (res.statusCode >= 500) failures.push(what)
        else if (res.statusCode >= 400) {
          let body: Record<string, unknown> = {}
          try {
            body = res.json()
          } catch {}
          if (!errorShapeOk(route, res.statusCode, body)) failures.push(`shape: ${what}`)
        }
      }
    }
    console.info(`fuzz statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`)
    expect(failures).toEqual([])
    expect(sent).toBeGreaterThanOrEqual(t.routes.length * CASES_PER_ROUTE)
    // The fuzz must reach past validation too, not only bounce off it.
    expect([...statuses.keys()].some((s) => s === 404 || s === 409)).toBe(true)
  })

  it('still answers normally afterwards', async () => {
    const res = await t.server.inject({ method: 'GET', url: '/healthz' })
    expect(res.statusCode).toBe(200)
    const polluted = ({} as Record<string, unknown>).polluted
    expect(polluted).toBeUndefined()
  })
})
