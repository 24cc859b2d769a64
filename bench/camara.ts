// CAMARA checks on the hot path: autocannon at concurrency 32 drives POST /camara/sim-swap/v2/check and
// /camara/number-recycling/v0.2/check (half each) through the real server, access log on; the baseline is a bare
// Fastify route in the same process running the same SQL (the token lookup behind the same short cache, the facts query,
// the access-log row through the same batching writer) on the same pool, without numguard's hooks, schemas, quota or
// error mapping.

import { randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'
import Fastify from 'fastify'
import { sql } from 'kysely'
import pino from 'pino'
import { cachedMachineAuthenticator } from '../src/access/machine-token-cache.ts'
import { issueMachineToken } from '../src/access/machine-tokens.ts'
import { hashPassword } from '../src/access/secrets.ts'
import type { App } from '../src/app.ts'
import { DEMO_KYC_KEY } from '../src/config.ts'
import { SystemClock } from '../src/domain/clock.ts'
import { buildServer } from '../src/http/server.ts'
import { createAccessLogWriter } from '../src/partner/access-log-writer.ts'
import { phoneNumberRecycled, simSwapped } from '../src/partner/answers.ts'
import { partnerDb } from '../src/partner/db.ts'
import { custodiesSince, latestBinding } from '../src/partner/queries.ts'
import { type BenchDatabase, openBenchDatabase } from './lib/database.ts'
import { type BenchContext, type BenchResult, machineLoad } from './lib/result.ts'

export const description = 'CAMARA checks/s (SIM swap + number recycling) over HTTP vs a bare route with the same SQL'

interface CannonResult {
  requests: { average: number; total: number }
  latency: { p99: number; average: number }
  non2xx: number
  errors: number
  duration: number
}
type Cannon = (options: Record<string, unknown>) => Promise<CannonResult>
const autocannon = createRequire(import.meta.url)('autocannon') as Cannon

const INVENTORY = 100_000
const FIRST = 85513000000
const CONNECTIONS = 32
const CHECKS_TARGET = 3000
const P99_TARGET_MS = 25
const RATIO_TARGET = 0.5

export async function run({ args, log }: BenchContext): Promise<BenchResult> {
  const flag = args.indexOf('--duration')
  const duration = flag >= 0 ? Number(args[flag + 1]) : 10
  const bench = await openBenchDatabase('camara')
  try {
    log(`database: ${bench.label}`)
    log(machineLoad())
    await buildInventory(bench)
    log(`inventory: ${INVENTORY.toLocaleString('en')} numbers in custody with a SIM bound`)
    const app = benchApp(bench)
    const { server } = await buildServer(app, { logRequests: false })
    const url = await server.listen({ host: '127.0.0.1', port: 0 })
    const bare = bareServer(app)
    const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 })
    try {
      const token = await partnerToken(app)
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
      const today = new Date().toISOString().slice(0, 10)
      const body = (i: number) => {
        const phoneNumber = `+${FIRST + Math.floor(Math.random() * INVENTORY)}`
        return JSON.stringify(i % 2 === 0 ? { phoneNumber, maxAge: 240 } : { phoneNumber, specifiedDate: today })
      }
      const requests = (prefix: string) => [
        {
          method: 'POST',
          path: `${prefix}/sim-swap/v2/check`,
          headers,
          setupRequest: (r: object) => ({ ...r, body: body(0) }),
        },
        {
          method: 'POST',
          path: `${prefix}/number-recycling/v0.2/check`,
          headers,
          setupRequest: (r: object) => ({ ...r, body: body(1) }),
        },
      ]
      const fire = (base: string, prefix: string, seconds: number) =>
        autocannon({ url: base, connections: CONNECTIONS, duration: seconds, requests: requests(prefix) })
      // Warm-up, unmeasured: plans, JIT, pool.
      await fire(url, '/camara', 2)
      await fire(bareUrl, '/bare', 2)
      const before = await settledLogRows(app)
      const ours = await fire(url, '/camara', duration)
      const base = await fire(bareUrl, '/bare', duration)
      const logged = (await settledLogRows(app)) - before
      for (const [name, r] of [
        ['numguard', ours],
        ['bare', base],
      ] as const)
        log(
          `${name.padEnd(8)} ${Math.round(r.requests.average).toLocaleString('en')} checks/s, p99 ${r.latency.p99} ms, ` +
            `mean ${r.latency.average} ms, ${r.requests.total.toLocaleString('en')} requests, non-2xx ${r.non2xx}, errors ${r.errors}`,
        )
      log(`access log rows written in the measured runs: ${logged.toLocaleString('en')}`)
      log(machineLoad())
      if (ours.non2xx > 0 || ours.errors > 0 || base.non2xx > 0 || base.errors > 0)
        throw new Error('some checks failed: the figures would not be checks')
      // autocannon counts the responses within its duration; up to one request per connection is still in flight.
      const answered = ours.requests.total + base.requests.total
      if (logged < answered || logged > answered + 2 * CONNECTIONS)
        throw new Error(`every check is logged: ${logged} rows for ${answered} checks`)
      const figure = ours.requests.average
      const baseline = base.requests.average
      const ratio = figure / baseline
      return {
        figure: { value: figure, unit: 'checks/s', digits: 0 },
        baseline: { value: baseline, unit: 'checks/s', digits: 0 },
        ratio,
        targets: [
          {
            name: 'checks/s over HTTP',
            met: figure >= CHECKS_TARGET,
            detail: `${Math.round(figure)} (want ≥ ${CHECKS_TARGET})`,
          },
          {
            name: 'p99 latency',
            met: ours.latency.p99 <= P99_TARGET_MS,
            detail: `${ours.latency.p99} ms (want ≤ ${P99_TARGET_MS})`,
          },
          {
            name: 'ratio to the bare route',
            met: ratio >= RATIO_TARGET,
            detail: `${ratio.toFixed(2)} (want ≥ ${RATIO_TARGET})`,
          },
        ],
      }
    } finally {
      await server.close()
      await bare.close()
    }
  } finally {
    await bench.close()
  }
}

async function logRows(app: App): Promise<number> {
  const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM partner_access_log`.execute(app.db)
  return Number(rows[0].n)
}

/**
 * The row count once the checks still in flight when autocannon stopped (up to one per connection, not counted in its
 * totals) have written theirs: read until two readings 100 ms apart agree.
 */
async function settledLogRows(app: App): Promise<number> {
  let last = await logRows(app)
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    const now = await logRows(app)
    if (now === last) return now
    last = now
  }
}

/** The same SQL as the real route, no framework on top: token lookup (cached), the facts, the access-log row (batched). */
function bareServer(app: App) {
  const bare = Fastify()
  const db = partnerDb(app.db)
  const authenticate = cachedMachineAuthenticator(app.db)
  // The same statements as the real route: prepared on PostgreSQL.
  const prepared = app.database.kind === 'postgres'
  const accessLog = createAccessLogWriter(db, { prepared })
  bare.addHook('onClose', () => accessLog.close())
  const actorOf = async (header: string | undefined) => authenticate(new Date(), (header ?? '').slice(7))
  bare.post('/bare/sim-swap/v2/check', async (request) => {
    const actor = await actorOf(request.headers.authorization)
    const { phoneNumber, maxAge } = request.body as { phoneNumber: string; maxAge: number }
    const now = new Date()
    const facts = await latestBinding(db, phoneNumber, prepared)
    const answer = simSwapped(facts?.latest ?? null, now, maxAge, facts?.windowDays ?? 120)
    await accessLog.write({
      clientId: actor.kind === 'machine' ? actor.clientId : '',
      msisdn: phoneNumber,
      operation: 'sim_swap_check',
      question: { maxAge },
      status: 200,
      answer,
      correlator: null,
      askedAt: now,
    })
    return answer
  })
  bare.post('/bare/number-recycling/v0.2/check', async (request) => {
    const actor = await actorOf(request.headers.authorization)
    const { phoneNumber, specifiedDate } = request.body as { phoneNumber: string; specifiedDate: string }
    const now = new Date()
    const facts = await custodiesSince(
      db,
      phoneNumber,
      new Date(Date.parse(`${specifiedDate}T00:00:00Z`) - 86_400_000),
      prepared,
    )
    const answer = { phoneNumberRecycled: phoneNumberRecycled(facts?.spans ?? [], now) }
    await accessLog.write({
      clientId: actor.kind === 'machine' ? actor.clientId : '',
      msisdn: phoneNumber,
      operation: 'number_recycling_check',
      question: { specifiedDate },
      status: 200,
      answer,
      correlator: null,
      askedAt: now,
    })
    return answer
  })
  return bare
}

/** 100,000 custodies started 30 days ago with a SIM bound, built set-based as the owner (setup, not measured). */
async function buildInventory(bench: BenchDatabase): Promise<void> {
  const rangeId = randomUUID()
  const last = FIRST + INVENTORY - 1
  await bench.asOwner(`
    SET session_replication_role = replica;
    INSERT INTO number_ranges (id, first_msisdn, last_msisdn, first_value, last_value, size, category, market, input_sha256, imported_at)
    VALUES ('${rangeId}', '+${FIRST}', '+${last}', ${FIRST}, ${last}, ${INVENTORY}, 'standard', 'KH', repeat('0', 64), now() - interval '60 days');
    INSERT INTO numbers (msisdn, range_id, category, state, state_changed_at)
      SELECT '+' || (${FIRST} + g), '${rangeId}', 'standard', 'active', now() - interval '30 days'
      FROM generate_series(0, ${INVENTORY - 1}) g;
    INSERT INTO subscribers (id, party_kind, account_type, name, kyc_doc_kind, kyc_doc_hash, kyc_doc_last4, language, created_at)
      SELECT md5('s' || g)::uuid, 'person', 'prepaid', 'Bench ' || g, 'national_id', md5('k' || g), '0000', 'km', now()
      FROM generate_series(0, ${INVENTORY - 1}) g;
    INSERT INTO custodies (id, msisdn, subscriber_id, basis, started_at)
      SELECT md5('c' || g)::uuid, '+' || (${FIRST} + g), md5('s' || g)::uuid, 'sale', now() - interval '30 days'
      FROM generate_series(0, ${INVENTORY - 1}) g;
    INSERT INTO sims (iccid, imsi, state, imported_at)
      SELECT '8985599' || lpad(g::text, 12, '0'), '45699' || lpad(g::text, 10, '0'), 'bound', now() - interval '60 days'
      FROM generate_series(0, ${INVENTORY - 1}) g;
    -- A tenth of the numbers had their SIM swapped five days ago.
    INSERT INTO sim_bindings (id, msisdn, iccid, custody_id, started_at)
      SELECT md5('b' || g)::uuid, '+' || (${FIRST} + g), '8985599' || lpad(g::text, 12, '0'), md5('c' || g)::uuid,
             now() - CASE WHEN g % 10 = 0 THEN interval '5 days' ELSE interval '30 days' END
      FROM generate_series(0, ${INVENTORY - 1}) g;
    SET session_replication_role = DEFAULT;
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

/** A partner whose quota does not limit the run (the quota check itself still runs on every request). */
async function partnerToken(app: App): Promise<string> {
  const secret = 'bench-partner-secret'
  await app.db
    .insertInto('machine_clients')
    .values({
      id: 'bench-partner',
      name: 'bench partner',
      secret_hash: await hashPassword(secret),
      scopes: ['sim-swap:check', 'number-recycling:check'],
      created_at: new Date(),
    })
    .execute()
  await partnerDb(app.db)
    .insertInto('partner_clients')
    .values({
      client_id: 'bench-partner',
      purpose: 'benchmark',
      requests_per_minute: 100_000_000,
      created_at: new Date(),
    })
    .execute()
  return (await issueMachineToken(app.deps, 'bench-partner', secret)).access_token
}
