// The demo data set: three shops, staff of every role, machine clients, 10,100 numbers with years of custody
// history, ~3,000 subscribers and ~4,000 SIMs, loaded in one audited transaction through the one write path.
import { randomUUID } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import { audited, type CommandDeps, recordAudit, runCommand } from '../audit/index.ts'
import { DEMO_KYC_KEY } from '../config.ts'
import type { DB } from '../db/types.ts'
import { ConflictError } from '../domain/errors.ts'
import { NUMBER_STATES, type NumberState, SIM_STATES, type SimState } from '../domain/lifecycle.ts'
import { hashDemoSecrets, insertDemoAccounts } from './seed-accounts.ts'
import { ICCID_PREFIX, loadHoldings } from './seed-holdings.ts'
import { GOLDEN_FIRST, GOLDEN_SIZE, makePlan, STANDARD_FIRST } from './seed-plan.ts'
import { loadRecyclingHistory } from './seed-recycling.ts'

export {
  DEMO_CREDENTIALS,
  DEMO_MACHINE_CLIENTS,
  DEMO_SHOPS,
  type DemoCredential,
  type DemoMachineClient,
} from './seed-accounts.ts'
export { demoKycHash } from './seed-holdings.ts'

export const DEMO_SEEDED_KEY = 'demo_seeded'

export interface DemoSummary {
  numbers: { total: number; byState: Record<NumberState, number> }
  subscribers: number
  sims: { total: number; byState: Record<SimState, number> }
  custodies: { open: number; ended: number }
  simBindings: number
  staff: number
  shops: number
  machineClients: number
  ranges: { first: string; last: string; category: 'standard' | 'golden'; size: number }[]
  migrationBatchId: string
  /** Last top-ups sent through the charging feed, usage events, numbers ageing (in the disconnection register). */
  recycling: {
    topups: number
    usage: number
    ageing: number
    registered: number
    reclaimSample: { msisdn: string; kyc_doc_number: string } | null
  }
  /** One number of each state present, and one held number with a former holder: handy starting points for a demo. */
  samples: Partial<Record<NumberState | 'with_former_holder', string>>
}

/** True once the demo data set has been loaded into this database. */
export async function isSeeded(db: Kysely<DB>): Promise<boolean> {
  const row = await db.selectFrom('settings').select('key').where('key', '=', DEMO_SEEDED_KEY).executeTakeFirst()
  return row !== undefined
}

export async function seedDemo(
  deps: CommandDeps,
  /** secretKey: the app's NUMGUARD_KYC_KEY, which seals the demo accounts' TOTP secrets (default: the demo key). */
  options: { rangeSize?: number; secretKey?: string } = {},
): Promise<DemoSummary> {
  const plan = makePlan(options.rangeSize)
  const hashes = await hashDemoSecrets()
  // Scopes the derived subscriber ids to this seeding, so they are not guessable from the layout alone.
  const salt = randomUUID()
  return runCommand(deps, { kind: 'system', component: 'demo-seed' }, async (ctx) => {
    if (await isSeeded(ctx.tx)) throw new ConflictError('demo_already_seeded', 'The demo data set is already loaded')
    // Demo accounts have published passwords: never mix them into a database that already holds real records.
    const used = await sql<{ n: number }>`
      SELECT (SELECT count(*) FROM staff) + (SELECT count(*) FROM number_ranges) + (SELECT count(*) FROM shops) AS n`.execute(
      ctx.tx,
    )
    if (Number(used.rows[0].n) > 0) {
      throw new ConflictError(
        'database_not_empty',
        'The demo data set loads only into an empty database (this one has staff, shops or ranges)',
      )
    }
    const accounts = await insertDemoAccounts(ctx, hashes, options.secretKey ?? DEMO_KYC_KEY)
    const holdings = await loadHoldings(ctx, plan, salt)
    const { receipts: activityReceipts, ...recycling } = await loadRecyclingHistory(ctx, plan)
    const standardLast = STANDARD_FIRST + BigInt(plan.rangeSize - 1)
    const goldenLast = GOLDEN_FIRST + BigInt(GOLDEN_SIZE - 1)
    const summary: DemoSummary = {
      ...(await countHoldings(ctx.tx, holdings.rangeIds)),
      subscribers: holdings.subscribers,
      custodies: await countCustodies(ctx.tx, holdings.migrationBatchId),
      simBindings: holdings.bindings,
      ...accounts,
      ranges: [
        { first: `+${STANDARD_FIRST}`, last: `+${standardLast}`, category: 'standard', size: plan.rangeSize },
        { first: `+${GOLDEN_FIRST}`, last: `+${goldenLast}`, category: 'golden', size: GOLDEN_SIZE },
      ],
      migrationBatchId: holdings.migrationBatchId,
      recycling,
      samples: await sampleNumbers(ctx.tx, holdings.rangeIds),
    }
    const counts = {
      numbers: summary.numbers,
      subscribers: summary.subscribers,
      sims: summary.sims,
      custodies: summary.custodies,
      sim_bindings: summary.simBindings,
      staff: summary.staff,
      shops: summary.shops,
      machine_clients: summary.machineClients,
      // Counts only: the reclaim sample names a document number, which never goes into the audit log.
      recycling: {
        topups: recycling.topups,
        usage: recycling.usage,
        ageing: recycling.ageing,
        registered: recycling.registered,
      },
    }
    await ctx.tx
      .insertInto('settings')
      .values({ key: DEMO_SEEDED_KEY, value: JSON.stringify({ seeded_at: ctx.now.toISOString(), ...counts }) })
      .execute()
    const receipt = await recordAudit(ctx, {
      action: 'demo.seeded',
      basis: holdings.migrationBatchId,
      after: { ranges: summary.ranges, migration_batch_id: holdings.migrationBatchId },
      data: counts,
    })
    return audited(summary, [receipt, ...activityReceipts])
  })
}

type Reader = Kysely<DB>

async function countHoldings(db: Reader, rangeIds: string[]): Promise<Pick<DemoSummary, 'numbers' | 'sims'>> {
  const numbers = await sql<{ state: NumberState; n: number }>`
    SELECT state, count(*)::int AS n FROM numbers WHERE range_id = ANY (${rangeIds}::uuid[]) GROUP BY state`.execute(db)
  const sims = await sql<{ state: SimState; n: number }>`
    SELECT state, count(*)::int AS n FROM sims WHERE starts_with(iccid, ${ICCID_PREFIX}) GROUP BY state`.execute(db)
  const numberStates = tally(NUMBER_STATES, numbers.rows)
  const simStates = tally(SIM_STATES, sims.rows)
  return {
    numbers: { total: sum(numberStates), byState: numberStates },
    sims: { total: sum(simStates), byState: simStates },
  }
}

async function countCustodies(db: Reader, batchId: string): Promise<DemoSummary['custodies']> {
  const { rows } = await sql<{ open: number; ended: number }>`
    SELECT count(*) FILTER (WHERE ended_at IS NULL)::int AS open, count(*) FILTER (WHERE ended_at IS NOT NULL)::int AS ended
    FROM custodies WHERE migration_batch_id = ${batchId}::uuid`.execute(db)
  return rows[0]
}

async function sampleNumbers(db: Reader, rangeIds: string[]): Promise<DemoSummary['samples']> {
  const { rows } = await sql<{ kind: NumberState | 'with_former_holder'; msisdn: string }>`
    SELECT state AS kind, min(msisdn) AS msisdn FROM numbers
    WHERE range_id = ANY (${rangeIds}::uuid[]) AND category = 'standard' GROUP BY state
    UNION ALL
    SELECT 'with_former_holder', min(c.msisdn) FROM custodies c
    JOIN numbers n ON n.msisdn = c.msisdn AND n.state = 'active'
    WHERE c.ended_at IS NOT NULL AND n.range_id = ANY (${rangeIds}::uuid[])`.execute(db)
  return Object.fromEntries(rows.filter((r) => r.msisdn).map((r) => [r.kind, r.msisdn]))
}

function tally<S extends string>(states: readonly S[], rows: { state: S; n: number }[]): Record<S, number> {
  const out = Object.fromEntries(states.map((s) => [s, 0])) as Record<S, number>
  for (const r of rows) out[r.state] = r.n
  return out
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0)
}
