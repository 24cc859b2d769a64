// Where every demo number ends up, as arithmetic on its position, so that each seeding statement can
// recompute the same layout set-based in SQL instead of looping over rows in JS.
import { type RawBuilder, sql } from 'kysely'
import { ValidationError } from '../domain/errors.ts'

export const STANDARD_FIRST = 85512000000n
export const GOLDEN_FIRST = 85577777000n
export const GOLDEN_SIZE = 100
export const DEFAULT_RANGE_SIZE = 10_000

/** How many numbers, subscribers and SIMs of each kind a standard range of `rangeSize` numbers gets. */
export interface DemoPlan {
  rangeSize: number
  /** Standard numbers held now (open custody), suspended ones included. */
  held: number
  suspended: number
  /** The last `heldWithHistory` held numbers also carry an earlier, ended custody of another subscriber. */
  heldWithHistory: number
  aging: number
  availableWithHistory: number
  retired: number
  reserved: number
  goldenHeld: number
  subscribers: number
  /** Subscribers who hold a number now; the rest are former holders only (aging or recycled numbers). */
  holderPool: number
  allocatedPerShop: number
  inStock: number
  /** Coprime with rangeSize: scatters the fates over the range instead of laying them out in blocks. */
  multiplier: number
}

export function makePlan(rangeSize = DEFAULT_RANGE_SIZE): DemoPlan {
  if (!Number.isInteger(rangeSize) || rangeSize < 1000 || rangeSize > 1_000_000) {
    throw new ValidationError('rangeSize', 'the demo range holds between 1,000 and 1,000,000 numbers')
  }
  const part = (share: number) => Math.round(rangeSize * share)
  const aging = part(0.02)
  const availableWithHistory = part(0.01)
  const subscribers = part(0.3)
  let multiplier = Math.round(rangeSize * 0.618)
  while (gcd(multiplier, rangeSize) !== 1) multiplier++
  return {
    rangeSize,
    held: part(0.3),
    // 1%: each suspended holder lapses during the demo, and their warnings and withdrawal are SMS the demo sends.
    suspended: part(0.01),
    heldWithHistory: part(0.03),
    aging,
    availableWithHistory,
    retired: part(0.005),
    reserved: part(0.01),
    goldenHeld: 20,
    subscribers,
    holderPool: subscribers - aging - availableWithHistory,
    allocatedPerShop: part(0.01),
    inStock: part(0.01),
    multiplier,
  }
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b)
}

/** SIM positions: bound ones first (standard, then golden), then those of ended custodies, allocated, in stock. */
export function simLayout(p: DemoPlan) {
  const bound = p.held + p.goldenHeld
  const deactivated = p.heldWithHistory + p.aging + p.availableWithHistory
  const allocated = 3 * p.allocatedPerShop
  return { bound, deactivated, allocated, inStock: p.inStock, total: bound + deactivated + allocated + p.inStock }
}

/**
 * A v4-shaped UUID derived from a per-seed salt and an index, so that statements can refer to the subscriber
 * at index i without a lookup table.
 */
export function indexedUuid(salt: string, index: RawBuilder<unknown>): RawBuilder<string> {
  const h = sql`md5(${salt}::text || ':' || ${index})`
  return sql<string>`(substr(${h}, 1, 12) || '4' || substr(${h}, 14, 3) || '8' || substr(${h}, 18, 15))::uuid`
}

/**
 * The plan as a derived table, one row per demo number:
 * - fate: active | suspended | aging | available_history | retired | reserved | available
 * - holder, sim, started_at: the custody that decides the state (open for active/suspended; closed for aging
 *   at ended_at);
 * - past_holder, past_sim, past_started_at, past_ended_at: an earlier custody loaded already ended;
 * - state_changed_at: when the number reached its fate.
 */
export function planTable(p: DemoPlan, now: string): RawBuilder<unknown> {
  const n = sql.lit(p.rangeSize)
  const held = sql.lit(p.held)
  const historyFrom = sql.lit(p.held - p.heldWithHistory)
  const agingEnd = sql.lit(p.held + p.aging)
  const historyEnd = sql.lit(p.held + p.aging + p.availableWithHistory)
  const retiredEnd = sql.lit(p.held + p.aging + p.availableWithHistory + p.retired)
  const reservedEnd = sql.lit(p.held + p.aging + p.availableWithHistory + p.retired + p.reserved)
  const pool = sql.lit(p.holderPool)
  const endedSimBase = sql.lit(p.held + p.goldenHeld - (p.held - p.heldWithHistory))
  const at = sql`${now}::timestamptz`
  const ago = (days: RawBuilder<unknown>) => sql`${at} - make_interval(days => ${days}, mins => jitter)`
  // Innermost first: positions -> fate -> parties and SIMs -> day offsets -> timestamps.
  return sql`(
    SELECT msisdn, category, slot, fate, holder, sim, past_holder, past_sim,
      ${ago(sql`start_days`)} AS started_at,
      CASE WHEN fate = 'aging' THEN ${ago(sql`end_days`)} END AS ended_at,
      ${ago(sql`past_start_days`)} AS past_started_at,
      ${ago(sql`past_end_days`)} AS past_ended_at,
      CASE fate
        WHEN 'active' THEN ${ago(sql`start_days`)}
        -- suspended on day 60 of the cycle at the earliest, within the last 30 days (withdrawal comes on day 90)
        WHEN 'suspended' THEN greatest(${ago(sql`start_days`)} + interval '60 days', ${at} - make_interval(days => slot % 30))
        WHEN 'aging' THEN ${ago(sql`end_days`)}
        WHEN 'available_history' THEN ${ago(sql`past_end_days`)} + interval '90 days'
        WHEN 'retired' THEN ${at} - make_interval(days => 30 + slot % 300)
        ELSE ${at}
      END AS state_changed_at
    FROM (SELECT *, past_end_days + 100 + (slot * 13) % 700 AS past_start_days
    FROM (SELECT *,
        -- an earlier holder's custody ended at least 91 days before the next one started (aging in between)
        CASE WHEN fate = 'available_history' THEN 150 + (slot * 11) % 400
             ELSE start_days + 91 + slot % 60 END AS past_end_days
    FROM (SELECT *,
        CASE WHEN fate = 'aging' THEN end_days + 120 + (slot * 13) % 700
             WHEN fate = 'suspended' THEN 61 + (slot * 37) % 840
             ELSE 1 + (slot * 37) % 900 END AS start_days
    FROM (SELECT *,
        1 + slot % 59 AS end_days,
        (slot * 17) % 1440 AS jitter,
        CASE WHEN category = 'golden' AND fate = 'active' THEN ((slot - ${n}) * 10) % ${pool}
             WHEN fate IN ('active', 'suspended') THEN slot % ${pool}
             WHEN fate = 'aging' THEN ${pool} + slot - ${held} END AS holder,
        CASE WHEN category = 'golden' AND fate = 'active' THEN ${held} + slot - ${n}
             WHEN fate IN ('active', 'suspended') THEN slot
             WHEN fate = 'aging' THEN ${endedSimBase} + slot END AS sim,
        CASE WHEN fate = 'available_history' THEN ${pool} + slot - ${held}
             WHEN category = 'standard' AND slot >= ${historyFrom} AND slot < ${held}
             THEN (slot + ${pool} / 3) % ${pool} END AS past_holder,
        CASE WHEN fate = 'available_history' OR (category = 'standard' AND slot >= ${historyFrom} AND slot < ${held})
             THEN ${endedSimBase} + slot END AS past_sim
    FROM (SELECT msisdn, category, slot,
        CASE WHEN category = 'golden' THEN CASE WHEN slot - ${n} < ${sql.lit(p.goldenHeld)} THEN 'active' ELSE 'available' END
             WHEN slot < ${sql.lit(p.suspended)} THEN 'suspended'
             WHEN slot < ${held} THEN 'active'
             WHEN slot < ${agingEnd} THEN 'aging'
             WHEN slot < ${historyEnd} THEN 'available_history'
             WHEN slot < ${retiredEnd} THEN 'retired'
             WHEN slot < ${reservedEnd} THEN 'reserved'
             ELSE 'available' END AS fate
    FROM (
      SELECT '+' || (${sql.lit(STANDARD_FIRST.toString())}::bigint + i) AS msisdn, 'standard' AS category,
        ((i * ${sql.lit(p.multiplier)}::bigint) % ${n})::int AS slot
      FROM generate_series(0, ${sql.lit(p.rangeSize - 1)}) AS i
      UNION ALL
      SELECT '+' || (${sql.lit(GOLDEN_FIRST.toString())}::bigint + g), 'golden', ${n} + g
      FROM generate_series(0, ${sql.lit(GOLDEN_SIZE - 1)}) AS g
    ) AS positions) AS fates) AS parties) AS starts) AS past_ends) AS spans
  ) AS plan`
}
