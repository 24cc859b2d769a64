import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir, hostname, userInfo } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { loadConfig } from '../config.ts'
import { readLock } from '../db/lock.ts'
import { buildServer } from '../http/server.ts'
import { openApp } from '../runtime.ts'

export class ApiError extends Error {
  readonly code: string
  readonly status: number
  readonly details: unknown
  constructor(status: number, body: { code?: string; message?: string; details?: unknown }) {
    super(body.message ?? `HTTP ${status}`)
    this.status = status
    this.code = body.code ?? 'http_error'
    this.details = body.details
  }
}

export interface ApiOptions {
  url?: string
  token?: string
}

const CREDENTIALS = join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'numguard', 'credentials.json')

export function saveToken(url: string, token: string): string {
  mkdirSync(dirname(CREDENTIALS), { recursive: true, mode: 0o700 })
  writeFileSync(CREDENTIALS, JSON.stringify({ url, token }), { mode: 0o600 })
  return CREDENTIALS
}

function savedCredentials(): { url?: string; token?: string } {
  try {
    return JSON.parse(readFileSync(CREDENTIALS, 'utf8'))
  } catch {
    return {}
  }
}

/** A server URL as compared for the saved token: parsed (scheme and host lower-cased), without trailing slashes. */
export function normaliseUrl(url: string): string {
  let text = url.trim()
  try {
    text = new URL(text).href
  } catch {}
  return text.replace(/\/+$/, '')
}

/**
 * The token a command sends to `url`: --token, then NUMGUARD_TOKEN, then the one `numguard login` saved — but that
 * one only to the server it was issued by (or to a server this process started itself on the local database), so
 * --url or NUMGUARD_URL naming another server never receives it. `withheldFor` says where a withheld token belongs.
 */
export function chooseToken(
  url: string,
  given: { token?: string; envToken?: string; saved: { url?: string; token?: string }; ownServer?: boolean },
): { token?: string; withheldFor?: string } {
  const explicit = given.token ?? given.envToken
  if (explicit) return { token: explicit }
  const { saved } = given
  if (!saved.token) return {}
  if (given.ownServer || (saved.url && normaliseUrl(saved.url) === normaliseUrl(url))) return { token: saved.token }
  return { withheldFor: saved.url ?? 'an unknown server' }
}

export class Api {
  readonly url: string
  token?: string
  /** Where the saved token that was not sent here belongs; named when the server asks for credentials. */
  withheldFor?: string
  constructor(url: string, token?: string, withheldFor?: string) {
    this.url = url.replace(/\/+$/, '')
    this.token = token
    this.withheldFor = withheldFor
  }

  /**
   * Every CLI request names the OS user and host it runs as; the audit record keeps them beside the staff member
   * as claimed_os_user / claimed_host (what the CLI says: the server cannot verify them).
   */
  headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      'x-numguard-os-user': userInfo().username,
      'x-numguard-host': hostname(),
      ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      ...extra,
    }
  }

  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await this.raw(method, path, body, headers)
    const text = await res.text()
    const json = text ? JSON.parse(text) : null
    if (!res.ok) {
      const body = json ?? {}
      if (res.status === 401 && !this.token && this.withheldFor) {
        body.message = `${body.message ?? 'Sign in first'} (the token saved by \`numguard login\` is for ${this.withheldFor}, not ${this.url}, and is not sent to another server: pass --token or set NUMGUARD_TOKEN, or NUMGUARD_USERNAME and NUMGUARD_PASSWORD, or run \`numguard login --url ${this.url}\`)`
      }
      throw new ApiError(res.status, body)
    }
    return json as T
  }

  raw(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(this.url + path, {
      method,
      headers: this.headers(body === undefined ? headers : { 'content-type': 'application/json', ...headers }),
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  }
}

/**
 * Runs a CLI action against a numguard server: the one named by --url or NUMGUARD_URL, the one holding the
 * embedded database's lock, or — when none runs — one started in this process for the duration of the command.
 * Either way the change goes through the same routes, authorization and audit as the console's.
 */
export async function withApi<T>(options: ApiOptions, action: (api: Api) => Promise<T>): Promise<T> {
  const config = loadConfig()
  const saved = savedCredentials()
  const tokenFor = (url: string, ownServer = false) =>
    chooseToken(url, { token: options.token, envToken: process.env.NUMGUARD_TOKEN, saved, ownServer })
  const running = config.databaseUrl ? null : readLock(resolve(config.dataDir))
  const url = options.url ?? process.env.NUMGUARD_URL ?? running?.url
  if (url) {
    const { token, withheldFor } = tokenFor(url)
    return action(await signedIn(new Api(url, token, withheldFor)))
  }
  if (running)
    throw new Error(
      `numguard (pid ${running.pid}) holds ${config.dataDir} but has not said where it listens; pass --url`,
    )
  const opened = await openApp({ ...config, logLevel: 'warn' })
  const { server } = await buildServer(opened.app, { logRequests: false })
  try {
    const address = await server.listen({ host: '127.0.0.1', port: 0 })
    opened.setUrl(address)
    // This process's own server on the local database: the saved token goes nowhere else by going there.
    return await action(await signedIn(new Api(address, tokenFor(address, true).token)))
  } finally {
    await server.close()
    await opened.close()
  }
}

/** Uses the given (or applicable saved) token, or signs in with NUMGUARD_USERNAME / NUMGUARD_PASSWORD. */
async function signedIn(api: Api): Promise<Api> {
  const { NUMGUARD_USERNAME: username, NUMGUARD_PASSWORD: password } = process.env
  if (!api.token && username && password) {
    api.token = (await api.request<{ token: string }>('POST', '/api/v1/auth/sign-in', { username, password })).token
  }
  return api
}
