// Shared pieces of the CLI tests: running the real `numguard` as a child process, and a recording HTTP server that
// plays a numguard server and keeps every request it gets.
import { spawn } from 'node:child_process'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const NODE = join(ROOT, 'node_modules', '.bin', 'node')
export const CLI = join(ROOT, 'bin', 'numguard.mjs')

/** The environment of a CLI run: nothing of the developer's own setup leaks in. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const k of [
    'DATABASE_URL',
    'MIGRATION_DATABASE_URL',
    'NUMGUARD_URL',
    'NUMGUARD_TOKEN',
    'NUMGUARD_USERNAME',
    'NUMGUARD_PASSWORD',
    'NUMGUARD_NEW_PASSWORD',
    'NUMGUARD_TOTP_CODE',
    'NUMGUARD_TOTP_SECRET',
    'NUMGUARD_KYC_KEY',
    'NUMGUARD_MODE',
    'PORT',
    'HOST',
  ]) {
    delete env[k]
  }
  return { ...env, LOG_LEVEL: 'warn', ...extra }
}

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `numguard ...args` to its end, stdin not a terminal. */
export function numguard(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString()
    })
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString()
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`numguard ${args.join(' ')} still running after ${timeoutMs} ms\n${stdout}\n${stderr}`))
    }, timeoutMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** The lines of stderr, without the `acting as` line every signed-in command prints. */
export const errorLines = (stderr: string) =>
  stderr.split('\n').filter((l) => l !== '' && !l.startsWith('numguard: acting as '))

export interface Seen {
  method: string
  path: string
  authorization?: string
  body: string
}

export type Handler = (
  req: Seen,
  res: ServerResponse<IncomingMessage>,
) => { status?: number; body?: unknown } | undefined

export interface Recording {
  url: string
  seen: Seen[]
  close(): Promise<void>
}

/** An HTTP server answering with `handle` (JSON), recording every request. */
export async function recordingServer(handle: Handler): Promise<Recording> {
  const seen: Seen[] = []
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => {
      body += c.toString()
    })
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization, body }
      seen.push(s)
      const out = handle(s, res) ?? { status: 404, body: { code: 'not_found', message: 'No route', details: {} } }
      res.statusCode = out.status ?? 200
      if (out.body === undefined) return res.end()
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(out.body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on (taken, then given back). */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}
