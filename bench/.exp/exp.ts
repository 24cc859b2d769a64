import { readFileSync } from 'node:fs'
// Experiment: import 1M numbers via importRange in a fresh schema with parts of the schema removed.
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { runCommand } from '../../src/audit/run-command.ts'
import { recordAudit, audited } from '../../src/audit/record.ts'
import { SystemClock } from '../../src/domain/clock.ts'
import { parseRange } from '../../src/domain/msisdn.ts'
import { openBenchDatabase } from '../lib/database.ts'

const variant = process.argv[2] ?? 'as-is'
const chunk = Number(process.argv[3] ?? 100000)
const DROPS: Record<string, string[]> = {
  'as-is': [],
  'no-fk-range': ['ALTER TABLE numbers DROP CONSTRAINT numbers_range_id_fkey'],
  'no-fk-reserved': ['ALTER TABLE numbers DROP CONSTRAINT numbers_reserved_by_fkey'],
  'no-fks': ['ALTER TABLE numbers DROP CONSTRAINT numbers_range_id_fkey', 'ALTER TABLE numbers DROP CONSTRAINT numbers_reserved_by_fkey'],
  'no-checks': ['ALTER TABLE numbers DROP CONSTRAINT numbers_msisdn_check', 'ALTER TABLE numbers DROP CONSTRAINT numbers_category_check', 'ALTER TABLE numbers DROP CONSTRAINT numbers_state_check', 'ALTER TABLE numbers DROP CONSTRAINT reservation_only_when_reserved'],
  'no-stmt-triggers': ['DROP TRIGGER numbers_audit_ins ON numbers', 'DROP TRIGGER numbers_start_free ON numbers'],
  'no-partial-index': ['DROP INDEX numbers_reserved_until'],
}
DROPS.bare = [...DROPS['no-fks'], ...DROPS['no-checks'], ...DROPS['no-stmt-triggers'], ...DROPS['no-partial-index']]
const b = await openBenchDatabase('exp')
try {
  for (const s of DROPS[variant]) await b.asOwner(s)
  await b.asOwner('CHECKPOINT')
  const range = parseRange('+85512000000', '+85512999999')
  const t0 = performance.now()
  const marks: number[] = []
  let pid = 0
  let cpu0 = 0
  await runCommand({ db: b.database.db, clock: new SystemClock() }, { kind: 'system', component: 'exp' }, async (ctx) => {
    pid = (await sql<{ p: number }>`SELECT pg_backend_pid() p`.execute(ctx.tx)).rows[0].p
    cpu0 = cpuOf(pid)
    const id = randomUUID()
    await ctx.tx.insertInto('number_ranges').values({ id, first_msisdn: range.first, last_msisdn: range.last, first_value: range.firstValue.toString(), last_value: range.lastValue.toString(), size: range.size, category: 'standard', input_sha256: 'x', imported_at: ctx.now, imported_by: null }).execute()
    for (let off = 0; off < range.size; off += chunk) {
      const from = range.firstValue + BigInt(off)
      const to = range.firstValue + BigInt(Math.min(off + chunk, range.size) - 1)
      await sql`INSERT INTO numbers (msisdn, range_id, category, state, state_changed_at)
        SELECT '+' || lpad(v::text, 11, '0'), ${id}, 'standard', 'available', ${ctx.now}
        FROM generate_series(${from.toString()}::bigint, ${to.toString()}::bigint) AS v`.execute(ctx.tx)
      marks.push(performance.now())
    }
    return audited(null, [await recordAudit(ctx, { action: 'range.imported', after: {} })])
  })
  const total = (performance.now() - t0) / 1000
  const cpu = cpuOf(pid) - cpu0
  const spans = marks.map((t, i) => ((t - (i ? marks[i - 1] : t0)) / 1000).toFixed(2))
  const sizes = await sql<{ t: string; i: string }>`SELECT pg_size_pretty(pg_table_size('numbers')) t, pg_size_pretty(pg_indexes_size('numbers')) i`.execute(b.database.db)
  console.log(`${variant} chunk=${chunk}: ${total.toFixed(2)} s cpu ${cpu.toFixed(2)} s [${spans.length > 12 ? '' : spans.join(' ')}] sizes ${JSON.stringify(sizes.rows[0])}`)
} finally {
  await b.close()
}

function cpuOf(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}
