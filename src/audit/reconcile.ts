// `numguard audit reconcile` and the worker's hourly pass: rebuild every number's state, holder and SIM from the
// leaves (src/audit/rebuild.ts), compare with the tables in one snapshot, and raise a risk alert for each number that
// differs, naming the rows and the transaction that last wrote them (with that transaction's leaves, or none).
import { createHash, randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import type { App } from '../app.ts'
import type { Actor } from '../domain/actor.ts'
import { raiseAlert } from './alerts.ts'
import { expectedState, type LeafRef, type NumberState, type Rebuilt, rebuildNumbers } from './rebuild.ts'
import {
  alertExists,
  countLeaves,
  currentHoldings,
  custodiesByIds,
  type HoldingRow,
  insertReconcileRun,
  lastReconcileRun,
  leavesOfTransactions,
  numberLeaves,
  type ReconcileRunRow,
} from './reconcile-queries.ts'
import { type Audited, audited, type CommandContext, recordAudit } from './record.ts'
import { runCommand } from './run-command.ts'

export const RECONCILE_ALERT = 'audit_reconcile_difference'
/** The worker reconciles at least this often (issue 10: at least hourly). */
export const RECONCILE_INTERVAL_MS = 3_600_000
/** A run keeps this many differences in its row; every one of them still gets its alert. */
const KEPT_DIFFERENCES = 50
const RECONCILER: Actor = { kind: 'system', component: 'reconcile' }

export type ReconcileTrigger = 'cli' | 'worker' | 'api'
type Field = 'state' | 'holder' | 'custody' | 'sim' | 'number'

export interface RowRef {
  table: 'numbers' | 'custodies' | 'sim_bindings'
  id: string
  /** The transaction that last wrote the row (xmin). */
  xid: string
}

export interface Difference {
  msisdn: string
  fields: { field: Field; log: string | null; table: string | null }[]
  /** The last leaf that names the number (or its range); null: no leaf does. */
  leaf: LeafRef | null
  rows: RowRef[]
  /** Each row's transaction and the leaves it wrote: none means the change was made outside the application. */
  transactions: { xid: string; leaves: { event_id: string; action: string; leaf_index: number | null }[] }[]
}

export interface ReconcileSummary {
  id: string
  at: string
  trigger: ReconcileTrigger
  leaves_read: number
  numbers_checked: number
  /** Numbers carried in by a migration batch (its leaf names the batch, not each number): compared only where a later leaf spoke. */
  migrated: number
  differences: number
  alerts_raised: number
  details: Difference[]
}

const COMPARED: [Field, keyof NumberState, (r: HoldingRow) => string | null][] = [
  ['state', 'state', (r) => r.state],
  ['holder', 'holder', (r) => r.subscriber_id],
  ['custody', 'custodyId', (r) => r.custody_id],
  ['sim', 'iccid', (r) => r.iccid],
]

/** The comparison itself (pure): the tables' rows against the rebuilt numbers, in msisdn order. */
export function compareHoldings(
  rebuilt: Rebuilt,
  rows: HoldingRow[],
): { differences: Difference[]; checked: number; migrated: number } {
  const differences: Difference[] = []
  const seen = new Set<string>()
  let migrated = 0
  for (const row of rows) {
    seen.add(row.msisdn)
    const expected = expectedState(rebuilt, row.msisdn)
    if (row.migrated) migrated++
    // A migration batch's leaf names the batch, not each number: such a number is compared where a later leaf spoke.
    if (row.migrated && !expected?.stated) continue
    const compared = row.migrated ? COMPARED.filter(([, key]) => expected?.stated?.includes(key)) : COMPARED
    const fields = expected
      ? compared
          .filter(([, key, of]) => expected[key] !== of(row))
          .map(([field, key, of]) => ({
            field,
            log: expected[key],
            table: of(row),
          }))
      : [{ field: 'number' as const, log: null, table: row.state }]
    if (fields.length === 0) continue
    differences.push({
      msisdn: row.msisdn,
      fields,
      leaf: expected?.last ?? null,
      rows: rowsOf(row, fields),
      transactions: [],
    })
  }
  for (const [msisdn, n] of rebuilt.numbers) {
    if (seen.has(msisdn)) continue
    differences.push({
      msisdn,
      fields: [{ field: 'number', log: n.state, table: null }],
      leaf: n.last,
      rows: [],
      transactions: [],
    })
  }
  differences.sort((a, b) => (a.msisdn < b.msisdn ? -1 : a.msisdn > b.msisdn ? 1 : 0))
  return { differences, checked: rows.length, migrated }
}

function rowsOf(row: HoldingRow, fields: Difference['fields']): RowRef[] {
  const named = new Set(fields.map((f) => f.field))
  const rows: RowRef[] = [{ table: 'numbers', id: row.msisdn, xid: row.number_xid }]
  if ((named.has('holder') || named.has('custody')) && row.custody_id && row.custody_xid)
    rows.push({ table: 'custodies', id: row.custody_id, xid: row.custody_xid })
  if (named.has('sim') && row.binding_id && row.binding_xid)
    rows.push({ table: 'sim_bindings', id: row.binding_id, xid: row.binding_xid })
  return rows
}

/** Adds the custody rows the log holds open but the tables closed, and each row's transaction with its leaves. */
async function nameTransactions(ctx: CommandContext, differences: Difference[]): Promise<void> {
  const logCustodies = differences.flatMap((d) =>
    d.fields
      .filter((f) => f.field === 'custody' && f.log && !d.rows.some((r) => r.id === f.log))
      .map((f) => f.log as string),
  )
  const closed = new Map((await custodiesByIds(ctx.tx, logCustodies)).map((c) => [c.id, c]))
  for (const d of differences)
    for (const f of d.fields) {
      const c = f.field === 'custody' && f.log ? closed.get(f.log) : undefined
      if (c) d.rows.push({ table: 'custodies', id: c.id, xid: c.xid })
    }
  const xids = [...new Set(differences.flatMap((d) => d.rows.map((r) => r.xid)))]
  const byXid = new Map<string, Difference['transactions'][number]['leaves']>(xids.map((x) => [x, []]))
  for (const l of await leavesOfTransactions(ctx.tx, xids))
    byXid.get(l.xid)?.push({
      event_id: l.event_id,
      action: l.action,
      leaf_index: l.leaf_index === null ? null : Number(l.leaf_index),
    })
  for (const d of differences) {
    const mine = [...new Set(d.rows.map((r) => r.xid))]
    d.transactions = mine.map((xid) => ({ xid, leaves: byXid.get(xid) ?? [] }))
  }
}

/** One risk alert per differing number; a difference an earlier run already alerted on is not raised again. */
async function alertDifferences(ctx: CommandContext, runId: string, differences: Difference[]) {
  const system = { ...ctx, actor: RECONCILER }
  const receipts = []
  for (const d of differences) {
    const subject = `reconcile:${d.msisdn}:${createHash('sha256')
      .update(JSON.stringify([d.fields, d.rows]))
      .digest('hex')}`
    if (await alertExists(ctx.tx, RECONCILE_ALERT, subject)) continue
    const alert = await raiseAlert(system, {
      kind: RECONCILE_ALERT,
      severity: 'risk',
      msisdn: d.msisdn,
      subject,
      attempt: { action: 'reconcile', run_id: runId, ...d },
    })
    receipts.push(alert.receipt)
  }
  return receipts
}

/** Rebuilds from the leaves and compares, in one snapshot; keeps the run, raises the alerts, records the run's leaf. */
export async function reconcileNumbers(
  ctx: CommandContext,
  trigger: ReconcileTrigger,
): Promise<Audited<ReconcileSummary>> {
  // One snapshot for leaves and tables: a command's rows and its queued leaf commit together, so neither is seen alone.
  await sql`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`.execute(ctx.tx)
  const rebuilt = rebuildNumbers(await numberLeaves(ctx.tx))
  const { differences, checked, migrated } = compareHoldings(rebuilt, await currentHoldings(ctx.tx))
  await nameTransactions(ctx, differences)
  const leavesRead = await countLeaves(ctx.tx)
  const id = randomUUID()
  const alertReceipts = await alertDifferences(ctx, id, differences)
  const details = differences.slice(0, KEPT_DIFFERENCES)
  await insertReconcileRun(ctx.tx, {
    id,
    started_at: ctx.now,
    finished_at: ctx.now,
    trigger,
    leaves_read: String(leavesRead),
    numbers_checked: String(checked),
    migrated: String(migrated),
    differences: String(differences.length),
    details,
  })
  const counts = { numbers_checked: checked, migrated, differences: differences.length, leaves_read: leavesRead }
  const receipt = await recordAudit(ctx, {
    action: 'audit.reconciled',
    after: { run_id: id, ...counts },
    data: {
      trigger,
      alerts_raised: alertReceipts.length,
      differing: differences.slice(0, KEPT_DIFFERENCES).map((d) => d.msisdn),
    },
  })
  return audited({ id, at: ctx.now.toISOString(), trigger, ...counts, alerts_raised: alertReceipts.length, details }, [
    receipt,
    ...alertReceipts,
  ])
}

/** The last run, as the console and the API show it. */
export function presentRun(row: ReconcileRunRow) {
  return {
    id: row.id,
    at: new Date(row.finished_at).toISOString(),
    trigger: row.trigger,
    leaves_read: Number(row.leaves_read),
    numbers_checked: Number(row.numbers_checked),
    migrated: Number(row.migrated),
    differences: Number(row.differences),
    details: row.details as Difference[],
  }
}

export async function lastReconcile(app: App) {
  const row = await lastReconcileRun(app.db)
  return row ? presentRun(row) : null
}

/** The worker's pass: a run when none ran within RECONCILE_INTERVAL_MS of the injected clock. Returns 1 when it ran. */
export async function reconcileIfDue(app: App): Promise<number> {
  const last = await lastReconcileRun(app.db)
  if (last && app.clock.now().getTime() - new Date(last.started_at).getTime() < RECONCILE_INTERVAL_MS) return 0
  await runCommand(app.deps, RECONCILER, (ctx) => reconcileNumbers(ctx, 'worker'))
  return 1
}
