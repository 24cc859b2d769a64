import { describe, expect, it } from 'vitest'
import { ValidationError } from './errors.ts'
import {
  addDays,
  agingEndsOn,
  cycleDay,
  DEFAULT_POLICY,
  daysBetween,
  localDate,
  localInstant,
  parsePolicyParams,
  planCycle,
  stepDates,
} from './policy.ts'

function refusal(params: Record<string, unknown>): ValidationError {
  try {
    parsePolicyParams(params)
  } catch (err) {
    if (err instanceof ValidationError) return err
    throw err
  }
  throw new Error(`expected ${JSON.stringify(params)} to be refused`)
}

describe('parsePolicyParams', () => {
  it('gives docs/DOMAIN.md defaults for an empty proposal', () => {
    expect(parsePolicyParams({})).toEqual(DEFAULT_POLICY)
  })

  it('keeps the base for what a proposal leaves out', () => {
    const longer = parsePolicyParams({ withdrawal_day: 120, warning_days: [60, 90, 110] })
    expect(longer.withdrawal_day).toBe(120)
    expect(longer.aging_days).toBe(90)
    expect(parsePolicyParams({ aging_days: 180 }, longer)).toMatchObject({ withdrawal_day: 120, aging_days: 180 })
  })

  it.each([
    [{ warning_days: [85] }, 'params.warning_days'],
    [{ warning_days: [] }, 'params.warning_days'],
    [{ withdrawal_day: 89 }, 'params.withdrawal_day'],
    [{ aging_days: 44 }, 'params.aging_days'],
    [{ aging_days: 366 }, 'params.aging_days'],
    [{ business_aging_days: 400 }, 'params.business_aging_days'],
    [{ evidence_days_before_withdrawal: 4 }, 'params.evidence_days_before_withdrawal'],
    // The last warning's receipt could not be 5 days old on day 90.
    [{ warning_days: [60, 86] }, 'params.warning_days[1]'],
    [{ warning_days: [75, 60] }, 'params.warning_days'],
    [{ warning_days: [60, 60] }, 'params.warning_days'],
    [{ suspension_day: 30 }, 'params.suspension_day'],
    [{ qualifying_kinds: [] }, 'params.qualifying_kinds'],
    [{ qualifying_kinds: ['gift'] }, 'params.qualifying_kinds'],
    [{ time_zone: 'Mars/Olympus' }, 'params.time_zone'],
    [{ send_window: { from: '20:00', to: '08:00' } }, 'params.send_window'],
    [{ send_window: { from: '8am', to: '20:00' } }, 'params.send_window.from'],
    [{ withdrawal_days: 120 }, 'params.withdrawal_days'],
    [{ aging_days: 60.5 }, 'params.aging_days'],
  ])('refuses %j, naming %s', (params, field) => {
    const err = refusal(params)
    expect(err.code).toBe('invalid_input')
    expect(err.details.field).toBe(field)
  })

  it('accepts the floors themselves', () => {
    const p = parsePolicyParams({
      warning_days: [70, 85],
      suspension_day: 70,
      withdrawal_day: 90,
      aging_days: 45,
      business_aging_days: 365,
      evidence_days_before_withdrawal: 5,
    })
    expect(p.warning_days).toEqual([70, 85])
    expect(p.aging_days).toBe(45)
  })
})

describe('calendar days in the operator time zone', () => {
  it('reads the local day (Phnom Penh is UTC+7)', () => {
    expect(localDate(new Date('2026-03-02T16:59:59Z'), 'Asia/Phnom_Penh')).toBe('2026-03-02')
    expect(localDate(new Date('2026-03-02T17:00:00Z'), 'Asia/Phnom_Penh')).toBe('2026-03-03')
  })

  it('finds the instant a local day starts, across a DST change', () => {
    expect(localInstant('2026-03-03', 'Asia/Phnom_Penh').toISOString()).toBe('2026-03-02T17:00:00.000Z')
    expect(localInstant('2026-03-03', 'Asia/Phnom_Penh', '08:00').toISOString()).toBe('2026-03-03T01:00:00.000Z')
    expect(localInstant('2026-03-08', 'America/New_York').toISOString()).toBe('2026-03-08T05:00:00.000Z')
    expect(localInstant('2026-03-09', 'America/New_York').toISOString()).toBe('2026-03-09T04:00:00.000Z')
  })

  it('adds and counts calendar days across months and leap years', () => {
    expect(addDays('2026-03-02', 60)).toBe('2026-05-01')
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29')
    expect(daysBetween('2026-03-02', '2026-05-31')).toBe(90)
    expect(daysBetween('2026-05-31', '2026-03-02')).toBe(-90)
  })
})

describe('stepDates', () => {
  it('puts each step on its calendar day of the cycle', () => {
    const d = stepDates(new Date('2026-03-02T03:00:00Z'), DEFAULT_POLICY)
    expect(d.startOn).toBe('2026-03-02')
    expect(d.warnings).toEqual([
      { stage: 1, day: 60, on: '2026-05-01' },
      { stage: 2, day: 75, on: '2026-05-16' },
      { stage: 3, day: 85, on: '2026-05-26' },
    ])
    expect(d.suspensionOn).toBe('2026-05-01')
    expect(d.withdrawalOn).toBe('2026-05-31')
  })

  it('counts from the local day: a top-up at 03:00 Phnom Penh is the next UTC day', () => {
    const start = new Date('2026-03-02T20:00:00Z')
    expect(stepDates(start, DEFAULT_POLICY).startOn).toBe('2026-03-03')
    expect(cycleDay(start, new Date('2026-03-03T16:59:00Z'), 'Asia/Phnom_Penh')).toBe(0)
    expect(cycleDay(start, new Date('2026-03-03T17:00:00Z'), 'Asia/Phnom_Penh')).toBe(1)
  })

  it('ages business numbers by their own period', () => {
    const policy = parsePolicyParams({ business_aging_days: 365 })
    expect(agingEndsOn(new Date('2026-05-30T18:00:00Z'), policy, false)).toBe('2026-08-29')
    expect(agingEndsOn(new Date('2026-05-30T18:00:00Z'), policy, true)).toBe('2027-05-31')
  })
})

describe('planCycle', () => {
  const start = new Date('2026-03-02T03:00:00Z') // day 0 = 2026-03-02 Phnom Penh
  const dayStart = (on: string) => localInstant(on, 'Asia/Phnom_Penh')
  const fresh = { warningsQueued: 0, suspended: false }

  it('has nothing due before day 60 and looks next at the start of day 60', () => {
    const plan = planCycle(start, DEFAULT_POLICY, fresh, new Date('2026-04-30T16:59:59Z'))
    expect(plan).toEqual({ warningStages: [], suspend: false, withdraw: false, nextDueAt: dayStart('2026-05-01') })
  })

  it('warns and suspends on day 60, then looks next on day 75', () => {
    const plan = planCycle(start, DEFAULT_POLICY, fresh, dayStart('2026-05-01'))
    expect(plan.warningStages).toEqual([1])
    expect(plan.suspend).toBe(true)
    expect(plan.nextDueAt).toEqual(dayStart('2026-05-16'))
  })

  it('catches up every warning whose day has passed, and leaves done steps alone', () => {
    const late = planCycle(start, DEFAULT_POLICY, fresh, dayStart('2026-05-27'))
    expect(late.warningStages).toEqual([1, 2, 3])
    const done = planCycle(start, DEFAULT_POLICY, { warningsQueued: 2, suspended: true }, dayStart('2026-05-27'))
    expect(done).toEqual({ warningStages: [3], suspend: false, withdraw: false, nextDueAt: dayStart('2026-05-31') })
  })

  it('makes the withdrawal due at the start of day 90', () => {
    const progress = { warningsQueued: 3, suspended: true }
    expect(planCycle(start, DEFAULT_POLICY, progress, new Date(dayStart('2026-05-31').getTime() - 1)).withdraw).toBe(
      false,
    )
    expect(planCycle(start, DEFAULT_POLICY, progress, dayStart('2026-05-31'))).toMatchObject({
      withdraw: true,
      nextDueAt: null,
    })
  })
})
