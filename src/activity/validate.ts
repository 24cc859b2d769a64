// Per-row checks of an activity batch. One bad row is reported by its index and never refuses the batch, so this
// is plain code rather than a schema: the route's schema checks only the envelope.
import { isMsisdnLike, normaliseMsisdnPrefix } from '../domain/msisdn.ts'

export const MAX_BATCH_EVENTS = 10_000
export const ACTIVITY_KINDS = ['topup', 'payment', 'usage'] as const
export type ActivityKind = (typeof ACTIVITY_KINDS)[number]
/** Clocks disagree a little; an event up to this far ahead of ours is taken as now-ish, not as from the future. */
export const FUTURE_SKEW_MS = 5 * 60_000
export const SOURCE_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/
const MAX_EXTERNAL_ID = 200
const AMOUNT = /^\d{1,16}(\.\d{1,4})?$/
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):?(\d{2}))$/i

export type RowCode = 'invalid' | 'in_future' | 'unknown_number' | 'not_in_custody' | 'duplicate' | 'conflict'

/** A row that was not plainly accepted, as the response (and the batch's stored rejections) name it. */
export interface RowOutcome {
  index: number
  external_id: string | null
  code: RowCode
  message: string
  field?: string
}

export interface ActivityRow {
  index: number
  source: string
  externalId: string
  msisdn: string
  kind: ActivityKind
  /** Decimal text, as sent (PostgreSQL numeric keeps every digit). */
  amount: string | null
  currency: string | null
  /** As sent (microseconds survive); `occurredMs` is for comparisons here. */
  occurredAt: string
  occurredMs: number
}

class RowProblem extends Error {
  readonly field: string
  constructor(field: string, message: string) {
    super(message)
    this.field = field
  }
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/**
 * A strict ISO 8601 instant with a time zone, as epoch milliseconds: 2026-02-30 or 24:00 are refused, not rolled over.
 * Computed by hand rather than by Date.parse: it runs 10,000 times a batch.
 */
export function parseInstant(text: string): number | null {
  const m = ISO_INSTANT.exec(text)
  if (!m) return null
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  const hour = Number(m[4])
  const minute = Number(m[5])
  const second = m[6] ? Number(m[6]) : 0
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  if (year < 1970 || month < 1 || month > 12) return null
  const days = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]
  if (day < 1 || day > days || hour > 23 || minute > 59 || second > 59) return null
  const millis = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0
  let offset = 0
  if (m[9]) {
    const [oh, om] = [Number(m[10]), Number(m[11])]
    if (oh > 23 || om > 59) return null
    offset = (m[9] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, millis) - offset
}

/** `+85512345678`, `85512345678`, `012 345 678` (national, in the operator's country) or `0085512345678`. */
export function normaliseEventMsisdn(input: unknown, country: string): string {
  if (typeof input !== 'string' && typeof input !== 'number') throw new RowProblem('msisdn', 'msisdn is required')
  let text = String(input).replace(/[\s().-]/g, '')
  if (text.startsWith('00')) text = `+${text.slice(2)}`
  const e164 = normaliseMsisdnPrefix(text, country)
  if (!isMsisdnLike(e164) || e164.startsWith('+0')) {
    throw new RowProblem('msisdn', `msisdn ${String(input).slice(0, 40)} is not a phone number such as +85512345678`)
  }
  return e164
}

function text(value: unknown, field: string, max: number): string {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value)
  if (typeof value !== 'string' || value.trim() === '') throw new RowProblem(field, `${field} is required`)
  if (value.length > max) throw new RowProblem(field, `${field} is longer than ${max} characters`)
  // PostgreSQL text cannot hold NUL: refused here, for this row only, rather than failing the batch's statement.
  if (value.includes('\u0000')) throw new RowProblem(field, `${field} must not contain NUL characters`)
  return value
}

function amountOf(raw: Record<string, unknown>, kind: ActivityKind): string | null {
  const value = raw.amount
  if (value === undefined || value === null || value === '') {
    // A top-up or payment without an amount cannot be told from a reversal or a zero-value event.
    if (kind === 'usage') return null
    throw new RowProblem('amount', `amount is required for a ${kind}`)
  }
  const asText = typeof value === 'number' && Number.isFinite(value) ? String(value) : value
  if (typeof asText !== 'string' || !AMOUNT.test(asText.trim())) {
    throw new RowProblem('amount', 'amount must be a non-negative decimal with at most 4 decimals, such as "5.00"')
  }
  const amount = asText.trim()
  if (kind !== 'usage' && Number(amount) === 0) throw new RowProblem('amount', `amount of a ${kind} must be above 0`)
  return amount
}

function currencyOf(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null
  if (typeof value !== 'string' || !/^[A-Z]{3}$/.test(value)) {
    throw new RowProblem('currency', 'currency must be an ISO 4217 code such as USD or KHR')
  }
  return value
}

export interface ValidateOptions {
  now: Date
  country: string
  /** The envelope's `source`, used by rows that name none. */
  defaultSource?: string
}

function checkRow(raw: unknown, index: number, options: ValidateOptions): ActivityRow {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new RowProblem('event', 'an event must be an object')
  const r = raw as Record<string, unknown>
  const externalId = text(r.external_id, 'external_id', MAX_EXTERNAL_ID)
  const source = r.source === undefined || r.source === null ? options.defaultSource : r.source
  if (source === undefined) throw new RowProblem('source', 'source is required (in the event or the batch)')
  if (typeof source !== 'string' || !SOURCE_PATTERN.test(source)) {
    throw new RowProblem('source', 'source must be 1 to 64 letters, digits, dots, dashes, colons or underscores')
  }
  const kind = r.kind
  if (typeof kind !== 'string' || !(ACTIVITY_KINDS as readonly string[]).includes(kind)) {
    throw new RowProblem('kind', `kind must be one of: ${ACTIVITY_KINDS.join(', ')}`)
  }
  const msisdn = normaliseEventMsisdn(r.msisdn, options.country)
  const amount = amountOf(r, kind as ActivityKind)
  const currency = currencyOf(r.currency)
  const occurred = typeof r.occurred_at === 'string' ? parseInstant(r.occurred_at.trim()) : null
  if (occurred === null) {
    throw new RowProblem(
      'occurred_at',
      'occurred_at must be an ISO 8601 date-time with a time zone, such as 2026-03-02T10:00:00Z',
    )
  }
  return {
    index,
    source,
    externalId,
    msisdn,
    kind: kind as ActivityKind,
    amount,
    currency,
    occurredAt: (r.occurred_at as string).trim(),
    occurredMs: occurred,
  }
}

/** What makes two rows with one key the same event (a replay) rather than two claims for one key. */
function sameEvent(a: ActivityRow, b: ActivityRow): boolean {
  const amount = (x: string | null) => (x === null ? null : Number(x))
  return (
    a.msisdn === b.msisdn &&
    a.kind === b.kind &&
    amount(a.amount) === amount(b.amount) &&
    a.currency === b.currency &&
    a.occurredMs === b.occurredMs
  )
}

export function externalIdOf(raw: unknown): string | null {
  if (!raw || typeof raw !== 'object') return null
  const id = (raw as Record<string, unknown>).external_id
  if (typeof id === 'string') return id.slice(0, MAX_EXTERNAL_ID)
  return typeof id === 'number' ? String(id) : null
}

/**
 * Checks every row: rows that pass come back in (source, external_id) order — the order the database takes their
 * keys in, so two batches sharing keys never wait on each other in opposite orders — and the rest as outcomes.
 * A key repeated within the batch keeps its first row.
 */
export function validateEvents(
  events: readonly unknown[],
  options: ValidateOptions,
): { rows: ActivityRow[]; problems: RowOutcome[] } {
  const latest = options.now.getTime() + FUTURE_SKEW_MS
  const problems: RowOutcome[] = []
  const byKey = new Map<string, ActivityRow>()
  events.forEach((raw, index) => {
    let row: ActivityRow
    try {
      row = checkRow(raw, index, options)
    } catch (err) {
      if (!(err instanceof RowProblem)) throw err
      problems.push({ index, external_id: externalIdOf(raw), code: 'invalid', message: err.message, field: err.field })
      return
    }
    const outcome = { index, external_id: row.externalId }
    if (row.occurredMs > latest) {
      const message = `occurred_at ${row.occurredAt} is in the future (numguard time is ${options.now.toISOString()})`
      problems.push({ ...outcome, code: 'in_future', message, field: 'occurred_at' })
      return
    }
    const key = `${row.source}\u0000${row.externalId}`
    const first = byKey.get(key)
    if (!first) {
      byKey.set(key, row)
      return
    }
    if (sameEvent(first, row)) {
      problems.push({ ...outcome, code: 'duplicate', message: `repeats event ${first.index} of this batch` })
    } else {
      const message = `external_id ${row.externalId} of source ${row.source} is also event ${first.index} of this batch, with different content; the first one stands`
      problems.push({ ...outcome, code: 'conflict', message })
    }
  })
  const rows = [...byKey.values()].sort((a, b) =>
    a.source === b.source ? compare(a.externalId, b.externalId) : compare(a.source, b.source),
  )
  return { rows, problems }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
