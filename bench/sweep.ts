// A recycling sweep with 10,000 custodies due (day 60: a warning SMS queued, the number barred, a provisioning event,
// their audit records), on an inventory of 100,000 numbers in custody and then of 1,000,000. The sweep claims due
// rows through the partial index on next_due_at, so its time should follow the work due, not the inventory:
// ratio = t(1M) / t(100k), target ≤ 1.5. Inventories are built set-based as the schema owner (triggers off).
import { sql } from 'kysely'
import pino from 'pino'
import type { App } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { ManualClock } from '../src/domain/clock.ts'
import { sweepDueNumbers } from '../src/recycling/sweep.ts'
import { type BenchDatabase, openBenchDatabase } from './lib/database.ts'
import { type BenchContext, type BenchResult, machineLoad, perSecond, secondsSince } from './lib/result.ts'

export const description = 'a sweep of 10,000 due custodies on inventories of 100,000 and 1,000,000 numbers'

/** Sizes of the run; `--quick` divides them by 10 (a smoke run, not the figure to report). */
const FULL = { due: 10_000, warmUp: 1_000, small: 100_000, large: 1_000_000 }
let DUE = FULL.due
let WARM_UP = FULL.warmUp
let SMALL = FULL.small
let LARGE = FULL.large
const BASE = 85560000000
const RATIO_TARGET = 1.5

export async function run({ args, log }: BenchContext): Promise<BenchResult> {
  const scale = args.includes('--quick') ? 10 : 1
  ;[DUE, WARM_UP, SMALL, LARGE] = [FULL.due, FULL.warmUp, FULL.small, FULL.large].map((n) => n / scale)
  const bench = await openBenchDatabase('sweep')
  try {
    log(`database: ${bench.label}`)
    log(machineLoad())
    const now = new Date()
    await bench.asOwner(subscribersSql())

    await timed(log, `build inventory 0 … ${SMALL.toLocaleString('en')}`, () => addInventory(bench, 0, SMALL, now))
    // Warm-up (not timed): the first sweep of a process pays for JIT, prepared plans and the connection pool.
    await markDue(bench, now, `v < ${SMALL} AND v % 10 = 5`, WARM_UP)
    await timed(log, `warm-up sweep of ${WARM_UP.toLocaleString('en')} due`, () => sweep(bench, now, WARM_UP))
    await markDue(bench, now, `v < ${SMALL} AND v % 10 = 3`)
    const small = await timeSweep(bench, now, SMALL, log)

    await timed(log, `grow inventory to ${LARGE.toLocaleString('en')}`, () => addInventory(bench, SMALL, LARGE, now))
    await markDue(bench, now, `v % 100 = 7`)
    await explainClaim(bench, now, log)
    const large = await timeSweep(bench, now, LARGE, log)

    const ratio = large / small
    log(
      `sweep time ratio ${LARGE.toLocaleString('en')} / ${SMALL.toLocaleString('en')}: ${ratio.toFixed(2)} (cost follows the work due when close to 1)`,
    )
    return {
      figure: { value: large, unit: 's' },
      baseline: { value: small, unit: 's' },
      ratio,
      targets: [{ name: 'ratio', met: ratio <= RATIO_TARGET, detail: `${ratio.toFixed(2)} (want ≤ ${RATIO_TARGET})` }],
    }
  } finally {
    await bench.close()
  }
}

async function timed<T>(log: (line?: string) => void, what: string, f: () => Promise<T>): Promise<T> {
  const start = performance.now()
  const out = await f()
  log(`${what}: ${secondsSince(start).toFixed(1)} s`)
  return out
}

function subscribersSql(): string {
  return `
    INSERT INTO subscribers (id, party_kind, account_type, name, kyc_doc_kind, kyc_doc_hash, kyc_doc_last4, language, created_at)
    SELECT ('00000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, 'person', 'prepaid', 'Bench ' || i,
           'national_id', md5(i::text), lpad((i % 10000)::text, 4, '0'), CASE WHEN i % 2 = 0 THEN 'km' ELSE 'en' END,
           now() - interval '400 days'
      FROM generate_series(0, 999) AS i`
}

/**
 * Numbers [from, to) of the bench range, each active in a custody whose cycle started 1–59 days ago and whose next
 * step is due later (as a swept inventory looks), with its recycling_state row. Triggers are off while loading.
 */
async function addInventory(bench: BenchDatabase, from: number, to: number, now: Date): Promise<void> {
  const at = now.toISOString()
  await bench.asOwner(`
    SET session_replication_role = replica;
    INSERT INTO number_ranges (id, first_msisdn, last_msisdn, first_value, last_value, size, category, market, input_sha256, imported_at)
    VALUES (gen_random_uuid(), '+${BASE + from}', '+${BASE + to - 1}', ${BASE + from}, ${BASE + to - 1}, ${to - from},
            'standard', 'KH', repeat('0', 64), '${at}'::timestamptz - interval '400 days');
    INSERT INTO numbers (msisdn, range_id, category, state, state_changed_at)
    SELECT '+' || (${BASE} + v), (SELECT id FROM number_ranges WHERE first_value = ${BASE + from}), 'standard', 'active',
           '${at}'::timestamptz - interval '300 days'
      FROM generate_series(${from}, ${to - 1}) AS v;
    INSERT INTO custodies (id, msisdn, subscriber_id, basis, started_at)
    SELECT ('00000000-0000-4000-9000-' || lpad(v::text, 12, '0'))::uuid, '+' || (${BASE} + v),
           ('00000000-0000-4000-8000-' || lpad((v % 1000)::text, 12, '0'))::uuid, 'sale',
           '${at}'::timestamptz - interval '300 days'
      FROM generate_series(${from}, ${to - 1}) AS v;
    INSERT INTO recycling_state (custody_id, msisdn, account_type, cycle_started_at, cycle_no, policy_version, stage,
                                 step, next_due_at, updated_at, seen_cycle_no)
    SELECT ('00000000-0000-4000-9000-' || lpad(v::text, 12, '0'))::uuid, '+' || (${BASE} + v), 'prepaid',
           '${at}'::timestamptz - make_interval(days => 1 + v % 59), 1, 1, 'in_cycle', 'none',
           '${at}'::timestamptz + make_interval(days => 60 - 1 - v % 59), '${at}'::timestamptz - interval '1 day', 1
      FROM generate_series(${from}, ${to - 1}) AS v;
    SET session_replication_role = DEFAULT`)
  await bench.asOwner('VACUUM ANALYZE numbers, custodies, recycling_state')
}

/** Puts 10,000 custodies on day 61 of their cycle, due a minute ago: each needs its day-60 warning and suspension. */
async function markDue(bench: BenchDatabase, now: Date, where: string, limit = DUE): Promise<void> {
  const at = now.toISOString()
  await bench.asOwner(`
    UPDATE recycling_state SET cycle_started_at = '${at}'::timestamptz - interval '61 days',
                               next_due_at = '${at}'::timestamptz - interval '1 minute'
     WHERE custody_id IN (
       SELECT ('00000000-0000-4000-9000-' || lpad(v::text, 12, '0'))::uuid FROM generate_series(0, ${LARGE - 1}) AS v
        WHERE ${where} LIMIT ${limit});
    ANALYZE recycling_state`)
  if (bench.database.kind === 'postgres') await bench.asOwner('CHECKPOINT')
}

async function timeSweep(bench: BenchDatabase, now: Date, inventory: number, log: (line?: string) => void) {
  const start = performance.now()
  await sweep(bench, now, DUE)
  const seconds = secondsSince(start)
  log(
    `sweep on ${inventory.toLocaleString('en')} numbers: ${DUE.toLocaleString('en')} due handled in ${seconds.toFixed(2)} s ` +
      `(${perSecond(DUE, seconds)}; each: warning queued, number barred, provisioning event, audit records)`,
  )
  return seconds
}

/** One worker's sweep (default batch and concurrency) at `now`, checked: every due custody warned and barred. */
async function sweep(bench: BenchDatabase, now: Date, due: number): Promise<void> {
  const clock = new ManualClock(now)
  const app = {
    config: loadConfig({}),
    database: bench.database,
    db: bench.database.db,
    clock,
    deps: { db: bench.database.db, clock },
    logger: pino({ level: 'warn' }),
  } as App
  const result = await sweepDueNumbers(app)
  const suspended = result.outcomes.suspended ?? 0
  if (suspended !== due || result.failed > 0) {
    throw new Error(`the sweep suspended ${suspended} of ${due} due custodies (${result.failed} failed)`)
  }
}

/** The claim's plan: a walk of the partial index on next_due_at (no scan of the inventory). */
async function explainClaim(bench: BenchDatabase, now: Date, log: (line?: string) => void): Promise<void> {
  const plan = await sql<{ 'QUERY PLAN': string }>`
    EXPLAIN SELECT custody_id, next_due_at FROM recycling_state WHERE next_due_at <= ${now}
     ORDER BY next_due_at LIMIT 100 FOR UPDATE SKIP LOCKED`.execute(bench.database.db)
  log('claim plan (one batch of 100):')
  for (const row of plan.rows) log(`  ${row['QUERY PLAN']}`)
}
