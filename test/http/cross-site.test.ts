// Issue 9 item 4: a page on another site cannot use a staff member's cookie to change anything, and the console
// and the API docs are served with a Content-Security-Policy (and HSTS in production).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONTENT_SECURITY_POLICY, DOCS_CONTENT_SECURITY_POLICY } from '../../src/http/security-headers.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { makeStaff, type TestStaff } from '../helpers/factories.ts'
import { auth, makeMachineClient } from './support.ts'

const HOST = 'numguard.test'
const EVIL = 'https://evil.example'
let t: TestApp
let admin: TestStaff
let n = 0

beforeAll(async () => {
  t = await openTestApp()
  admin = await makeStaff(t.app, ['admin'])
})
afterAll(() => t.close())

const shopCount = async () =>
  Number(
    (
      await t.app.db
        .selectFrom('shops')
        .select((e) => e.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  )
const alertsFor = (staffId: string) =>
  t.app.db
    .selectFrom('alerts')
    .selectAll()
    .where('kind', '=', 'cross_site_request')
    .where('staff_id', '=', staffId)
    .execute()

/** A shop creation posted with the admin's cookie, as a browser would send it. */
function postShop(contentType: string, payload: string, headers: Record<string, string> = {}) {
  return t.server.inject({
    method: 'POST',
    url: '/api/v1/shops',
    cookies: { ng_session: admin.token },
    headers: { host: HOST, 'content-type': contentType, ...headers },
    payload,
  })
}

const id = () => `xsite-${++n}`
const form = () => `id=${id()}&name=Evil+Shop`
const multipart = () => {
  const b = '----xsite'
  return {
    type: `multipart/form-data; boundary=${b}`,
    body: `--${b}\r\nContent-Disposition: form-data; name="id"\r\n\r\n${id()}\r\n--${b}\r\nContent-Disposition: form-data; name="name"\r\n\r\nEvil\r\n--${b}--\r\n`,
  }
}

describe('cookie-authenticated changes from another site', () => {
  it('refuses a cross-site form post with 403 cross_site_request, creates no shop and alerts about the admin', async () => {
    const before = await shopCount()
    const res = await postShop('application/x-www-form-urlencoded', form(), { origin: EVIL })
    expect(res.statusCode).toBe(403)
    expect(res.json().code).toBe('cross_site_request')
    expect(await shopCount()).toBe(before)
    const alerts = await alertsFor(admin.id)
    expect(alerts.length).toBeGreaterThan(0)
    expect(alerts.at(-1)?.severity).toBe('risk')
    expect(res.json().details.alert_id).toBe(alerts.at(-1)?.id)
  })

  it('refuses text/plain and multipart posts from another site the same way', async () => {
    const before = await shopCount()
    const text = await postShop('text/plain', JSON.stringify({ id: id(), name: 'Evil' }), { origin: EVIL })
    const mp = multipart()
    const multi = await postShop(mp.type, mp.body, { origin: EVIL })
    expect([text.statusCode, multi.statusCode]).toEqual([403, 403])
    expect(await shopCount()).toBe(before)
    // Each refusal names its alert (identical ones may be counted as repeats of one row).
    const ids = new Set((await alertsFor(admin.id)).map((a) => a.id))
    for (const res of [text, multi]) expect(ids.has(res.json().details.alert_id)).toBe(true)
  })

  it('refuses form, text/plain and multipart bodies even without an Origin: changes take JSON only', async () => {
    const before = await shopCount()
    const mp = multipart()
    const answers = [
      await postShop('application/x-www-form-urlencoded', form()),
      await postShop('text/plain', JSON.stringify({ id: id(), name: 'Plain' })),
      await postShop(mp.type, mp.body),
    ]
    for (const res of answers) {
      expect(res.statusCode).toBe(400)
      expect(res.json()).toMatchObject({ code: 'invalid_input', details: { field: 'content-type' } })
    }
    expect(await shopCount()).toBe(before)
  })

  it('refuses a request the browser marks cross-site (Sec-Fetch-Site) when it sends no Origin', async () => {
    const before = await shopCount()
    const res = await postShop('application/json', JSON.stringify({ id: id(), name: 'Evil' }), {
      'sec-fetch-site': 'cross-site',
    })
    expect(res.statusCode).toBe(403)
    expect(res.json().code).toBe('cross_site_request')
    expect(await shopCount()).toBe(before)
  })

  it("refuses a sandboxed page's `Origin: null`", async () => {
    const res = await postShop('application/json', JSON.stringify({ id: id(), name: 'Evil' }), { origin: 'null' })
    expect(res.statusCode).toBe(403)
  })

  it('accepts the console: a same-origin JSON request with the cookie', async () => {
    const before = await shopCount()
    const res = await postShop('application/json', JSON.stringify({ id: id(), name: 'Own' }), {
      origin: `http://${HOST}`,
      'sec-fetch-site': 'same-origin',
    })
    expect(res.statusCode).toBe(201)
    expect(await shopCount()).toBe(before + 1)
  })

  it('leaves bearer-token clients alone: no Origin, or any Origin, is not a cookie', async () => {
    for (const headers of [{}, { origin: EVIL }]) {
      const res = await t.server.inject({
        method: 'POST',
        url: '/api/v1/shops',
        headers: { ...auth(admin.token), ...headers },
        payload: { id: id(), name: 'Bearer' },
      })
      expect(res.statusCode).toBe(201)
    }
  })

  it('reads form bodies on /oauth/token only', async () => {
    const client = await makeMachineClient(t.app, ['activity:ingest'])
    const token = await t.server.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `grant_type=client_credentials&client_id=${client.id}&client_secret=${encodeURIComponent(client.secret)}`,
    })
    expect(token.statusCode).toBe(200)
    const signIn = await t.server.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `username=${admin.username}&password=x`,
    })
    expect(signIn.statusCode).toBe(400)
    expect(signIn.json().details.field).toBe('content-type')
  })
})

describe('security headers', () => {
  it('serves the console and the API docs with the Content-Security-Policy and no HSTS in demo mode', async () => {
    for (const url of ['/', '/docs/', '/api/v1/meta']) {
      const res = await t.server.inject({ method: 'GET', url, headers: { accept: 'text/html' } })
      expect(res.statusCode, url).toBeLessThan(400)
      const csp = url.startsWith('/docs') ? DOCS_CONTENT_SECURITY_POLICY : CONTENT_SECURITY_POLICY
      expect(res.headers['content-security-policy'], url).toBe(csp)
      expect(res.headers['strict-transport-security'], url).toBeUndefined()
    }
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'")
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self';")
    expect(DOCS_CONTENT_SECURITY_POLICY).toContain("script-src 'self';")
    expect(DOCS_CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline')
  })

  it('sends HSTS in production mode', async () => {
    const prod = await openTestApp({ mode: 'production' })
    try {
      const res = await prod.server.inject({ method: 'GET', url: '/healthz' })
      expect(res.headers['strict-transport-security']).toMatch(/^max-age=\d{8,}/)
    } finally {
      await prod.close()
    }
  })
})

describe('NUMGUARD_PUBLIC_URL', () => {
  it("takes the configured origin as the console's own, not the Host header", async () => {
    const pub = await openTestApp({ http: { publicOrigin: 'https://numguard.example', requestTimeoutMs: 20_000 } })
    try {
      const boss = await makeStaff(pub.app, ['admin'])
      const post = (origin: string) =>
        pub.server.inject({
          method: 'POST',
          url: '/api/v1/shops',
          cookies: { ng_session: boss.token },
          headers: { host: HOST, origin },
          payload: { id: id(), name: 'Configured' },
        })
      expect((await post('https://numguard.example')).statusCode).toBe(201)
      expect((await post(`http://${HOST}`)).statusCode).toBe(403)
    } finally {
      await pub.close()
    }
  })
})
