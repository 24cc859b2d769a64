// Issue 9 item 11: every response leaves one log line (framework refusals included) with no query-string secret in
// it, and /metrics can sit behind a bearer token or on an operations address of its own.
import { type AddressInfo, connect } from 'node:net'
import { Writable } from 'node:stream'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { App } from '../../src/app.ts'
import { redactUrl } from '../../src/http/logging.ts'
import { listenMetrics } from '../../src/http/metrics-exposure.ts'
import { buildServer } from '../../src/http/server.ts'
import { type HttpConfig, loadHttpConfig, PRODUCTION_METRICS_LISTEN } from '../../src/platform/http-config.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
beforeAll(async () => {
  t = await openTestApp()
})
afterAll(() => t.close())

/** A server on the test database whose log lines land in `lines`. */
async function loggedServer(http?: Partial<HttpConfig>) {
  const lines: Record<string, unknown>[] = []
  const raw: string[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      raw.push(String(chunk))
      lines.push(JSON.parse(String(chunk)))
      done()
    },
  })
  const app: App = {
    ...t.app,
    logger: pino({ level: 'info' }, stream),
    config: { ...t.app.config, http: { requestTimeoutMs: 20_000, ...http } },
  }
  const built = await buildServer(app)
  await built.server.ready()
  return { ...built, lines, raw }
}

describe('request logs', () => {
  it('logs every response, framework refusals included, with query-string secrets redacted', async () => {
    const s = await loggedServer()
    try {
      const asked = [
        { method: 'GET', url: '/api/v1/meta?token=SECRET-A&page=2' },
        { method: 'GET', url: '/no/such/route?password=SECRET-B' },
        { method: 'GET', url: '/api/%ZZ?client_secret=SECRET-C' },
        {
          method: 'POST',
          url: '/oauth/token?code=SECRET-D',
          headers: { 'content-type': 'application/json' },
          payload: 'x'.repeat(20_000),
        },
        {
          method: 'POST',
          url: '/api/v1/auth/sign-in?access_token=SECRET-E',
          headers: { 'content-type': 'application/json' },
          payload: '{not json',
        },
      ] as const
      const statuses: number[] = []
      for (const r of asked) statuses.push((await s.server.inject(r)).statusCode)
      expect(statuses).toEqual([200, 404, 400, 413, 400])
      const done = s.lines.filter((l) => l.msg === 'request completed')
      expect(done.map((l) => (l.res as { statusCode: number }).statusCode)).toEqual(statuses)
      expect(done.map((l) => (l.req as { method: string }).method)).toEqual(asked.map((r) => r.method))
      expect((done[0].req as { url: string }).url).toBe('/api/v1/meta?token=[redacted]&page=2')
      const text = s.raw.join('')
      for (const secret of ['SECRET-A', 'SECRET-B', 'SECRET-C', 'SECRET-D', 'SECRET-E'])
        expect(text).not.toContain(secret)
    } finally {
      await s.server.close()
    }
  })

  it('logs a request that timed out before it reached a route', async () => {
    const s = await loggedServer({ requestTimeoutMs: 1_000 })
    try {
      await s.server.listen({ host: '127.0.0.1', port: 0 })
      const { port } = s.server.server.address() as AddressInfo
      await new Promise<void>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port }, () =>
          socket.write(
            'POST /api/v1/auth/sign-in?password=SECRET-F HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"u',
          ),
        )
        socket.on('error', reject)
        socket.on('close', () => resolve())
        socket.resume()
      })
      const timedOut = s.lines.find((l) => l.msg === 'request timed out: closed')
      expect(timedOut?.res).toEqual({ statusCode: 408 })
      expect(s.raw.join('')).not.toContain('SECRET-F')
    } finally {
      await s.server.close()
    }
  })

  it('redacts secret-looking parameters and keeps the rest', () => {
    expect(redactUrl('/x')).toBe('/x')
    expect(redactUrl('/x?limit=5&after=%2B855')).toBe('/x?limit=5&after=%2B855')
    expect(redactUrl('/cb?code=abc&state=1&id_token=t&Password=p&api%5Fkey=k')).toBe(
      '/cb?code=[redacted]&state=1&id_token=[redacted]&Password=[redacted]&api%5Fkey=[redacted]',
    )
  })
})

describe('/metrics exposure', () => {
  it('stays open on the main port by default (the demo)', async () => {
    const res = await t.server.inject({ method: 'GET', url: '/metrics' })
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('numguard_http_request_duration_seconds')
  })

  it('answers 401 without the bearer token once NUMGUARD_METRICS_TOKEN is set', async () => {
    const s = await loggedServer({ metricsToken: 'metrics-token-0123456789' })
    try {
      const none = await s.server.inject({ method: 'GET', url: '/metrics' })
      const wrong = await s.server.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer nope' } })
      const right = await s.server.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: 'Bearer metrics-token-0123456789' },
      })
      expect([none.statusCode, wrong.statusCode, right.statusCode]).toEqual([401, 401, 200])
      expect(none.json().code).toBe('unauthenticated')
      expect(right.body).toContain('numguard_')
    } finally {
      await s.server.close()
    }
  })

  it('moves to the operations address when NUMGUARD_METRICS_LISTEN is set, token and all', async () => {
    const http: HttpConfig = {
      requestTimeoutMs: 20_000,
      metricsListen: { host: '127.0.0.1', port: 0 },
      metricsToken: 'ops-token',
    }
    const s = await loggedServer(http)
    const ops = await listenMetrics(s.metrics, http)
    try {
      expect((await s.server.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404)
      if (!ops) throw new Error('no operations listener')
      expect((await fetch(ops.url)).status).toBe(401)
      const res = await fetch(ops.url, { headers: { authorization: 'Bearer ops-token' } })
      expect(res.status).toBe(200)
      expect(await res.text()).toContain('numguard_http_request_duration_seconds')
      expect((await fetch(ops.url.replace('/metrics', '/healthz'))).status).toBe(404)
    } finally {
      await ops?.close()
      await s.server.close()
    }
  })

  it('defaults production to the loopback operations address unless a token is set', () => {
    expect(loadHttpConfig({}, 'demo').metricsListen).toBeUndefined()
    expect(loadHttpConfig({}, 'production').metricsListen).toEqual({ host: '127.0.0.1', port: 9464 })
    expect(PRODUCTION_METRICS_LISTEN).toBe('127.0.0.1:9464')
    expect(loadHttpConfig({ NUMGUARD_METRICS_TOKEN: 'x'.repeat(32) }, 'production').metricsListen).toBeUndefined()
    expect(loadHttpConfig({ NUMGUARD_METRICS_LISTEN: '[::1]:9100' }, 'demo').metricsListen).toEqual({
      host: '::1',
      port: 9100,
    })
    expect(() => loadHttpConfig({ NUMGUARD_METRICS_LISTEN: 'nowhere' }, 'demo')).toThrow(/host:port/)
  })
})
