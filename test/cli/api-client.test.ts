// The CLI's token goes only where it came from: the token `numguard login` saved is sent to the server it was
// issued by, never to another one that --url or NUMGUARD_URL names. A recording HTTP server plays both servers.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'

const SAVED = 'ngs_saved-token-of-server-a'
const FRESH = 'ngs_fresh-token-from-sign-in'

interface Seen {
  server: 'a' | 'b'
  method: string
  path: string
  authorization?: string
}

let dir: string
let seen: Seen[] = []
const servers: Server[] = []
let urlA: string
let urlB: string
let client: typeof import('../../src/cli/api-client.ts')

async function listen(name: 'a' | 'b'): Promise<string> {
  const server = createServer((req, res) => {
    seen.push({ server: name, method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization })
    res.setHeader('content-type', 'application/json')
    if (req.method === 'POST' && req.url === '/api/v1/auth/sign-in')
      return res.end(JSON.stringify({ token: FRESH, staff: { username: 'ops.admin', roles: ['admin'] } }))
    if (!req.headers.authorization) {
      res.statusCode = 401
      return res.end(JSON.stringify({ code: 'unauthenticated', message: 'Sign in first', details: {} }))
    }
    if (req.method === 'POST' && req.url === '/api/v1/auth/sign-out') {
      res.statusCode = 204
      return res.end()
    }
    if (req.url === '/api/v1/auth/me')
      return res.end(JSON.stringify({ staff: { username: 'token.holder', roles: ['agent'] }, session: {} }))
    res.end(JSON.stringify({ ok: true }))
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function saveCredentials(url: string) {
  mkdirSync(join(dir, 'config', 'numguard'), { recursive: true })
  writeFileSync(join(dir, 'config', 'numguard', 'credentials.json'), JSON.stringify({ url, token: SAVED }))
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'numguard-api-client-'))
  // The credentials path is fixed when the module loads.
  vi.stubEnv('XDG_CONFIG_HOME', join(dir, 'config'))
  client = await import('../../src/cli/api-client.ts')
  urlA = await listen('a')
  urlB = await listen('b')
})

beforeEach(() => {
  seen = []
  // Each command says who acts on stderr; not wanted in the test output.
  vi.spyOn(console, 'error').mockImplementation(() => {})
  vi.stubEnv('XDG_CONFIG_HOME', join(dir, 'config'))
  vi.stubEnv('NUMGUARD_DATA', join(dir, 'data'))
  vi.stubEnv('DATABASE_URL', undefined)
  for (const k of ['NUMGUARD_URL', 'NUMGUARD_TOKEN', 'NUMGUARD_USERNAME', 'NUMGUARD_PASSWORD']) vi.stubEnv(k, undefined)
  saveCredentials(`${urlA}/`)
})
afterEach(() => {
  vi.unstubAllEnvs()
  vi.restoreAllMocks()
})

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
  rmSync(dir, { recursive: true, force: true })
})

const meta = (options: { url?: string; token?: string }) =>
  client.withApi(options, (api) => api.request<{ ok: boolean }>('GET', '/api/v1/meta'))

describe('the saved token', () => {
  it('goes to the server it was saved for, whatever trailing slashes either URL has', async () => {
    await expect(meta({ url: urlA })).resolves.toEqual({ ok: true })
    await expect(meta({ url: `${urlA}//` })).resolves.toEqual({ ok: true })
    // Each command first asks who the token's holder is, to say who acts.
    expect(seen.map((s) => [s.server, s.path, s.authorization])).toEqual([
      ['a', '/api/v1/auth/me', `Bearer ${SAVED}`],
      ['a', '/api/v1/meta', `Bearer ${SAVED}`],
      ['a', '/api/v1/auth/me', `Bearer ${SAVED}`],
      ['a', '/api/v1/meta', `Bearer ${SAVED}`],
    ])
  })

  it('is not sent to another server named by --url or NUMGUARD_URL; the refusal says why', async () => {
    const byFlag = meta({ url: urlB })
    await expect(byFlag).rejects.toMatchObject({ status: 401, code: 'unauthenticated' })
    await expect(byFlag).rejects.toThrow(/token saved by `numguard login` is for .*NUMGUARD_TOKEN/)
    vi.stubEnv('NUMGUARD_URL', urlB)
    await expect(meta({})).rejects.toMatchObject({ status: 401 })
    expect(seen).toHaveLength(2)
    expect(seen.every((s) => s.server === 'b' && s.authorization === undefined)).toBe(true)
  })

  it('gives way to --token, NUMGUARD_TOKEN or NUMGUARD_USERNAME/NUMGUARD_PASSWORD for another server', async () => {
    await expect(meta({ url: urlB, token: 'ngs_given' })).resolves.toEqual({ ok: true })
    vi.stubEnv('NUMGUARD_TOKEN', 'ngs_from_env')
    await expect(meta({ url: urlB })).resolves.toEqual({ ok: true })
    vi.stubEnv('NUMGUARD_TOKEN', undefined)
    vi.stubEnv('NUMGUARD_USERNAME', 'ops.admin')
    vi.stubEnv('NUMGUARD_PASSWORD', 'a-long-password')
    await expect(meta({ url: urlB })).resolves.toEqual({ ok: true })
    expect(seen.map((s) => [s.server, s.method, s.path, s.authorization])).toEqual([
      ['b', 'GET', '/api/v1/auth/me', 'Bearer ngs_given'],
      ['b', 'GET', '/api/v1/meta', 'Bearer ngs_given'],
      ['b', 'GET', '/api/v1/auth/me', 'Bearer ngs_from_env'],
      ['b', 'GET', '/api/v1/meta', 'Bearer ngs_from_env'],
      ['b', 'POST', '/api/v1/auth/sign-in', undefined],
      ['b', 'GET', '/api/v1/meta', `Bearer ${FRESH}`],
      // The session the CLI opened for the command is closed at its end.
      ['b', 'POST', '/api/v1/auth/sign-out', `Bearer ${FRESH}`],
    ])
    expect(JSON.stringify(seen)).not.toContain(SAVED)
    // Once per command, on stderr: who acts, as /api/v1/auth/me or the sign-in says.
    expect(vi.mocked(console.error).mock.calls).toEqual([
      ['numguard: acting as token.holder (agent)'],
      ['numguard: acting as token.holder (agent)'],
      ['numguard: acting as ops.admin (admin)'],
    ])
  })

  it('gives way to NUMGUARD_USERNAME/NUMGUARD_PASSWORD even on the server it was saved for; that session is closed', async () => {
    vi.stubEnv('NUMGUARD_USERNAME', 'ops.admin')
    vi.stubEnv('NUMGUARD_PASSWORD', 'a-long-password')
    await expect(meta({ url: urlA })).resolves.toEqual({ ok: true })
    expect(seen.map((s) => [s.server, s.method, s.path, s.authorization])).toEqual([
      ['a', 'POST', '/api/v1/auth/sign-in', undefined],
      ['a', 'GET', '/api/v1/meta', `Bearer ${FRESH}`],
      ['a', 'POST', '/api/v1/auth/sign-out', `Bearer ${FRESH}`],
    ])
  })

  it('closes the session it opened even when the command fails', async () => {
    vi.stubEnv('NUMGUARD_USERNAME', 'ops.admin')
    vi.stubEnv('NUMGUARD_PASSWORD', 'a-long-password')
    const failing = client.withApi({ url: urlB }, async (api) => {
      await api.request('GET', '/api/v1/meta')
      throw new Error('the command failed')
    })
    await expect(failing).rejects.toThrow('the command failed')
    expect(seen.map((s) => s.path)).toEqual(['/api/v1/auth/sign-in', '/api/v1/meta', '/api/v1/auth/sign-out'])
  })
})

describe('chooseToken', () => {
  const saved = { url: 'https://numguard.example.com/', token: SAVED }

  it('matches URLs by scheme, host, port and path, ignoring trailing slashes and the case of the host', () => {
    expect(client.chooseToken('https://NUMGUARD.example.com', { saved }).token).toBe(SAVED)
    expect(client.chooseToken('https://numguard.example.com///', { saved }).token).toBe(SAVED)
    for (const other of [
      'http://numguard.example.com',
      'https://numguard.example.com:8443',
      'https://numguard.example.com.evil.test',
      'https://evil.test/?https://numguard.example.com',
    ])
      expect(client.chooseToken(other, { saved }), other).toEqual({ withheldFor: saved.url })
  })

  it('prefers a given token, and lends the saved one to a server of this process only', () => {
    expect(client.chooseToken('http://elsewhere', { token: 'ngs_a', envToken: 'ngs_b', saved })).toEqual({
      token: 'ngs_a',
    })
    expect(client.chooseToken('http://elsewhere', { envToken: 'ngs_b', saved })).toEqual({ token: 'ngs_b' })
    expect(client.chooseToken('http://127.0.0.1:41234', { saved, ownServer: true })).toEqual({ token: SAVED })
    expect(client.chooseToken('http://elsewhere', { saved: {} })).toEqual({})
  })
})
