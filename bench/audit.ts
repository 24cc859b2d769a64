// The audit log end to end: real commands (reserve, release: one leaf each) from concurrent agents while the log
// integrates and signs as in the server (a pass right after each command, a 5 s idle safety pass), against the same
// commands with integration off. Then the integration lag (leaf time → integrated), and inclusion proofs served
// from a 1,000,000-leaf tree built set-based as the owner in a schema of its own.
import { randomUUID } from 'node:crypto'
import { loadavg } from 'node:os'
import { sql } from 'kysely'
import pino from 'pino'
import type { StaffActor } from '../src/access/policies.ts'
import type { App } from '../src/app.ts'
import { startAuditLog } from '../src/audit/log-service.ts'
import { proveLeafInclusion } from '../src/audit/proofs.ts'
import { audited, recordAudit } from '../src/audit/record.ts'
import { runCommand } from '../src/audit/run-command.ts'
import { loadSigner, signLatestCheckpoint } from '../src/audit/signer.ts'
import { leafHash } from '../src/audit/tlog/hash.ts'
import { inclusionProof, type NodeCoord, verifyInclusion } from '../src/audit/tlog/merkle.ts'
import { bytes, integrateAll } from '../src/audit/tree-store.ts'
import { loadConfig } from '../src/config.ts'
import type { Database } from '../src/db/handle.ts'
import type { Actor } from '../src/domain/actor.ts'
import { SystemClock } from '../src/domain/clock.ts'
import { parseRange } from '../src/domain/msisdn.ts'
import { importRange } from '../src/inventory/ranges.ts'
import { releaseNumber, reserveNumber } from '../src/inventory/reservations.ts'
import { type BenchDatabase, openBenchDatabase } from './lib/database.ts'
import { type BenchContext, type BenchResult, machineLoad, secondsSince } from './lib/result.ts'

export const description =
  'commands/s with the audit log integrating and signing vs integration off; lag; 1M-leaf proofs'

const AGENTS = 8
const NUMBERS_PER_AGENT = 25
const COMMANDS = 12_000
const ROUNDS = 4
const WARM_UP = 800
const BIG_TREE = 1_000_000
const PROOFS = 1_000
const SYSTEM: Actor = { kind: 'system', component: 'bench' }

export async function run({ args, log }: BenchContext): Promise<BenchResult> {
  const commands = Number(args.find((a) => a.startsWith('--commands='))?.slice(11) ?? COMMANDS)
  const bigTree = Number(args.find((a) => a.startsWith('--leaves='))?.slice(9) ?? BIG_TREE)
  const bench = await openBenchDatabase('audit')
  let onRate = 0
  let offRate = 0
  let lag = { p50: 0, p99: 0, max: 0 }
  try {
    log(`database: ${bench.label}`)
    log(machineLoad())
    const app = benchApp(bench.database)
    const agents = await setUp(app)
    log(`${AGENTS} agents, ${NUMBERS_PER_AGENT} numbers each; ${commands.toLocaleString('en')} commands per run`)
    await drive(app, agents, WARM_UP)
    await integrateAll(app.db)

    // Rounds alternate, so the machine's load and the tables' growth weigh on both the same way.
    let onSeconds = 0
    let offSeconds = 0
    let checkpointsSigned = 0
    const lags: { from: number; to: number }[] = []
    const perRound = Math.ceil(commands / ROUNDS)
    for (let round = 0; round < ROUNDS; round++) {
      // With the log running as in the server: a pass right after each command (event-driven, no fast timer).
      const service = startAuditLog(app)
      await service.idle()
      const before = await checkpointCount(app)
      const from = await sizeOf(app)
      const onStart = performance.now()
      await drive(app, agents, perRound)
      onSeconds += secondsSince(onStart)
      await service.idle()
      await service.stop()
      await integrateAll(app.db)
      lags.push({ from, to: await sizeOf(app) })
      checkpointsSigned += (await checkpointCount(app)) - before

      // The same commands, nothing integrating; the backlog is integrated afterwards, untimed.
      await settle(bench)
      const offStart = performance.now()
      await drive(app, agents, perRound)
      offSeconds += secondsSince(offStart)
      await integrateAll(app.db)
      await settle(bench)
    }
    const total = perRound * ROUNDS
    onRate = total / onSeconds
    offRate = total / offSeconds
    lag = await lagOf(app, lags)
    log(
      `integration on:  ${onSeconds.toFixed(2)} s, ${Math.round(onRate).toLocaleString('en')} leaves/s (each command one leaf)`,
    )
    log(`  integration lag (leaf time → integrated): p50 ${ms(lag.p50)}, p99 ${ms(lag.p99)}, max ${ms(lag.max)}`)
    log(`  ${checkpointsSigned} checkpoints signed (at most one a second under load)`)
    log(`integration off: ${offSeconds.toFixed(2)} s, ${Math.round(offRate).toLocaleString('en')} commands/s`)
  } finally {
    await bench.close()
  }

  const proofs = await timeProofs(bigTree, log, args.includes('--explain'))
  log(`load average at the end: ${loadavg()[0].toFixed(2)} (this run included)`)
  const ratio = onRate / offRate
  return {
    figure: { value: onRate, unit: 'leaves/s', digits: 0 },
    baseline: { value: offRate, unit: 'commands/s', digits: 0 },
    ratio,
    targets: [
      { name: 'leaves per second', met: onRate >= 1000, detail: `${Math.round(onRate)} (want ≥ 1,000)` },
      { name: 'ratio', met: ratio >= 0.5, detail: `${ratio.toFixed(2)} (want ≥ 0.5)` },
      { name: 'integration lag p99', met: lag.p99 <= 2, detail: `${ms(lag.p99)} (want ≤ 2 s)` },
      {
        name: `inclusion proof p99 on ${bigTree.toLocaleString('en')} leaves`,
        met: proofs.p99 < 0.005,
        detail: `${ms(proofs.p99)} (want < 5 ms)`,
      },
    ],
  }
}

const ms = (s: number) => `${(s * 1000).toFixed(1)} ms`

function benchApp(database: Database): App {
  const clock = new SystemClock()
  return {
    config: { ...loadConfig({}), logLevel: 'warn' },
    database,
    db: database.db,
    clock,
    deps: { db: database.db, clock },
    logger: pino({ level: 'warn' }),
  }
}

interface Agent {
  actor: StaffActor
  numbers: string[]
}

/** Agents (staff rows, audited) and a range whose numbers they take turns on. */
async function setUp(app: App): Promise<Agent[]> {
  const first = 85512300000
  const range = parseRange(`+${first}`, `+${first + AGENTS * NUMBERS_PER_AGENT - 1}`)
  await runCommand(app.deps, SYSTEM, (ctx) => importRange(ctx, range, 'standard'))
  const agents: Agent[] = []
  for (let a = 0; a < AGENTS; a++) {
    const id = randomUUID()
    const username = `bench.agent${a}.${id.slice(0, 6)}`
    await runCommand(app.deps, SYSTEM, async (ctx) => {
      // Agents with a role come only by an executed role_grant (migration 037): the bench stands in for that history
      // as the owner (its login), as test/helpers/owner-fixture.ts does.
      await sql`SET LOCAL ROLE NONE`.execute(ctx.tx)
      await ctx.tx
        .insertInto('staff')
        .values({
          id,
          username,
          display_name: username,
          password_hash: 'x',
          status: 'active',
          roles: ['agent'],
          created_at: ctx.now,
          updated_at: ctx.now,
        })
        .execute()
      return audited(id, [
        await recordAudit(ctx, { action: 'staff.created', after: { staff_id: id, roles: ['agent'] } }),
      ])
    })
    const actor: StaffActor = {
      kind: 'staff',
      staffId: id,
      sessionId: randomUUID(),
      username,
      roles: ['agent'],
      shopId: null,
      client: {},
    }
    const numbers = Array.from({ length: NUMBERS_PER_AGENT }, (_, i) => `+${first + a * NUMBERS_PER_AGENT + i}`)
    agents.push({ actor, numbers })
  }
  return agents
}

/** `count` commands, alternately reserving and releasing each agent's numbers, the agents running concurrently. */
async function drive(app: App, agents: Agent[], count: number): Promise<void> {
  const perAgent = Math.ceil(count / agents.length / 2)
  await Promise.all(
    agents.map(async (agent) => {
      for (let i = 0; i < perAgent; i++) {
        const msisdn = agent.numbers[i % agent.numbers.length]
        await runCommand(app.deps, agent.actor, (ctx) => reserveNumber(ctx, agent.actor, msisdn, 30))
        await runCommand(app.deps, agent.actor, (ctx) => releaseNumber(ctx, agent.actor, msisdn))
      }
    }),
  )
}

async function sizeOf(app: App): Promise<number> {
  const row = await app.db.selectFrom('audit_log_state').select('size').executeTakeFirstOrThrow()
  return Number(row.size)
}

/** Percentiles of (integrated_at − the leaf's own time) for the leaves of the given index ranges, in seconds. */
async function lagOf(app: App, ranges: { from: number; to: number }[]) {
  const from = ranges.map((r) => r.from)
  const to = ranges.map((r) => r.to)
  const { rows } = await sql<{ p50: number; p99: number; max: number }>`
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY s) AS p99,
           max(s) AS max
      FROM (SELECT extract(epoch FROM l.integrated_at - l.at)::float8 AS s
              FROM audit_leaves l JOIN unnest(${from}::bigint[], ${to}::bigint[]) AS r(f, t) ON l.index >= r.f AND l.index < r.t) x`.execute(
    app.db,
  )
  return { p50: Number(rows[0].p50), p99: Number(rows[0].p99), max: Number(rows[0].max) }
}

async function checkpointCount(app: App): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_checkpoints`.execute(app.db)
  return rows[0].n
}

async function settle(bench: BenchDatabase): Promise<void> {
  if (bench.database.kind === 'postgres') await bench.asOwner('CHECKPOINT')
}

/** Builds a tree of `n` leaves as the owner (set-based, in one transaction), signs it, and times 1,000 proofs. */
async function timeProofs(
  n: number,
  log: (line?: string) => void,
  explain: boolean,
): Promise<{ p50: number; p99: number }> {
  const bench = await openBenchDatabase('audit-proofs')
  try {
    const built = performance.now()
    await bench.asOwner(buildTreeSql(n))
    const db = bench.database.db
    await integrateAll(db)
    const signed = await signLatestCheckpoint(db, loadSigner({}), new Date())
    if (!signed || signed.size !== n) throw new Error(`expected a checkpoint of size ${n}, got ${signed?.size}`)
    log(`proof tree: ${n.toLocaleString('en')} leaves built, checked and signed in ${secondsSince(built).toFixed(1)} s`)
    for (let i = 0; i < 100; i++) await proveLeafInclusion(db, { index: (i * 7919) % n }) // warm the caches
    const times: number[] = []
    let x = 12345
    for (let i = 0; i < PROOFS; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0
      const index = x % n
      const start = performance.now()
      const answer = await proveLeafInclusion(db, { index })
      times.push(secondsSince(start))
      if (i % 100 === 0)
        verifyInclusion(leafHash(bytes(answer.leaf.leaf)), index, answer.size, answer.proof, answer.root)
    }
    times.sort((a, b) => a - b)
    if (explain) await explainProof(db, n, log)
    const p50 = times[Math.floor(times.length * 0.5)]
    const p99 = times[Math.floor(times.length * 0.99)]
    log(
      `inclusion proof (leaf, checkpoint, O(log n) nodes) over ${PROOFS} random leaves: p50 ${ms(p50)}, p99 ${ms(p99)}`,
    )
    return { p50, p99 }
  } finally {
    await bench.close()
  }
}

/** Leaves, every complete subtree and the head, in SQL, as the owner: what integrating a million records leaves. */
function buildTreeSql(n: number): string {
  return `
  DO $$
  DECLARE lvl int := 1; n bigint := ${n};
  BEGIN
    PERFORM set_config('numguard.audit_writer', txid_current()::text, true);
    INSERT INTO audit_leaves (index, event_id, seq, txid, at, action, leaf, leaf_hash, integrated_at)
    SELECT i, md5('bench' || i)::uuid, 1000000000 + i, 0, now(), 'bench.leaf', l, sha256('\\x00'::bytea || l), now()
      FROM generate_series(0, n - 1) i,
           LATERAL (SELECT convert_to('{"action":"bench.leaf","event_id":"' || md5('bench' || i)::uuid || '","i":' || i ||
                                      ',"v":"numguard-leaf/1"}', 'UTF8') AS l) leaf;
    INSERT INTO audit_tree_nodes (level, index, hash) SELECT 0, index, leaf_hash FROM audit_leaves WHERE index < n;
    WHILE (n >> lvl) > 0 LOOP
      INSERT INTO audit_tree_nodes (level, index, hash)
      SELECT lvl, i, sha256('\\x01'::bytea || l.hash || r.hash)
        FROM generate_series(0, (n >> lvl) - 1) i
        JOIN audit_tree_nodes l ON l.level = lvl - 1 AND l.index = 2 * i
        JOIN audit_tree_nodes r ON r.level = lvl - 1 AND r.index = 2 * i + 1;
      lvl := lvl + 1;
    END LOOP;
    INSERT INTO audit_tree_heads (size, root, integrated_at) VALUES (n, audit_root_at(n), now());
    UPDATE audit_log_state SET size = n, root = audit_root_at(n), updated_at = now();
  END $$;
  ANALYZE audit_leaves; ANALYZE audit_tree_nodes`
}

/** EXPLAIN ANALYZE of the one query that reads a proof's nodes (`--explain`). */
async function explainProof(db: Database['db'], n: number, log: (line?: string) => void): Promise<void> {
  let coords: NodeCoord[] = []
  await inclusionProof(Math.floor(n / 3), n, async (c) => {
    coords = [...c]
    return c.map(() => Buffer.alloc(32))
  })
  const { rows } = await sql<{ 'QUERY PLAN': string }>`EXPLAIN (ANALYZE, BUFFERS)
    SELECT c.o, t.hash
      FROM unnest(${coords.map((c) => c.level)}::smallint[], ${coords.map((c) => c.index)}::bigint[]) WITH ORDINALITY AS c(level, index, o)
      JOIN audit_tree_nodes t ON t.level = c.level AND t.index = c.index
     ORDER BY c.o`.execute(db)
  for (const r of rows) log(`  ${r['QUERY PLAN']}`)
}
