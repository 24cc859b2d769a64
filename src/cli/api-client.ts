import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir, hostname, userInfo } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { startAuditLog } from '../audit/index.ts'
import { loadConfig } from '../config.ts'
import { readLock } from '../db/lock.ts'
import { buildServer } from '../http/index.ts'
import { openApp } from '../runtime.ts'
import { ApiError, CliError, connectReason } from './errors.ts'
import { codeSourcesFromEnv, finishSignIn, type SignInAnswer } from './mfa.ts'

export { ApiError } from './errors.ts'

export interface ApiOptions {
  url?: string
  token?: string
  /** Send no credentials and sign in as nobody (`numguard login` signs in itself). */
  anonymous?: boolean
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

/** Where the token a request carries came from, to say what to do when the server does not accept it. */
export type TokenSource = 'flag' | 'env' | 'saved' | 'sign-in'

/**
 * fetch fails with `TypeError: fetch failed` and the reason as its cause; that becomes `cannot reach numguard at
 * URL: connection refused`. Anything else is not a network failure and stays what it is.
 */
export function networkError(url: string, err: unknown, during?: string): Error {
  if (err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError'))
    return new CliError(`numguard at ${url} did not answer in time${during ? ` ${during}` : ''}`)
  if (!(err instanceof TypeError) || !('cause' in err)) return err as Error
  const reason = connectReason(err.cause) ?? err.message
  return new CliError(
    during
      ? `lost the connection to numguard at ${url} ${during}: ${reason}`
      : `cannot reach numguard at ${url}: ${reason}`,
  )
}

export class Api {
  readonly url: string
  token?: string
  tokenSource?: TokenSource
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

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<T> {
    const res = await this.raw(method, path, body, headers, signal)
    const json = await this.readJson(res)
    if (!res.ok) throw this.refusal(res.status, json, path)
    return json as T
  }

  /** The body of a response as JSON; a body that is not JSON means the URL is not a numguard server. */
  async readJson(res: Response): Promise<unknown> {
    let text: string
    try {
      text = await res.text()
    } catch (err) {
      throw networkError(this.url, err, 'while reading its answer')
    }
    if (!text) return null
    try {
      return JSON.parse(text)
    } catch {
      throw new CliError(
        `${this.url} did not answer like a numguard server (HTTP ${res.status}, ${res.headers.get('content-type') ?? 'no content type'})`,
      )
    }
  }

  /** The error for a refused request, with what to do when it is for want of credentials. */
  refusal(status: number, json: unknown, path = ''): ApiError {
    const body = (json && typeof json === 'object' ? { ...json } : {}) as {
      code?: string
      message?: string
      details?: unknown
    }
    const hint = status === 401 && path !== '/api/v1/auth/sign-in' ? this.signInHint() : undefined
    if (hint) body.message = `${body.message ?? 'Sign in first'} (${hint})`
    return new ApiError(status, body)
  }

  private signInHint(): string {
    if (!this.token && this.withheldFor)
      return `the token saved by \`numguard login\` is for ${this.withheldFor}, not ${this.url}, and is not sent to another server: pass --token or set NUMGUARD_TOKEN, or NUMGUARD_USERNAME and NUMGUARD_PASSWORD, or run \`numguard login --url ${this.url}\``
    if (!this.token)
      return 'run `numguard login -u USER`, or set NUMGUARD_USERNAME and NUMGUARD_PASSWORD, or pass --token'
    if (this.tokenSource === 'saved')
      return 'the token saved by `numguard login` has expired or was revoked: run `numguard login` again'
    if (this.tokenSource === 'flag' || this.tokenSource === 'env')
      return `the token given by ${this.tokenSource === 'flag' ? '--token' : 'NUMGUARD_TOKEN'} is not accepted: it has expired, was revoked or is not a staff session`
    return ''
  }

  async raw(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<Response> {
    try {
      return await fetch(this.url + path, {
        method,
        headers: this.headers(body === undefined ? headers : { 'content-type': 'application/json', ...headers }),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      })
    } catch (err) {
      throw networkError(this.url, err)
    }
  }
}

function checkUrl(url: string): void {
  let parsed: URL | undefined
  try {
    parsed = new URL(url)
  } catch {}
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:'))
    throw new CliError(`${url} is not the URL of a numguard server; give one such as http://127.0.0.1:3000`)
}

/**
 * Runs a CLI action against a numguard server: the one named by --url or NUMGUARD_URL, the one holding the
 * embedded database's lock, or — when none runs — one started in this process for the duration of the command.
 * Either way the change goes through the same routes, authorization and audit as the console's.
 */
export async function withApi<T>(options: ApiOptions, action: (api: Api) => Promise<T>): Promise<T> {
  const config = loadConfig()
  const running = config.databaseUrl ? null : readLock(resolve(config.dataDir))
  const url = options.url ?? process.env.NUMGUARD_URL ?? running?.url
  if (url) {
    checkUrl(url)
    return inSession(new Api(url), options, false, action)
  }
  if (running)
    throw new CliError(
      `numguard (pid ${running.pid}) holds ${config.dataDir} but has not said where it listens; pass --url`,
    )
  const opened = await openApp({ ...config, logLevel: 'warn' })
  const { server } = await buildServer(opened.app, { logRequests: false })
  // This process holds the log for the command's duration: queued records are integrated and signed first.
  const auditLog = startAuditLog(opened.app)
  try {
    await auditLog.idle()
    const address = await server.listen({ host: '127.0.0.1', port: 0 })
    opened.setUrl(address)
    // This process's own server on the local database: the saved token goes nowhere else by going there.
    return await inSession(new Api(address), options, true, action)
  } finally {
    await server.close()
    await auditLog.stop()
    await opened.close()
  }
}

/** Runs the action as the staff member the credentials name, and ends a session the CLI opened itself. */
async function inSession<T>(api: Api, options: ApiOptions, ownServer: boolean, action: (api: Api) => Promise<T>) {
  if (options.anonymous) return action(api)
  const signOut = await authenticate(api, options, ownServer)
  if (!signOut) return action(api)
  const onSignal = (signal: NodeJS.Signals) => {
    void signOut().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    return await action(api)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await signOut()
  }
}

interface StaffSummary {
  username?: string
  roles?: string[]
}

/** `numguard: acting as inventory (inventory_manager)`, on stderr: stdout stays the command's output. */
function announce(staff: StaffSummary | undefined, fallback?: string): void {
  const username = staff?.username ?? fallback
  if (!username) return
  const roles = Array.isArray(staff?.roles) && staff.roles.length ? ` (${staff.roles.join(', ')})` : ''
  console.error(`numguard: acting as ${username}${roles}`)
}

/**
 * Chooses who acts: --token or NUMGUARD_TOKEN; else NUMGUARD_USERNAME/NUMGUARD_PASSWORD, signed in for this command
 * only; else the token `numguard login` saved (for this server). Says who that is, once. Returns how to end the
 * session when this command opened it.
 */
async function authenticate(
  api: Api,
  options: ApiOptions,
  ownServer: boolean,
): Promise<(() => Promise<void>) | undefined> {
  const { NUMGUARD_USERNAME: username, NUMGUARD_PASSWORD: password, NUMGUARD_TOKEN: envToken } = process.env
  const explicit = options.token ?? envToken
  if (!explicit && username && password) {
    let out: SignInAnswer & { staff?: StaffSummary }
    try {
      out = await api.request('POST', '/api/v1/auth/sign-in', { username, password })
      // A role that needs MFA: the code comes from NUMGUARD_TOTP_CODE or NUMGUARD_TOTP_SECRET (no prompt here).
      out = await finishSignIn(api, out, codeSourcesFromEnv(false))
    } catch (err) {
      if (!(err instanceof ApiError)) throw err
      throw new ApiError(err.status, {
        code: err.code,
        message: `signing in as ${username} (NUMGUARD_USERNAME, NUMGUARD_PASSWORD): ${err.message}`,
        details: err.details,
      })
    }
    api.token = out.token
    api.tokenSource = 'sign-in'
    announce(out.staff, username)
    return once(() => signOutOf(api, out.token))
  }
  const chosen = chooseToken(api.url, { token: options.token, envToken, saved: savedCredentials(), ownServer })
  api.token = chosen.token
  api.withheldFor = chosen.withheldFor
  api.tokenSource = options.token ? 'flag' : envToken ? 'env' : chosen.token ? 'saved' : undefined
  if (api.token) {
    try {
      announce((await api.request<{ staff?: StaffSummary }>('GET', '/api/v1/auth/me'))?.staff)
    } catch (err) {
      // A token the server does not take (expired, revoked, a machine's): the command's own request says so.
      if (!(err instanceof ApiError)) throw err
    }
  }
  return undefined
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined
  return () => {
    done ??= fn()
    return done
  }
}

/** Ends a session this command opened; a failure is reported, not fatal (the session expires by itself). */
async function signOutOf(api: Api, token: string): Promise<void> {
  api.token = token
  try {
    await api.request('POST', '/api/v1/auth/sign-out', undefined, {}, AbortSignal.timeout(5_000))
  } catch (err) {
    const why = err instanceof ApiError ? `${err.message} [${err.code}]` : (err as Error).message
    console.error(`numguard: could not sign out (${why}); the session ends by itself within 12 hours`)
  } finally {
    api.token = undefined
  }
}
