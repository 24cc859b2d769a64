// Internal analysis (issue 11, item 4): who touched some numbers, and how risky each looks, every figure with the
// audit leaves behind it. Reads only; counts come from the tables, leaves are those the log has integrated so far.
import type { Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import type { Clock } from '../domain/clock.ts'
import { ValidationError } from '../domain/errors.ts'
import { DEFAULT_MARKET, MARKETS, marketOfMsisdn } from '../domain/markets.ts'
import { localTime } from '../domain/zoned-time.ts'
import {
  actionLeaves,
  alertLeaves,
  pairs,
  refusalAlerts,
  requestLeaves,
  type Scope,
  staffActive,
  staffRows,
  staffTouching,
  swapsThenTransfers,
  volumeLeaves,
  volumes,
  type Window,
} from './queries.ts'
import { median, type RepeatedPair, riskScore, type Signal, type StaffSignals, volumeRatio } from './score.ts'
import { type AnalysisOptions, DEFAULT_ANALYSIS_DAYS, DEFAULT_OPTIONS, SHOP_HOURS } from './settings.ts'

export interface AnalysisWindowInput {
  since?: Date
  until?: Date
  /** Where `until` comes from when not given (the injected clock). */
  clock?: Clock
  days?: number
  options?: Partial<AnalysisOptions>
}

export interface AnalysedStaff {
  staff: {
    id: string
    username: string
    display_name: string
    roles: string[]
    shop_id: string | null
    status: string
  }
  score: number
  signals: StaffSignals
}

export interface NumbersAnalysis {
  msisdns: string[]
  since: Date
  until: Date
  /** Highest score first. */
  staff: AnalysedStaff[]
}

export interface StaffSignalsAnswer extends AnalysedStaff {
  since: Date
  until: Date
}

const DAY_MS = 86_400_000

export function resolveWindow(input: AnalysisWindowInput): Window {
  const until = input.until ?? input.clock?.now()
  if (!until) throw new ValidationError('until', 'give the end of the window or the clock it is read from')
  const since = input.since ?? new Date(until.getTime() - (input.days ?? DEFAULT_ANALYSIS_DAYS) * DAY_MS)
  if (since.getTime() >= until.getTime()) throw new ValidationError('since', 'the window must start before it ends')
  return { since, until }
}

/** The staff who touched these numbers in the window, with their signals and risk score, riskiest first. */
export async function analyseNumbers(
  db: Kysely<DB>,
  input: AnalysisWindowInput & { msisdns: readonly string[] },
): Promise<NumbersAnalysis> {
  const w = resolveWindow(input)
  const msisdns = [...new Set(input.msisdns)]
  const ids = await staffTouching(db, msisdns, w)
  const staff = await analyseStaff(db, ids, msisdns, w, { ...DEFAULT_OPTIONS, ...input.options })
  return { msisdns, ...w, staff }
}

/** One staff member's signals over every number in the window, or null if there is no such staff member. */
export async function staffSignals(
  db: Kysely<DB>,
  staffId: string,
  input: AnalysisWindowInput,
): Promise<StaffSignalsAnswer | null> {
  const w = resolveWindow(input)
  const [one] = await analyseStaff(db, [staffId], null, w, { ...DEFAULT_OPTIONS, ...input.options })
  return one ? { ...one, ...w } : null
}

/** Every staff member active in the window (any leaf or alert), with signals over all numbers, riskiest first. */
export async function analyseActiveStaff(db: Kysely<DB>, input: AnalysisWindowInput): Promise<StaffSignalsAnswer[]> {
  const w = resolveWindow(input)
  const ids = await staffActive(db, w)
  const staff = await analyseStaff(db, ids, null, w, { ...DEFAULT_OPTIONS, ...input.options })
  return staff.map((s) => ({ ...s, ...w }))
}

async function analyseStaff(
  db: Kysely<DB>,
  ids: readonly string[],
  scope: Scope,
  w: Window,
  options: AnalysisOptions,
): Promise<AnalysedStaff[]> {
  if (ids.length === 0) return []
  const people = await staffRows(db, ids)
  if (people.length === 0) return []
  const found = people.map((p) => p.id)
  const [refused, swaps, repeated, places, volume] = [
    await refusedAttempts(db, found, scope, w),
    await swapWithoutReply(db, scope, w, options.followDays),
    await repeatedPairs(db, w, options.pairMin),
    await placesAndHours(db, people, scope, w),
    await volumeAgainstPeers(db, people, w),
  ]
  const out = people.map((p) => {
    const signals: StaffSignals = {
      refused_attempts: refused.get(p.id) ?? empty(),
      swap_without_reply_then_transfer: swaps.get(p.id) ?? empty(),
      repeated_pairs: repeated.get(p.id) ?? { ...empty(), pairs: [] },
      off_hours: places.offHours.get(p.id) ?? empty(),
      away_from_shop: places.away.get(p.id) ?? empty(),
      volume: volume.get(p.id) ?? { ...empty(), role: null, peer_median: 0, ratio: 0 },
    }
    return { staff: p, score: riskScore(signals, options), signals }
  })
  return out.sort((a, b) => b.score - a.score || a.staff.username.localeCompare(b.staff.username))
}

const empty = (): Signal => ({ count: 0, leaves: [] })

function add(map: Map<string, Signal>, staffId: string, count: number, leaves: Iterable<number>) {
  const s = map.get(staffId) ?? empty()
  s.count += count
  s.leaves = [...new Set([...s.leaves, ...leaves])].sort((a, b) => a - b)
  map.set(staffId, s)
}

async function refusedAttempts(db: Kysely<DB>, ids: readonly string[], scope: Scope, w: Window) {
  const alerts = await refusalAlerts(db, ids, scope, w)
  const leaves = await alertLeaves(
    db,
    alerts.map((a) => a.id),
    w.since,
  )
  const out = new Map<string, Signal>()
  for (const a of alerts) {
    const own = leaves.filter((l) => l.alert_id === a.id).map((l) => Number(l.index))
    add(out, a.staff_id as string, a.repeats, own)
  }
  return out
}

async function swapWithoutReply(db: Kysely<DB>, scope: Scope, w: Window, followDays: number) {
  const found = await swapsThenTransfers(db, scope, w, followDays)
  const leaves = await requestLeaves(
    db,
    found.flatMap((f) => [f.swap_id, f.transfer_id]),
  )
  const out = new Map<string, Signal>()
  for (const f of found) {
    const behind = leaves.filter((l) => l.request_id === f.swap_id || l.request_id === f.transfer_id)
    const people = new Set([f.swap_requester, ...f.swap_approvers, f.transfer_requester, ...f.transfer_approvers])
    for (const id of people)
      add(
        out,
        id,
        1,
        behind.map((l) => Number(l.index)),
      )
  }
  return out
}

async function repeatedPairs(db: Kysely<DB>, w: Window, min: number) {
  const found = await pairs(db, w, min)
  const leaves = await requestLeaves(
    db,
    found.flatMap((p) => p.request_ids),
    ['request.created', 'request.approved'],
  )
  const out = new Map<string, Signal & { pairs: RepeatedPair[] }>()
  for (const p of found) {
    const pair = { requester_id: p.requester_id, approver_id: p.approver_id, requests: p.request_ids.length }
    const behind = leaves
      .filter(
        (l) =>
          p.request_ids.includes(l.request_id as string) &&
          (l.staff_id === p.requester_id || l.staff_id === p.approver_id),
      )
      .map((l) => Number(l.index))
    for (const id of new Set([p.requester_id, p.approver_id])) {
      const s = out.get(id) ?? { ...empty(), pairs: [] }
      s.count += pair.requests
      s.leaves = [...new Set([...s.leaves, ...behind])].sort((a, b) => a - b)
      s.pairs.push(pair)
      out.set(id, s)
    }
  }
  return out
}

function timeZoneOf(msisdn: string | null): string {
  return MARKETS[(msisdn && marketOfMsisdn(msisdn)) || DEFAULT_MARKET].timeZone
}

/**
 * Off-hours: a leaf's local minute outside SHOP_HOURS. Away: a leaf naming a shop (a filing's requester_shop, an ID
 * check's evidence) that is not the staff member's own — the shop their record names now, so a member moved by a role
 * grant shows their earlier shop's work as away until it leaves the window (the role grant's leaf explains it).
 */
async function placesAndHours(
  db: Kysely<DB>,
  people: readonly { id: string; shop_id: string | null }[],
  scope: Scope,
  w: Window,
) {
  const shops = new Map(people.map((p) => [p.id, p.shop_id]))
  const leaves = await actionLeaves(db, [...shops.keys()], scope, w)
  const offHours = new Map<string, Signal>()
  const away = new Map<string, Signal>()
  for (const l of leaves) {
    const staffId = l.staff_id as string
    const { minutes } = localTime(new Date(l.at), timeZoneOf(l.msisdn))
    if (minutes < SHOP_HOURS.openMinute || minutes >= SHOP_HOURS.closeMinute)
      add(offHours, staffId, 1, [Number(l.index)])
    if (l.shop !== null && l.shop !== shops.get(staffId)) add(away, staffId, 1, [Number(l.index)])
  }
  return { offHours, away }
}

/** The role a staff member is compared within: the first of theirs that files or approves number requests. */
function peerRole(roles: readonly string[]): string | null {
  return roles.find((r) => r === 'agent' || r === 'supervisor') ?? roles[0] ?? null
}

async function volumeAgainstPeers(db: Kysely<DB>, people: readonly { id: string; roles: string[] }[], w: Window) {
  const everyone = await volumes(db, w)
  const leaves = await volumeLeaves(
    db,
    people.map((p) => p.id),
    w,
  )
  const out = new Map<string, StaffSignals['volume']>()
  for (const p of people) {
    const role = peerRole(p.roles)
    const mine = everyone.find((e) => e.id === p.id)?.n ?? 0
    const peers = everyone.filter((e) => e.id !== p.id && role !== null && e.roles.includes(role)).map((e) => e.n)
    const peerMedian = median(peers)
    out.set(p.id, {
      count: mine,
      leaves: leaves.filter((l) => l.staff_id === p.id).map((l) => Number(l.index)),
      role,
      peer_median: peerMedian,
      ratio: volumeRatio(mine, peerMedian),
    })
  }
  return out
}
