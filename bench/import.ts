// Imports a 1,000,000-number range through the real path (parseRange + runCommand(importRange)) and compares it
// with a plain client-side multi-row INSERT of the same rows into a table with the same columns, primary key and
// state index but no constraints or triggers. `--explain` adds EXPLAIN ANALYZE of one chunk (trigger times).
import { randomUUID } from 'node:crypto'
import { loadavg } from 'node:os'
import { CompiledQuery, sql } from 'kysely'
import { runCommand } from '../src/audit/run-command.ts'
import type { Actor } from '../src/domain/actor.ts'
import { SystemClock } from '../src/domain/clock.ts'
import { parseRange } from '../src/domain/msisdn.ts'
import { importRange, RANGE_CHUNK } from '../src/inventory/ranges.ts'
import { type BenchDatabase, openBenchDatabase } from './lib/database.ts'
import {
  type BenchContext,
  type BenchResult,
  cpuSecondsSince,
  machineLoad,
  perSecond,
  secondsSince,
} from './lib/result.ts'

export const description = 'import a 1,000,000-number range vs a plain batched multi-row INSERT'

const FIRST = '+85512000000'
const LAST = '+85512999999'
const SIZE = 1_000_000
const BASELINE_BATCH = 1_000
const POSTGRES_LIMIT_SECONDS = 15
const RATIO_TARGET = 0.5
const ACTOR: Actor = { kind: 'system', component: 'bench' }

export async function run({ args, log }: BenchContext): Promise<BenchResult> {
  const bench = await openBenchDatabase('import')
  try {
    log(`database: ${bench.label}`)
    log(machineLoad())
    log(
      `range: ${FIRST} … ${LAST} (${SIZE.toLocaleString('en')} numbers), RANGE_CHUNK ${RANGE_CHUNK.toLocaleString('en')}`,
    )
    await createBaselineTable(bench)

    await settle(bench)
    const baseline = await timeBaseline(bench, log)
    await settle(bench)
    const imported = await timeImport(bench, log)
    await assertImported(bench)
    if (args.includes('--explain')) await explainChunk(bench, log)
    log(`load average at the end: ${loadavg()[0].toFixed(2)} (this run included)`)

    const onPostgres = bench.database.kind === 'postgres'
    const ratio = baseline / imported
    return {
      figure: { value: imported, unit: 's' },
      baseline: { value: baseline, unit: 's' },
      ratio,
      targets: [
        { name: 'ratio', met: ratio >= RATIO_TARGET, detail: `${ratio.toFixed(2)} (want ≥ ${RATIO_TARGET})` },
        ...(onPostgres
          ? [
              {
                name: 'import time on PostgreSQL',
                met: imported <= POSTGRES_LIMIT_SECONDS,
                detail: `${imported.toFixed(2)} s (want ≤ ${POSTGRES_LIMIT_SECONDS} s)`,
              },
            ]
          : []),
      ],
    }
  } finally {
    await bench.close()
  }
}

async function timeImport(bench: BenchDatabase, log: (line?: string) => void): Promise<number> {
  const deps = { db: bench.database.db, clock: new SystemClock() }
  const cpu = process.cpuUsage()
  const start = performance.now()
  const range = parseRange(FIRST, LAST)
  const validated = performance.now()
  let began = 0
  let inserted = 0
  let audited = 0
  const chunks: number[] = []
  const result = await runCommand(deps, ACTOR, async (ctx) => {
    began = performance.now()
    const out = await importRange(ctx, range, 'standard', () => {
      chunks.push(performance.now())
      inserted = performance.now()
    })
    audited = performance.now()
    return out
  })
  const committed = performance.now()
  const total = (committed - start) / 1000
  const cpuSeconds = cpuSecondsSince(cpu)
  const ms = (a: number, b: number) => `${((b - a) / 1000).toFixed(3)} s`
  log(`import: ${total.toFixed(2)} s, ${perSecond(SIZE, total)} (range ${result.id})`)
  log(`  validation (parseRange)              ${ms(start, validated)}`)
  log(`  BEGIN                                ${ms(validated, began)}`)
  log(`  overlap check + range row + inserts  ${ms(began, inserted)} in ${chunks.length} chunks`)
  const spans = chunks.map((t, i) => ((t - (i === 0 ? began : chunks[i - 1])) / 1000).toFixed(2))
  log(`    per chunk (s): ${spans.join(' ')}`)
  log(`  audit record                         ${ms(inserted, audited)}`)
  log(`  COMMIT (deferred audit check, WAL)   ${ms(audited, committed)}`)
  log(`  ${clientCpu(bench, cpuSeconds)}`)
  return total
}

async function createBaselineTable(bench: BenchDatabase): Promise<void> {
  // Same columns, primary key and numbers_state index as numbers; no CHECKs, foreign keys or triggers.
  await bench.asOwner(`
    CREATE TABLE numbers_baseline (
      msisdn           text PRIMARY KEY,
      range_id         uuid NOT NULL,
      category         text NOT NULL,
      state            text NOT NULL,
      state_changed_at timestamptz NOT NULL,
      reserved_by      uuid,
      reserved_until   timestamptz
    );
    CREATE INDEX numbers_baseline_state ON numbers_baseline (state, msisdn);
    GRANT SELECT, INSERT ON numbers_baseline TO numguard_app`)
}

/** The same rows from the client, 1,000 per parameterised statement, in one transaction, as the application role. */
async function timeBaseline(bench: BenchDatabase, log: (line?: string) => void): Promise<number> {
  const rangeId = randomUUID()
  const at = new Date().toISOString()
  const first = BigInt(FIRST.slice(1))
  const statement = (rows: number) =>
    `INSERT INTO numbers_baseline (msisdn, range_id, category, state, state_changed_at) VALUES ${Array.from(
      { length: rows },
      (_, i) => `($${i * 5 + 1}, $${i * 5 + 2}, $${i * 5 + 3}, $${i * 5 + 4}, $${i * 5 + 5})`,
    ).join(', ')}`
  const full = statement(BASELINE_BATCH)
  const cpu = process.cpuUsage()
  const start = performance.now()
  let sent = 0
  await bench.database.db.transaction().execute(async (tx) => {
    for (let offset = 0; offset < SIZE; offset += BASELINE_BATCH) {
      const rows = Math.min(BASELINE_BATCH, SIZE - offset)
      const params: unknown[] = []
      for (let i = 0; i < rows; i++) params.push(`+${first + BigInt(offset + i)}`, rangeId, 'standard', 'available', at)
      await tx.executeQuery(CompiledQuery.raw(rows === BASELINE_BATCH ? full : statement(rows), params))
    }
    sent = performance.now()
  })
  const committed = performance.now()
  const total = secondsSince(start)
  const cpuSeconds = cpuSecondsSince(cpu)
  const count = await sql<{ n: number }>`SELECT count(*)::int AS n FROM numbers_baseline`.execute(bench.database.db)
  if (count.rows[0].n !== SIZE) throw new Error(`baseline inserted ${count.rows[0].n} rows, expected ${SIZE}`)
  log(
    `baseline: ${total.toFixed(2)} s, ${perSecond(SIZE, total)} (${SIZE / BASELINE_BATCH} INSERTs of ${BASELINE_BATCH} rows, one transaction)`,
  )
  log(`  inserts ${((sent - start) / 1000).toFixed(3)} s, COMMIT ${((committed - sent) / 1000).toFixed(3)} s`)
  log(`  ${clientCpu(bench, cpuSeconds)}`)
  return total
}

function clientCpu(bench: BenchDatabase, seconds: number): string {
  const where = bench.database.kind === 'pglite' ? ' (PGlite runs in this process: includes the database)' : ''
  return `CPU of this process ${seconds.toFixed(2)} s${where}`
}

async function assertImported(bench: BenchDatabase): Promise<void> {
  const db = bench.database.db
  const numbers = await sql<{ n: number }>`SELECT count(*)::int AS n FROM numbers`.execute(db)
  const records = await sql<{
    n: number
  }>`SELECT count(*)::int AS n FROM audit_records WHERE action = 'range.imported'`.execute(db)
  if (numbers.rows[0].n !== SIZE) throw new Error(`numbers holds ${numbers.rows[0].n} rows, expected ${SIZE}`)
  if (records.rows[0].n !== 1) throw new Error(`${records.rows[0].n} range.imported audit records, expected exactly 1`)
}

/** Between the two runs: flush dirty pages so one run does not pay for the other's checkpoint. */
async function settle(bench: BenchDatabase): Promise<void> {
  if (bench.database.kind === 'postgres') await bench.asOwner('CHECKPOINT')
}

/**
 * EXPLAIN ANALYZE of one chunk's INSERT (the statement importRange sends) into a scratch range, rolled back.
 * The plan lists the time of every trigger: the foreign key check, the statement triggers with transition tables.
 */
async function explainChunk(bench: BenchDatabase, log: (line?: string) => void): Promise<void> {
  const db = bench.database.db
  const first = 85517000000n
  const last = first + BigInt(RANGE_CHUNK) - 1n
  log(`EXPLAIN ANALYZE of one chunk (${RANGE_CHUNK.toLocaleString('en')} rows, rolled back):`)
  await db
    .transaction()
    .execute(async (tx) => {
      const id = randomUUID()
      const now = new Date()
      await tx
        .insertInto('number_ranges')
        .values({
          id,
          first_msisdn: `+${first}`,
          last_msisdn: `+${last}`,
          first_value: first.toString(),
          last_value: last.toString(),
          size: RANGE_CHUNK,
          category: 'standard',
          input_sha256: '0'.repeat(64),
          imported_at: now,
          imported_by: null,
          market: 'KH',
        })
        .execute()
      const plan = await sql<{ 'QUERY PLAN': string }>`
        EXPLAIN (ANALYZE, BUFFERS)
        INSERT INTO numbers (msisdn, range_id, category, state, state_changed_at)
        SELECT '+' || lpad(v::text, 11, '0'), ${id}, 'standard', 'available', ${now}
          FROM generate_series(${first.toString()}::bigint, ${last.toString()}::bigint) AS v`.execute(tx)
      for (const row of plan.rows) log(`  ${row['QUERY PLAN']}`)
      throw new Rollback()
    })
    .catch((err: unknown) => {
      if (!(err instanceof Rollback)) throw err
    })
}

class Rollback extends Error {}
