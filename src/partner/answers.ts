// The answers the CAMARA APIs give, from the facts numguard holds. Pure: the queries fetch, these decide.
import { addDays, type LocalDate, localDate, localInstant } from '../domain/zoned-time.ts'
import { CamaraError } from './errors.ts'

/** One custody of the number that was open at some moment since the date asked about. */
export interface CustodySpan {
  subscriber_id: string
  basis: string
  started_at: Date
  ended_at: Date | null
}

/** The subscriber gets the number back after a gap on these bases: not a change of hands (issue 12). */
const SAME_HOLDER_RETURNS = new Set(['reclaim', 'reinstatement'])

/**
 * Number Recycling: true when the holder at `at` is not today's, or when the number had no holder at some moment
 * since (a gap closed by a reclaim or reinstatement by the same subscriber excepted). `spans` are ordered by start
 * and are every custody that ended after `at` or is open.
 */
export function phoneNumberRecycled(spans: readonly CustodySpan[], at: Date): boolean {
  const first = spans[0]
  if (!first || first.started_at > at) return true // nobody held it on the date asked about
  let previous = first
  for (const next of spans.slice(1)) {
    if (next.subscriber_id !== first.subscriber_id) return true
    const gap = previous.ended_at !== null && next.started_at > previous.ended_at
    if (gap && !SAME_HOLDER_RETURNS.has(next.basis)) return true
    previous = next
  }
  return previous.ended_at !== null // no holder today
}

/**
 * The instant a `specifiedDate` stands for: the end of that calendar day in the operator's time zone (a contract
 * signed that day counts as held on it), or now when the day is today. Outside [records begin, today]: OUT_OF_RANGE.
 */
export function specifiedInstant(date: LocalDate, now: Date, recordsBegin: Date | null, timeZone: string): Date {
  const today = localDate(now, timeZone)
  if (date > today)
    throw new CamaraError(400, 'OUT_OF_RANGE', `specifiedDate ${date} is in the future (today is ${today})`)
  const begins = recordsBegin ? localDate(recordsBegin, timeZone) : today
  if (date < begins)
    throw new CamaraError(
      400,
      'OUT_OF_RANGE',
      `specifiedDate ${date} is before our records for this number begin (${begins})`,
    )
  const endOfDay = new Date(localInstant(addDays(date, 1), timeZone).getTime() - 1)
  return endOfDay < now ? endOfDay : now
}

const HOUR_MS = 3_600_000

/** SIM Swap retrieve-date: the latest binding start, or null with the monitored period past the privacy window. */
export function simSwapDate(latest: Date | null, now: Date, windowDays: number) {
  if (latest === null) return { latestSimChange: null }
  if (latest.getTime() < now.getTime() - windowDays * 24 * HOUR_MS)
    return { latestSimChange: null, monitoredPeriod: windowDays }
  return { latestSimChange: latest.toISOString() }
}

export const DEFAULT_MAX_AGE_HOURS = 240

/** SIM Swap check: did the binding change within `maxAge` hours? A maxAge past the privacy window is refused. */
export function simSwapped(latest: Date | null, now: Date, maxAgeHours: number, windowDays: number) {
  if (maxAgeHours > windowDays * 24)
    throw new CamaraError(
      400,
      'OUT_OF_RANGE',
      `maxAge ${maxAgeHours} hours is beyond the monitored period of ${windowDays} days (${windowDays * 24} hours)`,
    )
  return { swapped: latest !== null && latest.getTime() > now.getTime() - maxAgeHours * HOUR_MS }
}
