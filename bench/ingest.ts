// Charging events per second through the real HTTP batch path (a listening server, a machine token, JSON, per-row
// validation, set-based SQL, one audit record per batch) against the same SQL issued directly (no HTTP, no
// validation), on an inventory of 100,000 numbers in custody; and the bare INSERT … ON CONFLICT DO NOTHING rate of
// the same rows into a plain table, for reference. Batches of 10,000, HTTP and direct batches interleaved, every
// batch dated later than the last so each one restarts the cycles it touches (the worst case for the state update).
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { sql } from 'kysely'
import pino from 'pino'
import { issueMachineToken } from '../src/access/machine-tokens.ts'
import { hashPassword } from '../src/access/secrets.ts'
import { storeEvents, storeEventsQuery, touchSources } from '../src/activity/queries.ts'
import type { ActivityRow } from '../src/activity/validate.ts'
import type { App } from '../src/app.ts'
import { audited, recordAudit } from '../src/audit/record.ts'
import { runCommand } from '../src/audit/run-command.ts'
import { DEMO_KYC_KEY } from '../src/config.ts'
import type { Actor } from '../src/domain/actor.ts'
import { SystemClock } from '../src/domain/clock.ts'
import { buildServer } from '../src/http/server.ts'
import { type BenchDatabase, openBenchDatabase } from './lib/database.ts'
import { type BenchContext, type BenchResult, machineLoad, perSecond } from './lib/result.ts'

export const description = 'activity events/s through POST /api/v1/activity vs the same SQL issued directly'

const INVENTORY = 100_000
const FIRST = 85513000000
const BATCH = 10_000
const BATCHES = 10
const ROUNDS = 2
/** The application's pool size (src/db/handle.ts default). */
const POOL_SIZE = 10
const EVENTS_TARGET = 20_000
const RATIO_TARGET = 0.5
const KINDS = ['topup', 'payment', 'usage'] as const
const ACTOR: Actor = { kind: 'system', component: 'bench' }

export async function run({ args, log }: BenchContext): Promise<BenchResult> {
  const flag = args.indexOf('--concurrency')
  const concurrency = flag >= 0 ? Number(args[flag + 1]) : 1
  if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 8))
    throw new Error('--concurrency takes 1 to 8')
  const bench = await openBenchDatabase('ingest')
  try {
    log(`database: ${bench.label}`)
    log(`clients side by side: ${concurrency} (--concurrency N)`)
    log(machineLoad())
    const setup = performance.now()
    await buildInventory(bench)
    log(`inventory: ${INVENTORY.toLocaleString('en')} numbers in custody, built in ${secondsFrom(setup).toFixed(1)} s`)
    const app = benchApp(bench)
    const { server } = await buildServer(app, { logRequests: false })
    const url = await server.listen({ host: '127.0.0.1', port: 0 })
    try {
      const token = await chargingToken(app)
      const events = new EventSource()
      // One of each, unmeasured: plans, JIT, connection pool.
      await postBatch(url, token, events.batch('http'))
      await directBatch(app, events.rows('direct'))
      await bareBatch(bench, events.rows('bare'))

      // Rounds alternate the paths so neither gets the emptier tables; within a phase, `concurrency` clients
      // send side by side (a charging system may well run several).
      const times = { http: 0, direct: 0, bare: 0 }
      const cpu = { http: zeroCpu(), direct: zeroCpu(), bare: zeroCpu() }
      const backends = await poolBackends(bench)
      let cycles = 0
      const perRound = BATCHES / ROUNDS
      for (let round = 0; round < ROUNDS; round++) {
        const bodies = Array.from({ length: perRound }, () => events.batch('http'))
        let mark = cpuMark(backends)
        times.http += await timed(bodies, concurrency, async (body) => {
          const answer = await postBatch(url, token, body)
          if (answer.accepted !== BATCH) throw new Error(`an HTTP batch accepted ${answer.accepted} of ${BATCH}`)
          cycles += answer.cycles_restarted
        })
        addCpu(cpu.http, mark, backends)
        const direct = Array.from({ length: perRound }, () => events.rows('direct'))
        mark = cpuMark(backends)
        times.direct += await timed(direct, concurrency, async (rows) => {
          const stored = await directBatch(app, rows)
          if (stored !== BATCH) throw new Error(`a direct batch stored ${stored} of ${BATCH}`)
        })
        addCpu(cpu.direct, mark, backends)
        const bare = Array.from({ length: perRound }, () => events.rows('bare'))
        mark = cpuMark(backends)
        times.bare += await timed(bare, concurrency, (rows) => bareBatch(bench, rows))
        addCpu(cpu.bare, mark, backends)
      }
      const total = BATCH * BATCHES
      const rate = (s: number) => total / s
      log(
        `HTTP path:   ${perSecond(total, times.http)} (${BATCHES} batches of ${BATCH.toLocaleString('en')} in ${times.http.toFixed(2)} s; ${cycles.toLocaleString('en')} cycles restarted)`,
      )
      log(`direct SQL:  ${perSecond(total, times.direct)} (the same statements in runCommand, rows prebuilt)`)
      log(
        `bare INSERT: ${perSecond(total, times.bare)} (INSERT … SELECT unnest … ON CONFLICT DO NOTHING into a plain table)`,
      )
      if (backends.length > 0) {
        log('CPU per batch of 10,000 (this process + its PostgreSQL backends, whatever else the machine runs):')
        for (const [name, c] of Object.entries(cpu)) {
          const ms = (x: number) => `${((x / BATCHES) * 1000).toFixed(0)} ms`
          const idle = Math.round(total / (c.node + c.postgres)).toLocaleString('en')
          log(
            `  ${name.padEnd(6)} node ${ms(c.node)} + postgres ${ms(c.postgres)}: ≈ ${idle} events/s on an idle machine`,
          )
        }
      }
      const stored = await bench.database.db
        .selectFrom('activity_events')
        .select(sql<string>`count(*)`.as('n'))
        .executeTakeFirstOrThrow()
      if (args.includes('--explain')) await explainBatch(app, events.rows('explain'), log)
      log(
        `stored: ${Number(stored.n).toLocaleString('en')} events; load average at the end: ${loadavg()[0].toFixed(2)}`,
      )
      const figure = rate(times.http)
      const baseline = rate(times.direct)
      const ratio = figure / baseline
      return {
        figure: { value: figure, unit: 'events/s', digits: 0 },
        baseline: { value: baseline, unit: 'events/s', digits: 0 },
        ratio,
        targets: [
          {
            name: 'events/s through HTTP',
            met: figure >= EVENTS_TARGET,
            detail: `${Math.round(figure)} (want ≥ ${EVENTS_TARGET})`,
          },
          {
            name: 'ratio to direct SQL',
            met: ratio >= RATIO_TARGET,
            detail: `${ratio.toFixed(2)} (want ≥ ${RATIO_TARGET})`,
          },
        ],
      }
    } finally {
      await server.close()
    }
  } finally {
    await bench.close()
  }
}

const secondsFrom = (start: number) => (performance.now() - start) / 1000

/** Runs `work` over `items` with `concurrency` workers; returns the wall time in seconds. */
async function timed<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<number> {
  const queue = [...items]
  const start = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item)
    }),
  )
  return secondsFrom(start)
}

/**
 * 100,000 prepaid custodies started 30 days ago, built set-based as the owner with triggers off (this is setup, not
 * what is measured): numbers, subscribers, custodies and their recycling_state rows.
 */
async function buildInventory(bench: BenchDatabase): Promise<void> {
  const rangeId = randomUUID()
  const last = FIRST + INVENTORY - 1
  await bench.asOwner(`
    SET session_replication_role = replica;
    INSERT INTO number_ranges (id, first_msisdn, last_msisdn, first_value, last_value, size, category, market, input_sha256, imported_at)
    VALUES ('${rangeId}', '+${FIRST}', '+${last}', ${FIRST}, ${last}, ${INVENTORY}, 'standard', 'KH', repeat('0', 64), now());
    INSERT INTO numbers (msisdn, range_id, category, state, state_changed_at)
      SELECT '+' || (${FIRST} + g), '${rangeId}', 'standard', 'active', now() - interval '30 days'
      FROM generate_series(0, ${INVENTORY - 1}) g;
    INSERT INTO subscribers (id, party_kind, account_type, name, kyc_doc_kind, kyc_doc_hash, kyc_doc_last4, language, created_at)
      SELECT md5('s' || g)::uuid, 'person', 'prepaid', 'Bench ' || g, 'national_id', md5('k' || g), '0000', 'km', now()
      FROM generate_series(0, ${INVENTORY - 1}) g;
    INSERT INTO custodies (id, msisdn, subscriber_id, basis, started_at)
      SELECT md5('c' || g)::uuid, '+' || (${FIRST} + g), md5('s' || g)::uuid, 'sale', now() - interval '30 days'
      FROM generate_series(0, ${INVENTORY - 1}) g;
    INSERT INTO recycling_state (custody_id, msisdn, account_type, cycle_started_at, policy_version, next_due_at, updated_at)
      SELECT md5('c' || g)::uuid, '+' || (${FIRST} + g), 'prepaid', now() - interval '30 days', 1,
             now() + interval '30 days', now()
      FROM generate_series(0, ${INVENTORY - 1}) g;
    SET session_replication_role = DEFAULT;
    CREATE TABLE activity_events_baseline (
      source text, external_id text, msisdn text, kind text, amount numeric, currency text, occurred_at timestamptz,
      received_at timestamptz, batch_id uuid, custody_id uuid, PRIMARY KEY (source, external_id));
    GRANT SELECT, INSERT ON activity_events_baseline TO numguard_app;
    ANALYZE`)
}

function benchApp(bench: BenchDatabase): App {
  const clock = new SystemClock()
  return {
    config: {
      mode: 'demo',
      host: '127.0.0.1',
      port: 0,
      dataDir: 'memory://',
      kycKey: DEMO_KYC_KEY,
      logLevel: 'silent',
      country: 'KH',
      sessionTtlHours: 12,
      reservationMinutes: 30,
    },
    database: bench.database,
    db: bench.database.db,
    clock,
    deps: { db: bench.database.db, clock },
    logger: pino({ level: 'silent' }),
  }
}

async function chargingToken(app: App): Promise<string> {
  const secret = 'bench-charging-secret'
  await app.db
    .insertInto('machine_clients')
    .values({
      id: 'bench-charging',
      name: 'bench',
      secret_hash: await hashPassword(secret),
      scopes: ['activity:ingest'],
      created_at: new Date(),
    })
    .execute()
  return (await issueMachineToken(app.deps, 'bench-charging', secret)).access_token
}

/** Events spread uniformly over the inventory, each batch dated a minute after the one before. */
class EventSource {
  #batches = 0
  #ids = 0
  #base = Date.now() - 86_400_000

  #events(path: string) {
    const batch = this.#batches++
    return Array.from({ length: BATCH }, (_, i) => {
      const kind = KINDS[i % 3]
      return {
        msisdn: `+${FIRST + Math.floor(Math.random() * INVENTORY)}`,
        kind,
        amount: kind === 'usage' ? null : '1.00',
        occurred_at: new Date(this.#base + batch * 60_000 + (i % 50_000)).toISOString(),
        source: 'ocs',
        external_id: `${path}-${++this.#ids}`,
      }
    })
  }

  /** A request body, serialized before the clock starts (the client's work is not the server's). */
  batch(path: string): string {
    return JSON.stringify({ events: this.#events(path).map(({ amount, ...e }) => (amount ? { ...e, amount } : e)) })
  }

  rows(path: string): ActivityRow[] {
    return this.#events(path).map((e, index) => ({
      index,
      source: e.source,
      externalId: e.external_id,
      msisdn: e.msisdn,
      kind: e.kind,
      amount: e.amount,
      currency: null,
      occurredAt: e.occurred_at,
      occurredMs: Date.parse(e.occurred_at),
    }))
  }
}

async function postBatch(url: string, token: string, body: string) {
  const res = await fetch(`${url}/api/v1/activity`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body,
  })
  const json = (await res.json()) as { accepted: number; cycles_restarted: number; message?: string }
  if (!res.ok) throw new Error(`POST /api/v1/activity: HTTP ${res.status} ${json.message}`)
  return json
}

/** The ingestion's statements without HTTP or validation: events, batch row, source, audit record, one transaction. */
async function directBatch(app: App, rows: ActivityRow[]): Promise<number> {
  return runCommand(app.deps, ACTOR, async (ctx) => {
    const batchId = randomUUID()
    const stored = await storeEvents(ctx.tx, rows, batchId, ctx.now)
    const counts = JSON.stringify({ accepted: stored.inserted })
    await ctx.tx
      .insertInto('activity_batches')
      .values({ id: batchId, received_at: ctx.now, actor: '{}', input_sha256: '0'.repeat(64), counts })
      .execute()
    await touchSources(ctx.tx, new Map([['ocs', ctx.now]]), ctx.now)
    const receipt = await recordAudit(ctx, { action: 'activity.ingested', data: { batch_id: batchId, bench: true } })
    return audited(stored.inserted, [receipt])
  })
}

async function bareBatch(bench: BenchDatabase, rows: ActivityRow[]): Promise<void> {
  const col = <K extends keyof ActivityRow>(k: K) => rows.map((r) => r[k])
  await bench.database.db.transaction().execute(async (tx) => {
    await sql`
      INSERT INTO activity_events_baseline
        (source, external_id, msisdn, kind, amount, currency, occurred_at, received_at, batch_id, custody_id)
      SELECT source, external_id, msisdn, kind, amount, currency, occurred_at, now(), ${randomUUID()}, gen_random_uuid()
      FROM unnest(${col('source')}::text[], ${col('externalId')}::text[], ${col('msisdn')}::text[], ${col('kind')}::text[],
                  ${col('amount')}::numeric[], ${col('currency')}::text[], ${col('occurredAt')}::timestamptz[])
        AS i(source, external_id, msisdn, kind, amount, currency, occurred_at)
      ON CONFLICT (source, external_id) DO NOTHING`.execute(tx)
  })
}

/** EXPLAIN ANALYZE of one batch's statement (rolled back), with trigger and constraint times. */
async function explainBatch(app: App, rows: ActivityRow[], log: (line?: string) => void): Promise<void> {
  await app.db
    .transaction()
    .execute(async (tx) => {
      const query = storeEventsQuery(rows, randomUUID(), new Date())
      const plan = await sql<{ 'QUERY PLAN': string }>`EXPLAIN (ANALYZE, BUFFERS) ${query}`.execute(tx)
      for (const line of plan.rows) log(`  ${line['QUERY PLAN']}`)
      throw new Error('rollback')
    })
    .catch((err: Error) => {
      if (err.message !== 'rollback') throw err
    })
}

interface Cpu {
  node: number
  postgres: number
}
const zeroCpu = (): Cpu => ({ node: 0, postgres: 0 })

/**
 * The backend pids of every connection of the bench's pool (all taken at once), when PostgreSQL runs on this machine
 * and /proc shows them: their CPU time is the database's share of the work, whatever else the machine is doing.
 */
async function poolBackends(bench: BenchDatabase): Promise<number[]> {
  if (bench.database.kind !== 'postgres') return []
  const pids: number[] = []
  let release: () => void = () => {}
  const held = new Promise<void>((resolve) => {
    release = resolve
  })
  const takers = Array.from({ length: POOL_SIZE }, () =>
    bench.database.db.transaction().execute(async (tx) => {
      pids.push((await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(tx)).rows[0].pid)
      if (pids.length === POOL_SIZE) release()
      await held
    }),
  )
  await Promise.all(takers)
  return pids.filter((pid) => backendCpu(pid) !== null)
}

/** utime + stime of a process in seconds (Linux /proc, clock ticks of 1/100 s); null when not visible here. */
function backendCpu(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return null
  }
}

function cpuMark(backends: number[]) {
  return { node: process.cpuUsage(), postgres: backends.reduce((sum, pid) => sum + (backendCpu(pid) ?? 0), 0) }
}

function addCpu(into: Cpu, mark: ReturnType<typeof cpuMark>, backends: number[]): void {
  const node = process.cpuUsage(mark.node)
  into.node += (node.user + node.system) / 1e6
  into.postgres += backends.reduce((sum, pid) => sum + (backendCpu(pid) ?? 0), 0) - mark.postgres
}
