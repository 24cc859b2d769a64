// Cases and their service levels, as data (issue 11). A complaint that a number was taken, its SIM swapped or an
// unwanted transfer made places a protective hold at once; the other categories, and investigations, get one when
// a compliance officer places it. Each case has three deadlines, in hours from its opening, set per market
// (migration 042: 24 h to the hold by default, 48 h to the first response, 30 days to resolution).

export const CASE_CATEGORIES = [
  'number_taken',
  'unauthorised_sim_swap',
  'unwanted_transfer',
  'missed_warning',
  'other',
] as const
export type CaseCategory = (typeof CASE_CATEGORIES)[number]

/** Complaints of these categories freeze the number in the transaction that opens the case. */
export const HOLDING_CATEGORIES: readonly CaseCategory[] = [
  'number_taken',
  'unauthorised_sim_swap',
  'unwanted_transfer',
]

export const CASE_STATUSES = ['open', 'investigating', 'resolved', 'closed'] as const
export type CaseStatus = (typeof CASE_STATUSES)[number]

export const CASE_CONCLUSIONS = ['staff_misconduct', 'no_misconduct', 'unfounded', 'customer_error', 'other'] as const
export type CaseConclusion = (typeof CASE_CONCLUSIONS)[number]

/** A status only moves forward (a step may be skipped); the database refuses going back (042's case_rules). */
export function statusMovesForward(from: CaseStatus, to: CaseStatus): boolean {
  return CASE_STATUSES.indexOf(to) > CASE_STATUSES.indexOf(from)
}

export interface ServiceLevels {
  case_hold_hours: number
  case_first_response_hours: number
  case_resolution_hours: number
}

/** What migration 042 gives every market until the schema owner sets its own. */
export const DEFAULT_SERVICE_LEVELS: ServiceLevels = {
  case_hold_hours: 24,
  case_first_response_hours: 48,
  case_resolution_hours: 720,
}

export interface CaseDeadlines {
  hold_due_at: Date
  first_response_due_at: Date
  resolution_due_at: Date
}

const hours = (at: Date, h: number) => new Date(at.getTime() + h * 3_600_000)

export function caseDeadlines(openedAt: Date, levels: ServiceLevels): CaseDeadlines {
  return {
    hold_due_at: hours(openedAt, levels.case_hold_hours),
    first_response_due_at: hours(openedAt, levels.case_first_response_hours),
    resolution_due_at: hours(openedAt, levels.case_resolution_hours),
  }
}

/** `met`: done by the deadline; `breached`: done late, or not done and the deadline passed; `pending`: neither yet. */
export type SlaState = 'met' | 'breached' | 'pending' | 'not_required'

export interface SlaClock {
  due_at: Date
  done_at: Date | null
  state: SlaState
  /** Hours from the opening of the case to when it was done (null while not done). */
  hours_taken: number | null
}

function clock(openedAt: Date, due: Date, done: Date | null, now: Date, required = true): SlaClock {
  const hoursTaken = done ? Math.round(((done.getTime() - openedAt.getTime()) / 3_600_000) * 100) / 100 : null
  let state: SlaState
  if (done) state = done <= due ? 'met' : 'breached'
  else if (!required) state = 'not_required'
  else state = now > due ? 'breached' : 'pending'
  return { due_at: due, done_at: done, state, hours_taken: hoursTaken }
}

export interface CaseSlaInput extends CaseDeadlines {
  category: CaseCategory
  opened_at: Date
  first_response_at: Date | null
  resolved_at: Date | null
}

/**
 * The three clocks of a case. The hold clock runs for the holding categories (and for any case once a hold is
 * placed on it); a complaint of another kind that never needed a hold shows `not_required`.
 */
export function caseSla(c: CaseSlaInput, firstHoldAt: Date | null, now: Date) {
  return {
    hold: clock(c.opened_at, c.hold_due_at, firstHoldAt, now, HOLDING_CATEGORIES.includes(c.category)),
    first_response: clock(c.opened_at, c.first_response_due_at, c.first_response_at, now),
    resolution: clock(c.opened_at, c.resolution_due_at, c.resolved_at, now),
  }
}
export type CaseSla = ReturnType<typeof caseSla>
