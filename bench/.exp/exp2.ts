// Per-variant cost of inserting one 100k chunk, as the owner, each variant's DDL rolled back. Min of N rounds.
import { randomUUID } from 'node:crypto'
import { openBenchDatabase } from '../lib/database.ts'
import pg from 'pg'

const N = Number(process.argv[2] ?? 5)
const CHUNK = Number(process.argv[3] ?? 100000)
const V: Record<string, string[]> = {
  'as-is': [],
  'no-fk-range': ['ALTER TABLE numbers DROP CONSTRAINT numbers_range_id_fkey'],
  'no-fk-reserved': ['ALTER TABLE numbers DROP CONSTRAINT numbers_reserved_by_fkey'],
  'no-fks': ['ALTER TABLE numbers DROP CONSTRAINT numbers_range_id_fkey', 'ALTER TABLE numbers DROP CONSTRAINT numbers_reserved_by_fkey'],
  'no-msisdn-check': ['ALTER TABLE numbers DROP CONSTRAINT numbers_msisdn_check'],
  'no-checks': ['ALTER TABLE numbers DROP CONSTRAINT numbers_msisdn_check', 'ALTER TABLE numbers DROP CONSTRAINT numbers_category_check', 'ALTER TABLE numbers DROP CONSTRAINT numbers_state_check', 'ALTER TABLE numbers DROP CONSTRAINT reservation_only_when_reserved'],
  'no-stmt-triggers': ['DROP TRIGGER numbers_audit_ins ON numbers', 'DROP TRIGGER numbers_start_free ON numbers'],
  'no-partial-index': ['DROP INDEX numbers_reserved_until'],
  'no-state-index': ['DROP INDEX numbers_state'],
}
V.bare = [...V['no-fks'], ...V['no-checks'], ...V['no-stmt-triggers'], ...V['no-partial-index']]
V['bare-no-lpad'] = V.bare
const b = await openBenchDatabase('exp2')
const url = process.env.DATABASE_URL!
const c = new pg.Client({ connectionString: url })
await c.connect()
const schema = b.label.split('schema ')[1]
await c.query(`SET search_path TO "${schema}", public`)
const best: Record<string, { ms: number; wall: number; trig: Record<string, number> }> = {}
let base = 85510000000n
try {
  for (let r = 0; r < N; r++) {
    for (const [name, drops] of Object.entries(V)) {
      await c.query('BEGIN')
      for (const d of drops) await c.query(d)
      const id = randomUUID()
      const first = base
      const last = base + BigInt(CHUNK) - 1n
      base += 1000000n
      await c.query(`INSERT INTO number_ranges (id, first_msisdn, last_msisdn, first_value, last_value, size, category, input_sha256, imported_at)
                     VALUES ($1, $2, $3, $4, $5, $6, 'standard', 'x', now())`, [id, `+${first}`, `+${last}`, first.toString(), last.toString(), CHUNK])
      const expr = name === 'bare-no-lpad' ? `'+' || v::text` : `'+' || lpad(v::text, 11, '0')`
      const t = performance.now()
      const plan = await c.query(`EXPLAIN (ANALYZE) INSERT INTO numbers (msisdn, range_id, category, state, state_changed_at)
          SELECT ${expr}, $1, 'standard', 'available', now() FROM generate_series($2::bigint, $3::bigint) v`, [id, first.toString(), last.toString()])
      const wall = performance.now() - t
      await c.query('ROLLBACK')
      const lines: string[] = plan.rows.map((x: Record<string, string>) => x['QUERY PLAN'])
      const ms = Number(/Execution Time: ([\d.]+)/.exec(lines.join('\n'))![1])
      const trig: Record<string, number> = {}
      for (const l of lines) {
        const m = /Trigger (?:for constraint )?(\S+): time=([\d.]+)/.exec(l)
        if (m) trig[m[1]] = Number(m[2])
      }
      if (!best[name] || ms < best[name].ms) best[name] = { ms, wall, trig }
    }
    await c.query('VACUUM numbers')
    console.error(`round ${r + 1} load ${(await import('node:os')).loadavg()[0].toFixed(2)}`)
  }
  for (const [name, x] of Object.entries(best)) {
    console.log(`${name.padEnd(18)} ${x.ms.toFixed(0).padStart(6)} ms/${CHUNK}  ${Object.entries(x.trig).map(([k, v]) => `${k}=${v.toFixed(0)}`).join(' ')}`)
  }
} finally {
  await c.end()
  await b.close()
}
