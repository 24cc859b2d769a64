// Recycling policy: its parameters with docs/DOMAIN.md's defaults and floors, and the calendar-day arithmetic of an
// inactivity cycle in the operator's time zone. Pure: no I/O, only Intl for time zones.
import { ValidationError } from './errors.ts'
import { addDays, daysBetween, type LocalDate, localDate, localInstant } from './zoned-time.ts'

export { addDays, daysBetween, type LocalDate, localDate, localInstant } from './zoned-time.ts'

/** `YYYY-MM-DD`, a calendar day in the policy's time zone. */

export const ACTIVITY_KINDS = ['topup', 'payment', 'usage'] as const

/** One policy version's parameters, exactly as stored in `recycling_policies.params` (hence snake_case). */
export interface PolicyParams {
  qualifying_kinds: string[]
  /** Days of the cycle on which a warning SMS is queued, ascending; stage n is warning_days[n - 1]. */
  warning_days: number[]
  /** Day of the cycle on which outgoing calls are barred (active → suspended). */
  suspension_day: number
  withdrawal_day: number
  /** Usage within this many days before a withdrawal defers it for a person to decide. */
  usage_veto_days: number
  /** Withdrawals pause while a charging source has been silent for longer than this. */
  feed_silence_hours: number
  aging_days: number
  /** Aging of numbers held by organisations (US: up to 365 days). */
  business_aging_days: number
  send_window: { from: string; to: string }
  /** The last warning's last final receipt must be at least this many days before the withdrawal. */
  evidence_days_before_withdrawal: number
  time_zone: string
}

/** docs/DOMAIN.md's defaults: version 1 of migration 006. */
export const DEFAULT_POLICY: PolicyParams = Object.freeze({
  qualifying_kinds: ['topup', 'payment'],
  warning_days: [60, 75, 85],
  suspension_day: 60,
  withdrawal_day: 90,
  usage_veto_days: 30,
  feed_silence_hours: 6,
  aging_days: 90,
  business_aging_days: 90,
  send_window: { from: '08:00', to: '20:00' },
  evidence_days_before_withdrawal: 5,
  time_zone: 'Asia/Phnom_Penh',
})

/** What a market's policies can never go below (or, for the aging maxima, above). */
export interface PolicyFloors {
  warnings: number
  withdrawalDay: number
  evidenceDays: number
  /** Least aging, for residential and business numbers alike. */
  agingDays: number
  agingDaysMax: number
  businessAgingDaysMax: number
}

/**
 * Cambodia's floors, the default market (docs/DOMAIN.md's floor column). Every market's floors are in
 * src/domain/markets.ts and, as the database checks them, in the `markets` rows of migration 034.
 */
export const FLOORS: Readonly<PolicyFloors> = Object.freeze({
  warnings: 2,
  withdrawalDay: 90,
  evidenceDays: 5,
  agingDays: 45,
  agingDaysMax: 365,
  businessAgingDaysMax: 365,
})

/** A new version applies only to cycles that start at least this long after its approval. */
export const POLICY_NOTICE_DAYS = 30

const KEYS = Object.keys(DEFAULT_POLICY) as (keyof PolicyParams)[]

function integer(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(`params.${field}`, `${field} must be a whole number from ${min} to ${max}`, {
      min,
      max,
      got: value ?? null,
    })
  }
  return value
}

function clockTime(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^([01][0-9]|2[0-3]):[0-5][0-9]$/.test(value)) {
    throw new ValidationError(`params.${field}`, `${field} must be a time of day such as 08:00`)
  }
  return value
}

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name })
    return true
  } catch {
    return false
  }
}

/**
 * Validates a policy's parameters; keys left out keep `base`'s value (a proposal names only what it changes).
 * Refuses anything below the market's floors (Cambodia's by default), naming the field.
 */
export function parsePolicyParams(
  input: unknown,
  base: PolicyParams = DEFAULT_POLICY,
  floors: Readonly<PolicyFloors> = FLOORS,
): PolicyParams {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ValidationError('params', 'params must be an object of policy parameters')
  }
  const raw = input as Record<string, unknown>
  for (const key of Object.keys(raw)) {
    if (!KEYS.includes(key as keyof PolicyParams)) {
      throw new ValidationError(`params.${key}`, `${key} is not a policy parameter (known: ${KEYS.join(', ')})`)
    }
  }
  const v = { ...base, ...raw } as Record<string, unknown>

  const kinds = v.qualifying_kinds
  if (
    !Array.isArray(kinds) ||
    kinds.length === 0 ||
    kinds.some((k) => !ACTIVITY_KINDS.includes(k as never)) ||
    new Set(kinds).size !== kinds.length
  ) {
    throw new ValidationError(
      'params.qualifying_kinds',
      `qualifying_kinds must list one or more of ${ACTIVITY_KINDS.join(', ')}, each once`,
    )
  }
  const withdrawalDay = integer(v.withdrawal_day, 'withdrawal_day', floors.withdrawalDay, 3650)
  const evidenceDays = integer(
    v.evidence_days_before_withdrawal,
    'evidence_days_before_withdrawal',
    floors.evidenceDays,
    60,
  )
  const days = v.warning_days
  if (!Array.isArray(days) || days.length < floors.warnings || days.length > 10) {
    throw new ValidationError(
      'params.warning_days',
      `warning_days must list at least ${floors.warnings} warning days (and at most 10)`,
    )
  }
  const lastWarningDay = withdrawalDay - evidenceDays
  days.forEach((day, i) => {
    integer(day, `warning_days[${i}]`, 1, lastWarningDay)
    if (i > 0 && day <= days[i - 1]) {
      throw new ValidationError('params.warning_days', 'warning_days must be in ascending order, each day once')
    }
  })
  const suspensionDay = integer(v.suspension_day, 'suspension_day', days[0], withdrawalDay - 1)
  const window = v.send_window as { from?: unknown; to?: unknown } | null
  if (typeof window !== 'object' || window === null || Object.keys(window).some((k) => k !== 'from' && k !== 'to')) {
    throw new ValidationError('params.send_window', 'send_window must be { "from": "08:00", "to": "20:00" }')
  }
  const from = clockTime(window.from, 'send_window.from')
  const to = clockTime(window.to, 'send_window.to')
  if (from >= to)
    throw new ValidationError('params.send_window', 'send_window.from must be earlier than send_window.to')
  if (typeof v.time_zone !== 'string' || !isTimeZone(v.time_zone)) {
    throw new ValidationError('params.time_zone', 'time_zone must be an IANA time zone such as Asia/Phnom_Penh')
  }
  return {
    qualifying_kinds: [...(kinds as string[])],
    warning_days: [...(days as number[])],
    suspension_day: suspensionDay,
    withdrawal_day: withdrawalDay,
    usage_veto_days: integer(v.usage_veto_days, 'usage_veto_days', 1, withdrawalDay),
    feed_silence_hours: integer(v.feed_silence_hours, 'feed_silence_hours', 1, 168),
    aging_days: integer(v.aging_days, 'aging_days', floors.agingDays, floors.agingDaysMax),
    business_aging_days: integer(
      v.business_aging_days,
      'business_aging_days',
      floors.agingDays,
      floors.businessAgingDaysMax,
    ),
    send_window: { from, to },
    evidence_days_before_withdrawal: evidenceDays,
    time_zone: v.time_zone,
  }
}

// ── The inactivity cycle ──

export interface CycleDates {
  /** Day 0: the local day of the cycle's qualifying activity (or the custody's start). */
  startOn: LocalDate
  warnings: { stage: number; day: number; on: LocalDate }[]
  suspensionOn: LocalDate
  withdrawalOn: LocalDate
}

/** The calendar days on which each step of a cycle falls, counted in the policy's time zone. */
export function stepDates(cycleStartedAt: Date, policy: PolicyParams): CycleDates {
  const startOn = localDate(cycleStartedAt, policy.time_zone)
  return {
    startOn,
    warnings: policy.warning_days.map((day, i) => ({ stage: i + 1, day, on: addDays(startOn, day) })),
    suspensionOn: addDays(startOn, policy.suspension_day),
    withdrawalOn: addDays(startOn, policy.withdrawal_day),
  }
}

/** Which day of its cycle `at` is (day 0 is the day of the qualifying activity). */
export function cycleDay(cycleStartedAt: Date, at: Date, timeZone: string): number {
  return daysBetween(localDate(cycleStartedAt, timeZone), localDate(at, timeZone))
}

export interface CycleProgress {
  /** Warnings of this cycle already queued (stages 1..n). */
  warningsQueued: number
  /** The number's outgoing calls are already barred. */
  suspended: boolean
}

/** What a sweep must do for a cycle at `now`: the steps whose day has come, and when to look next. */
export interface CyclePlan {
  /** Warning stages due and not yet queued, in order. */
  warningStages: number[]
  suspend: boolean
  withdraw: boolean
  /** The start of the next step's day after the due ones; null when the withdrawal is due (it decides). */
  nextDueAt: Date | null
}

export function planCycle(cycleStartedAt: Date, policy: PolicyParams, progress: CycleProgress, now: Date): CyclePlan {
  const dates = stepDates(cycleStartedAt, policy)
  const at = (on: LocalDate) => localInstant(on, policy.time_zone)
  const due = (on: LocalDate) => at(on).getTime() <= now.getTime()
  const warningStages = dates.warnings.filter((w) => w.stage > progress.warningsQueued && due(w.on)).map((w) => w.stage)
  const suspend = !progress.suspended && due(dates.suspensionOn)
  const withdraw = due(dates.withdrawalOn)
  const upcoming = [
    ...dates.warnings.filter((w) => w.stage > progress.warningsQueued && !due(w.on)).map((w) => at(w.on)),
    ...(!progress.suspended && !due(dates.suspensionOn) ? [at(dates.suspensionOn)] : []),
    at(dates.withdrawalOn),
  ]
  const nextDueAt = withdraw ? null : new Date(Math.min(...upcoming.map((d) => d.getTime())))
  return { warningStages, suspend, withdraw, nextDueAt }
}

/** The day a withdrawn number may return to the pool, and the holder's last day to reclaim it is the day before. */
export function agingEndsOn(withdrawnAt: Date, policy: PolicyParams, business: boolean): LocalDate {
  return addDays(localDate(withdrawnAt, policy.time_zone), business ? policy.business_aging_days : policy.aging_days)
}
