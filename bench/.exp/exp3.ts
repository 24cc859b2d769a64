// 1M rows through the real INSERT … SELECT generate_series, as owner, rolled back; chunk sizes interleaved, min of N.
import { randomUUID } from 'node:crypto'
import { openBenchDatabase } from '../lib/database.ts'
import pg from 'pg'
import { loadavg } from 'node:os'

const N = Number(process.argv[2] ?? 3)
const b = await openBenchDatabase('exp3')
const c = new pg.Client({ connectionString: process.env.DATABASE_URL })
await c.connect()
await c.query(`SET search_path TO "${b.label.split('schema ')[1]}", public`)
const best: Record<number, number> = {}
let base = 85510000000n
try {
  for (let r = 0; r < N; r++) {
    for (const chunk of [10_000, 100_000, 1_000_000]) {
      await c.query('CHECKPOINT')
      const t = performance.now()
      await c.query('BEGIN')
      const id = randomUUID()
      const first = base
      base += 2000000n
      await c.query(`INSERT INTO number_ranges (id, first_msisdn, last_msisdn, first_value, last_value, size, category, input_sha256, imported_at)
                     VALUES ($1, $2, $3, $4, $5, $6, 'standard', 'x', now())`, [id, `+${first}`, `+${first + 999999n}`, first.toString(), (first + 999999n).toString(), 1000000])
      for (let off = 0n; off < 1000000n; off += BigInt(chunk)) {
        await c.query(`INSERT INTO numbers (msisdn, range_id, category, state, state_changed_at)
          SELECT '+' || lpad(v::text, 11, '0'), $1, 'standard', 'available', now() FROM generate_series($2::bigint, $3::bigint) v`,
          [id, (first + off).toString(), (first + off + BigInt(chunk) - 1n).toString()])
      }
      await c.query('ROLLBACK')
      const s = (performance.now() - t) / 1000
      console.error(`chunk ${chunk}: ${s.toFixed(2)} s (load ${loadavg()[0].toFixed(1)})`)
      best[chunk] = Math.min(best[chunk] ?? Infinity, s)
      await c.query('VACUUM numbers')
    }
  }
  console.log('best:', JSON.stringify(best))
} finally {
  await c.end()
  await b.close()
}
