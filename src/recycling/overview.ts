// The read side of recycling for people: where each number stands in its inactivity cycle, what comes next and
// when, and the whole inventory by stage (the console's Recycling page and the number page read these).
import { type Kysely, sql } from 'kysely'
import type { DB } from '../db/types.ts'
import {
  addDays,
  agingEndsOn,
  cycleDay,
  type LocalDate,
  localDate,
  type PolicyParams,
  parsePolicyParams,
  stepDates,
} from '../domain/policy.ts'

type Reader = Kysely<DB>

export const STAGE_GROUPS = ['counting', 'warned', 'suspended', 'waiting', 'aging'] as const
export type StageGroup = (typeof STAGE_GROUPS)[number]

/** Within this many days of its withdrawal day, a number counts as due soon. */
export const DUE_SOON_DAYS = 7

async function policies(db: Reader): Promise<Map<number, PolicyParams>> {
  const rows = await db.selectFrom('recycling_policies').select(['version', 'params']).execute()
  return new Map(rows.map((r) => [r.version, parsePolicyParams(r.params)]))
}

export interface CycleRow {
  custody_id: string
  msisdn: string
  state: string
  account_type: string
  party_kind: string
  cycle_started_at: Date
  cycle_no: number
  policy_version: number
  stage: string
  step: string
  waiting_reason: string | null
  withdrawn_at: Date | null
  next_due_at: Date | null
}

export interface NextStep {
  what: 'warning' | 'suspension' | 'withdrawal' | 'aging_ends' | 'none'
  stage?: number
  on: LocalDate | null
}

export interface CycleView {
  msisdn: string
  custody_id: string
  group: StageGroup | 'closed' | 'postpaid'
  stage: string
  step: string
  state: string
  cycle_no: number
  cycle_started_at: Date
  day_of_cycle: number | null
  policy_version: number
  waiting_reason: string | null
  withdrawn_at: Date | null
  /** The former holder's last day to reclaim (the day before aging ends). */
  reclaim_until: LocalDate | null
  /** Aging and still within the reclaim period today (operator time zone). */
  reclaimable: boolean
  next: NextStep
  steps: { what: string; stage?: number; on: LocalDate; past: boolean }[]
}

export function groupOf(r: Pick<CycleRow, 'stage' | 'step' | 'state' | 'account_type'>): CycleView['group'] {
  if (r.stage === 'aging') return 'aging'
  if (r.stage === 'closed') return 'closed'
  if (r.account_type !== 'prepaid') return 'postpaid'
  if (r.step === 'waiting') return 'waiting'
  if (r.state === 'suspended') return 'suspended'
  if (r.step.startsWith('warned_')) return 'warned'
  return 'counting'
}

export function viewCycle(r: CycleRow, policy: PolicyParams | undefined, now: Date): CycleView {
  const group = groupOf(r)
  const base = {
    msisdn: r.msisdn,
    custody_id: r.custody_id,
    group,
    stage: r.stage,
    step: r.step,
    state: r.state,
    cycle_no: r.cycle_no,
    cycle_started_at: r.cycle_started_at,
    policy_version: r.policy_version,
    waiting_reason: r.waiting_reason,
    withdrawn_at: r.withdrawn_at,
  }
  if (!policy || group === 'postpaid' || group === 'closed') {
    return {
      ...base,
      day_of_cycle: null,
      reclaim_until: null,
      reclaimable: false,
      next: { what: 'none', on: null },
      steps: [],
    }
  }
  const today = localDate(now, policy.time_zone)
  if (group === 'aging' && r.withdrawn_at) {
    const ends = agingEndsOn(new Date(r.withdrawn_at), policy, r.party_kind === 'organisation')
    return {
      ...base,
      day_of_cycle: null,
      reclaim_until: addDays(ends, -1),
      reclaimable: today < ends,
      next: { what: 'aging_ends', on: ends },
      steps: [{ what: 'aging_ends', on: ends, past: ends <= today }],
    }
  }
  const dates = stepDates(new Date(r.cycle_started_at), policy)
  const steps: { what: string; stage?: number; on: LocalDate; past: boolean }[] = [
    ...dates.warnings.map((w) => ({ what: 'warning', stage: w.stage, on: w.on, past: false })),
    { what: 'suspension', on: dates.suspensionOn, past: false },
    { what: 'withdrawal', on: dates.withdrawalOn, past: false },
  ]
    .sort((a, b) => a.on.localeCompare(b.on))
    .map((s) => ({ ...s, past: s.on <= today }))
  const upcoming = steps.find((s) => !s.past) ?? steps.at(-1)
  return {
    ...base,
    day_of_cycle: cycleDay(new Date(r.cycle_started_at), now, policy.time_zone),
    reclaim_until: null,
    reclaimable: false,
    next: upcoming
      ? {
          what: upcoming.what as NextStep['what'],
          ...(upcoming.stage ? { stage: upcoming.stage } : {}),
          on: upcoming.on,
        }
      : { what: 'none', on: null },
    steps,
  }
}

function withdrawalWithin(v: CycleView, now: Date): boolean {
  const withdrawal = v.steps.find((s) => s.what === 'withdrawal')
  return (
    withdrawal !== undefined &&
    new Date(`${withdrawal.on}T00:00:00Z`).getTime() - now.getTime() <= (DUE_SOON_DAYS + 1) * 86_400_000
  )
}

function cycleQuery(db: Reader) {
  return db
    .selectFrom('recycling_state as r')
    .innerJoin('numbers as n', 'n.msisdn', 'r.msisdn')
    .innerJoin('custodies as c', 'c.id', 'r.custody_id')
    .innerJoin('subscribers as s', 's.id', 'c.subscriber_id')
    .select([
      'r.custody_id',
      'r.msisdn',
      'n.state',
      'r.account_type',
      's.party_kind',
      'r.cycle_started_at',
      'r.cycle_no',
      'r.policy_version',
      'r.stage',
      'r.step',
      'r.waiting_reason',
      'r.withdrawn_at',
      'r.next_due_at',
    ])
}

/** Where a number's latest custody stands in recycling (null: never held). */
export async function numberCycle(db: Reader, msisdn: string, now: Date): Promise<CycleView | null> {
  const row = await cycleQuery(db)
    .where('r.msisdn', '=', msisdn)
    .orderBy('c.started_at', 'desc')
    .limit(1)
    .executeTakeFirst()
  if (!row) return null
  return viewCycle(row as CycleRow, (await policies(db)).get(row.policy_version), now)
}

export interface RecyclingOverview {
  counts: Record<StageGroup | 'due_soon', number>
  waiting_reasons: Record<string, number>
  /** Up to `limit` numbers of each group, the soonest next step first; null when the caller sees counts only. */
  lists: Record<StageGroup | 'due_soon', CycleView[]> | null
}

/**
 * The inventory by recycling stage, with the numbers whose next step comes first. `lists: false` gives the counts
 * only: which number is where in its cycle is its holder's account (invariant 10).
 */
export async function recyclingOverview(
  db: Reader,
  now: Date,
  options: { limit?: number; lists?: boolean } = {},
): Promise<RecyclingOverview> {
  const limit = options.limit ?? 12
  const { rows } = await sql<{ grp: StageGroup; reason: string | null; n: number; due_soon: number }>`
    SELECT CASE WHEN r.stage = 'aging' THEN 'aging'
                WHEN r.step = 'waiting' THEN 'waiting'
                WHEN n.state = 'suspended' THEN 'suspended'
                WHEN r.step LIKE 'warned%' THEN 'warned'
                ELSE 'counting' END AS grp,
           CASE WHEN r.step = 'waiting' THEN r.waiting_reason END AS reason,
           count(*)::int AS n,
           count(*) FILTER (WHERE r.stage = 'in_cycle' AND r.cycle_started_at
                              + make_interval(days => (p.params ->> 'withdrawal_day')::int - ${DUE_SOON_DAYS}) <= ${now})::int AS due_soon
      FROM recycling_state r
      JOIN numbers n ON n.msisdn = r.msisdn
      JOIN recycling_policies p ON p.version = r.policy_version
     WHERE r.stage IN ('in_cycle', 'aging') AND r.account_type = 'prepaid'
     GROUP BY 1, 2`.execute(db)
  const counts = { counting: 0, warned: 0, suspended: 0, waiting: 0, aging: 0, due_soon: 0 }
  const waitingReasons: Record<string, number> = {}
  for (const r of rows) {
    counts[r.grp] += r.n
    counts.due_soon += r.due_soon
    if (r.reason) for (const reason of r.reason.split(',')) waitingReasons[reason] = (waitingReasons[reason] ?? 0) + r.n
  }
  if (options.lists === false) return { counts, waiting_reasons: waitingReasons, lists: null }

  const byPolicy = await policies(db)
  const pick = async (
    where: (q: ReturnType<typeof cycleQuery>) => ReturnType<typeof cycleQuery>,
    order: 'asc' | 'desc' = 'asc',
  ) =>
    (
      await where(cycleQuery(db))
        .where('r.account_type', '=', 'prepaid')
        .orderBy('r.cycle_started_at', order)
        .limit(limit)
        .execute()
    ).map((r) => viewCycle(r as CycleRow, byPolicy.get(r.policy_version), now))
  const inCycle = (q: ReturnType<typeof cycleQuery>) => q.where('r.stage', '=', 'in_cycle')
  const aging = await cycleQuery(db).where('r.stage', '=', 'aging').orderBy('r.withdrawn_at').limit(limit).execute()
  return {
    counts,
    waiting_reasons: waitingReasons,
    lists: {
      // Oldest cycles first: they are the nearest to their next step.
      due_soon: (await pick((q) => inCycle(q).where('r.step', '<>', 'waiting'))).filter(
        (v) => v.next.what !== 'none' && withdrawalWithin(v, now),
      ),
      counting: await pick((q) => inCycle(q).where('n.state', '=', 'active').where('r.step', 'in', ['none'])),
      warned: await pick((q) => inCycle(q).where('n.state', '=', 'active').where('r.step', 'like', 'warned%')),
      suspended: await pick((q) => inCycle(q).where('n.state', '=', 'suspended').where('r.step', '<>', 'waiting')),
      waiting: await pick((q) => inCycle(q).where('r.step', '=', 'waiting')),
      aging: aging.map((r) => viewCycle(r as CycleRow, byPolicy.get(r.policy_version), now)),
    },
  }
}
