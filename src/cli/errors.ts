// What the CLI prints when a command fails: one `numguard: …` line for every failure a person can meet (a refusal
// of the server, a file that is not there, a server that does not answer, a port in use), and a stack trace only
// for what can only be a bug in numguard, saying so.
import { CommanderError } from 'commander'
import { DataDirInUseError } from '../db/lock.ts'
import { DomainError } from '../domain/errors.ts'
import { StartupRefusedError } from '../runtime.ts'

/** An expected failure: its message is all a person needs (no stack trace). */
export class CliError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CliError'
  }
}

/** A refusal by the numguard server: `{ code, message, details }` of the HTTP API. */
export class ApiError extends Error {
  readonly code: string
  readonly status: number
  readonly details: Record<string, unknown>
  constructor(status: number, body: { code?: string; message?: string; details?: unknown }) {
    super(body.message ?? `HTTP ${status}`)
    this.name = 'ApiError'
    this.status = status
    this.code = body.code ?? 'http_error'
    this.details =
      body.details && typeof body.details === 'object' ? (body.details as Record<string, unknown>) : ({} as const)
  }
}

/** The server could not reach its database: nothing of that request was applied, and it may simply be sent again. */
export function isDatabaseUnavailable(err: unknown): err is ApiError {
  return err instanceof ApiError && err.code === 'database_unavailable'
}

/** The server's message with its code, and the ids a person may be asked about (an alert, a request). */
export function describeApiError(err: { message: string; code: string; details: Record<string, unknown> }): string {
  const refs = [
    typeof err.details.alert_id === 'string' ? `alert ${err.details.alert_id}` : '',
    typeof err.details.request_id === 'string' ? `request ${err.details.request_id}` : '',
  ].filter(Boolean)
  return `${err.message} [${err.code}]${refs.length ? ` (${refs.join(', ')})` : ''}`
}

const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EMFILE: 'too many open files',
}

/** Why a file could not be read, in words: `cannot read sims.csv: no such file`. */
export function fileError(path: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code
  return code && FILE_ERRORS[code] ? new CliError(`cannot read ${path}: ${FILE_ERRORS[code]}`) : (err as Error)
}

/** Why a connection failed, in words, by the code Node gives it. */
export const CONNECT_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name could not be looked up',
  ETIMEDOUT: 'timed out',
  UND_ERR_CONNECT_TIMEOUT: 'timed out',
  UND_ERR_HEADERS_TIMEOUT: 'timed out waiting for an answer',
  ECONNRESET: 'the connection was reset',
  UND_ERR_SOCKET: 'the connection was closed',
  EHOSTUNREACH: 'no route to the host',
  ENETUNREACH: 'the network is unreachable',
  EPIPE: 'the connection was closed',
}

/** The reason of a failed connection (`connection refused`), or its own message. */
export function connectReason(err: unknown): string | undefined {
  const e = err as { code?: string; message?: string; errors?: { code?: string }[] } | undefined
  const code = e?.code ?? e?.errors?.find((x) => x.code)?.code
  return (code && CONNECT_ERRORS[code]) || e?.message || undefined
}

/**
 * The database cannot be reached or refuses the login: network errors of the pg driver (fetch's are turned into
 * CliError where they happen), and PostgreSQL's own refusals of a connection (classes 08, 28, 3D).
 */
function databaseFailure(err: unknown): string | undefined {
  const e = err as {
    code?: string
    syscall?: string
    address?: string
    port?: number
    hostname?: string
    severity?: string
    errors?: { code?: string; address?: string; port?: number }[]
  }
  if (!e || typeof e !== 'object') return undefined
  const hint = '(check DATABASE_URL and MIGRATION_DATABASE_URL)'
  const first = e.errors?.[0]
  const syscall = e.syscall ?? (first as { syscall?: string } | undefined)?.syscall
  if ((syscall === 'connect' || syscall === 'getaddrinfo') && e.code && CONNECT_ERRORS[e.code]) {
    const host = e.hostname ?? e.address ?? first?.address
    const port = e.port ?? first?.port
    const where = host ? ` at ${host}${port ? `:${port}` : ''}` : ''
    return `cannot connect to the database${where}: ${CONNECT_ERRORS[e.code]} ${hint}`
  }
  if (e.severity && typeof e.code === 'string' && /^(08|28|3D)/.test(e.code))
    return `the database refused the connection: ${(err as Error).message} [${e.code}] ${hint}`
  return undefined
}

/** The text printed for a failed command, and whether the failure can only be a bug. */
export function describeFailure(err: unknown): { text: string; bug: boolean } {
  if (err instanceof ApiError) return { text: `numguard: ${describeApiError(err)}`, bug: false }
  if (err instanceof DomainError) return { text: `numguard: ${err.message} [${err.code}]`, bug: false }
  if (err instanceof CliError || err instanceof DataDirInUseError || err instanceof StartupRefusedError)
    return { text: `numguard: ${err.message}`, bug: false }
  // Commander reports its own parse errors and exits; one thrown from an argument parser run later lands here.
  if (err instanceof CommanderError) return { text: `numguard: ${err.message.replace(/^error: /, '')}`, bug: false }
  const database = databaseFailure(err)
  if (database) return { text: `numguard: ${database}`, bug: false }
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  const path = (err as NodeJS.ErrnoException | undefined)?.path
  if (code && path && FILE_ERRORS[code]) return { text: `numguard: ${path}: ${FILE_ERRORS[code]}`, bug: false }
  const trace = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err)
  return {
    text: `numguard: unexpected error — this is a bug in numguard; please report it with what follows:\n${trace}`,
    bug: true,
  }
}
