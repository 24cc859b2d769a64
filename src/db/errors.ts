import { ConflictError, DomainError, NotFoundError, ValidationError } from '../domain/errors.ts'

/** Exclusion constraints that hold invariant 1: reaching them means the commands' own checks were bypassed. */
const CUSTODY_CONSTRAINTS = new Set(['custodies_do_not_overlap', 'one_sim_per_number', 'one_number_per_sim'])

/** When the database itself, the last guard, refuses a change, the attempt leaves a risk alert (invariant 8). */
function guardRefusal(code: string, message: string, details: Record<string, unknown>): ConflictError {
  return new ConflictError(code, message, details).withAlert({
    kind: 'database_guard_refused',
    severity: 'risk',
    attempt: { error: code, ...details },
  })
}

/** How long a client should wait before trying again while the database is away (the Retry-After header). */
export const DATABASE_RETRY_AFTER_SECONDS = 5

/**
 * The database cannot be reached or dropped the connection: nothing of the command was applied (it was one
 * transaction), and the same request can be sent again once the database is back (HTTP 503 with Retry-After).
 */
export class DatabaseUnavailableError extends DomainError {
  readonly retryAfterSeconds = DATABASE_RETRY_AFTER_SECONDS
  constructor(details: Record<string, unknown> = {}) {
    super(
      'database_unavailable',
      503,
      'The database is unavailable; nothing was changed. Try again in a few seconds',
      details,
    )
  }
}

/** Node's socket errors when a connection cannot be opened or is cut. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
])

/**
 * SQLSTATEs of a server that is going away or not taking connections: admin_shutdown, crash_shutdown,
 * cannot_connect_now (57P01-57P03), too_many_connections (53300); class 08 is connection_exception.
 */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300'])

/**
 * What pg and pg-pool throw with no code at all when a socket dies or no connection comes in time. They are matched
 * by message because the driver gives them nothing else; these strings are pg's own, not numguard's.
 */
const DRIVER_MESSAGES = [
  /^Connection terminated/, // unexpectedly, or due to connection timeout
  /^Client has encountered a connection error and is not queryable/,
  /^timeout exceeded when trying to connect/, // pg-pool's connectionTimeoutMillis
  /^Client was closed and is not queryable/,
]

/** True when `err` says the database is away (not that it refused this change): see DatabaseUnavailableError. */
export function isConnectionFailure(err: unknown): boolean {
  if (err instanceof DatabaseUnavailableError) return true
  if (typeof err !== 'object' || err === null || err instanceof DomainError) return false
  const e = err as { code?: unknown; message?: unknown; errors?: unknown }
  const code = typeof e.code === 'string' ? e.code : undefined
  if (code && (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true
  // Connecting to a name with several addresses (localhost: ::1 and 127.0.0.1) fails with an AggregateError.
  if (Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every(isConnectionFailure)) return true
  return typeof e.message === 'string' && code === undefined && DRIVER_MESSAGES.some((m) => m.test(e.message as string))
}

/** Turns what the database refused into the error a client sees; anything unknown passes through (and is a 500). */
export function translateDbError(err: unknown): unknown {
  if (err instanceof DomainError || typeof err !== 'object' || err === null) return err
  if (isConnectionFailure(err)) {
    const sqlstate = (err as { code?: unknown }).code
    const unavailable = new DatabaseUnavailableError(typeof sqlstate === 'string' ? { reason: sqlstate } : {})
    unavailable.cause = err // for the log, never for the client
    return unavailable
  }
  const { code, constraint, message } = err as { code?: string; constraint?: string; message?: string }
  switch (code) {
    case '23P01': // exclusion_violation: overlapping custody, binding or range
      if (constraint && CUSTODY_CONSTRAINTS.has(constraint)) {
        return guardRefusal('invariant_violation', 'The database refused a second holder for this number or SIM', {
          constraint,
        })
      }
      return new ConflictError('conflict', 'This conflicts with a record that already exists', {
        constraint: constraint ?? null,
      })
    case '23505': // unique_violation
      return new ConflictError('conflict', 'This conflicts with a record that already exists', {
        constraint: constraint ?? null,
      })
    case '23503':
      return new NotFoundError('referenced record', constraint ?? 'unknown')
    case 'NG001':
      return guardRefusal('audit_record_required', message ?? 'an audit record is required', { sqlstate: code })
    case 'NG003':
    case 'NG004':
    case 'NG005':
    case 'NG006':
    case 'NG007':
    case 'NG008':
    case 'NG009': // recycling policy version without its approved policy_change request (008)
    case 'NG034': // a policy outside its market's floors, a range whose numbers are not its market's (034)
    case 'NG031': // the recycling chain: inactivity end without its withdrawal decision, aging left too early (031)
    case 'NG040': // a transfer, termination or KYC change within the swap-cooling window after a SIM swap (040)
    case 'NG037': // staff roles, shop or credentials changed without their executed request; cooling approvers (037)
    case 'NG038': // request integrity: payload hash, MO consent evidence, personal data past retention (038)
    case 'NG042': {
      // A change of a held number (042's hold guards): the same answer the application's own check gives.
      const held = /^number (\S+) is on hold \(case ([^)]+)\)/.exec(message ?? '')
      if (held)
        return new ConflictError('number_on_hold', message as string, {
          sqlstate: code,
          msisdn: held[1],
          case_reference: held[2],
        }).withAlert({
          kind: 'held_number_change_refused',
          severity: 'risk',
          msisdn: held[1],
          attempt: { error: 'number_on_hold', sqlstate: code, case_reference: held[2] },
        })
      // A restoration off its case, a hold released off its request, a case's fixed fields (042).
      return guardRefusal('invariant_violation', message ?? 'the database refused this change', {
        sqlstate: code,
        reason: message ?? null,
      })
    }
    case 'NGR01': // the disconnection register: rows only cancelled once, reported once; files written once (010)
      return guardRefusal('invariant_violation', message ?? 'the database refused this change', {
        sqlstate: code,
        reason: message ?? null,
      })
    case '22P02': // invalid_text_representation
    case '22001': // string_data_right_truncation
    case '22003': // numeric_value_out_of_range
    case '22007':
    case '22008':
    case '22021':
      return new ValidationError('input', 'A value has the wrong form or size', { sqlstate: code })
    case '40001':
    case '40P01':
      return new ConflictError('concurrent_change', 'Another change to the same records won; try again')
    default:
      return err
  }
}
