// The real `numguard serve`, spawned as users run it: the banner, /healthz, the data-directory lock against a
// second server, `numguard lookup` against the running one, and a clean stop on SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { lockPath } from '../../src/db/lock.ts'
import { DEMO_CREDENTIALS } from '../../src/demo/seed.ts'
import { CLI, cliEnv, NODE, ROOT } from './support.ts'

// First start migrates the embedded database and loads the demo data set: seconds when idle, more on a busy machine.
const FIRST_START_MS = 90_000

interface Running {
  child: ChildProcess
  stdout: string
  stderr: string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

function run(args: string[], env: NodeJS.ProcessEnv): Running {
  const child = spawn(NODE, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const running: Running = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
  }
  child.stdout?.on('data', (chunk: Buffer) => {
    running.stdout += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    running.stderr += chunk.toString()
  })
  return running
}

/** Resolves when the process has printed `pattern` on stdout; fails if it exits first or the time runs out. */
function waitForOutput(r: Running, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const done = (fn: () => void) => {
      clearTimeout(timer)
      r.child.stdout?.off('data', check)
      r.child.off('exit', exited)
      fn()
    }
    const check = () => {
      const m = r.stdout.match(pattern)
      if (m) done(() => resolve(m))
    }
    const exited = (code: number | null) =>
      done(() => reject(new Error(`exited (${code}) before printing ${pattern}\n${r.stdout}\n${r.stderr}`)))
    const timer = setTimeout(
      () => done(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms\n${r.stdout}\n${r.stderr}`))),
      timeoutMs,
    )
    r.child.stdout?.on('data', check)
    r.child.on('exit', exited)
    check()
  })
}

/** Resolves with the exit of `r`, or fails when the time runs out. */
function waitForExit(r: Running, timeoutMs: number) {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`still running after ${timeoutMs} ms\n${r.stdout}\n${r.stderr}`)),
      timeoutMs,
    )
  })
  return Promise.race([r.exited, timeout]).finally(() => clearTimeout(timer))
}

let dataDir: string
let configDir: string
let server: Running
let url: string

/** This file's CLI environment: its own embedded database and config directory. */
const env = (extra: Record<string, string> = {}) =>
  cliEnv({ NUMGUARD_DATA: dataDir, XDG_CONFIG_HOME: configDir, ...extra })

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'numguard-serve-'))
  configDir = mkdtempSync(join(tmpdir(), 'numguard-config-'))
  server = run(['serve', '--port', '0'], env())
  await waitForOutput(server, /numguard is ready/, FIRST_START_MS)
  const printed = (await waitForOutput(server, /console\s+(http:\/\/[^\s/]+)\//, 5_000))[1]
  url = printed.replace('localhost', '127.0.0.1')
}, FIRST_START_MS + 10_000)

afterAll(async () => {
  if (server && server.child.exitCode === null && server.child.signalCode === null) {
    server.child.kill('SIGKILL')
    await server.exited
  }
  rmSync(dataDir, { recursive: true, force: true })
  rmSync(configDir, { recursive: true, force: true })
})

/** A session token of the first demo agent, signed in over HTTP like the console does. */
async function signInAsDemoAgent(): Promise<string> {
  const agent = DEMO_CREDENTIALS.find((c) => c.role === 'agent') as (typeof DEMO_CREDENTIALS)[number]
  const res = await fetch(`${url}/api/v1/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: agent.username, password: agent.password }),
  })
  expect(res.status).toBe(200)
  return ((await res.json()) as { token: string }).token
}

describe('numguard serve', () => {
  it('prints its banner with the demo sign-ins and answers /healthz', async () => {
    expect(server.stdout).toContain('demo mode, embedded PGlite')
    expect(server.stdout).toContain('agent.pp1')
    const res = await fetch(`${url}/healthz`)
    expect(res.status).toBe(200)
    // The SMSC check may still be binding to the embedded simulator at this instant: the database is what 200 rests on.
    expect(await res.json()).toMatchObject({
      mode: 'demo',
      checks: { database: { ok: true, kind: 'pglite' }, smsc: { linked: true }, audit_signer: { ok: true } },
    })
    expect(existsSync(lockPath(dataDir))).toBe(true)
  })

  it('refuses a second server on the same data directory, saying it is in use', async () => {
    const second = run(['serve', '--port', '0'], env())
    const { code } = await waitForExit(second, 60_000)
    expect(code).not.toBe(0)
    expect(second.stderr).toContain('is in use')
    expect(second.stderr).toContain(`pid ${server.child.pid}`)
    expect(second.stdout).not.toContain('numguard is ready')
    // The first one is unharmed.
    expect((await fetch(`${url}/healthz`)).status).toBe(200)
  }, 70_000)

  it('`numguard lookup` shows a number’s custody from the running server, with a demo agent’s token', async () => {
    const token = await signInAsDemoAgent()
    const lookup = run(['lookup', '+85512000001'], env({ NUMGUARD_URL: url, NUMGUARD_TOKEN: token }))
    const { code } = await waitForExit(lookup, 60_000)
    expect(code, lookup.stderr).toBe(0)
    expect(lookup.stdout).toContain('+85512000001')
    expect(lookup.stdout).toMatch(/^custody$/m)
  }, 70_000)

  it('`numguard lookup` of a held number says it is held, its custody being the account (invariant 10)', async () => {
    const token = await signInAsDemoAgent()
    const list = await fetch(`${url}/api/v1/numbers?state=active&limit=1`, {
      headers: { authorization: `Bearer ${token}` },
    })
    const [held] = ((await list.json()) as { items: { msisdn: string }[] }).items
    const lookup = run(['lookup', held.msisdn], env({ NUMGUARD_URL: url, NUMGUARD_TOKEN: token }))
    const { code } = await waitForExit(lookup, 60_000)
    expect(code, lookup.stderr).toBe(0)
    expect(lookup.stdout).toContain(`${held.msisdn}  ACTIVE`)
    // A demo agent has no customer session for the holder: the period and holder are withheld, not "never held".
    expect(lookup.stdout).toMatch(/^custody\n\s+\(held; not shown: Verify the customer/m)
    expect(lookup.stdout).toMatch(/^SIM\n\s+\(not shown\)$/m)
  }, 70_000)

  it('`numguard lookup` prints a number’s history with who acted', async () => {
    const token = await signInAsDemoAgent()
    const headers = { authorization: `Bearer ${token}` }
    const list = await fetch(`${url}/api/v1/numbers?state=available&limit=1`, { headers })
    const [free] = ((await list.json()) as { items: { msisdn: string }[] }).items
    const reserve = await fetch(`${url}/api/v1/numbers/${encodeURIComponent(free.msisdn)}/reserve`, {
      method: 'POST',
      headers,
    })
    expect(reserve.status).toBe(200)
    const lookup = run(['lookup', free.msisdn], env({ NUMGUARD_URL: url, NUMGUARD_TOKEN: token }))
    const { code } = await waitForExit(lookup, 60_000)
    expect(code, lookup.stderr).toBe(0)
    expect(lookup.stdout).toContain(`${free.msisdn}  RESERVED`)
    expect(lookup.stdout).toMatch(/^history\n\s+#\d+ \S+\s+number\.reserved\s+agent\.\w+$/m)
  }, 70_000)

  it('`numguard lookup` without a token fails with the server’s refusal', async () => {
    const lookup = run(['lookup', '+85512000001'], env({ NUMGUARD_URL: url }))
    const { code } = await waitForExit(lookup, 60_000)
    expect(code).toBe(1)
    expect(lookup.stderr).toContain('[unauthenticated]')
  }, 70_000)

  it('stops on SIGTERM and removes its lock file', async () => {
    server.child.kill('SIGTERM')
    const { code } = await waitForExit(server, 30_000)
    expect(code).toBe(0)
    expect(existsSync(lockPath(dataDir))).toBe(false)
    await expect(fetch(`${url}/healthz`)).rejects.toThrow()
  }, 40_000)
})
