// `numguard audit reconcile [--last] [--json]`: asks the server to rebuild every number from the audit leaves and
// compare it with the tables (or shows the last run); exits 1 when any number differs.
import type { Command } from 'commander'
import { type Api, withApi } from './api-client.ts'
import type { GlobalOptions } from './commands.ts'
import { count } from './format.ts'

interface Run {
  at: string
  trigger: string
  leaves_read: number
  numbers_checked: number
  migrated: number
  differences: number
  alerts_raised?: number
  details: {
    msisdn: string
    fields: { field: string; log: string | null; table: string | null }[]
    leaf: { index: number | null; eventId: string; action: string } | null
    transactions: { xid: string; leaves: { event_id: string; action: string }[] }[]
  }[]
}

export function registerAuditReconcile(audit: Command, globals: () => GlobalOptions): void {
  audit
    .command('reconcile')
    .description(
      "rebuild every number's holder, SIM and state from the audit leaves alone and compare with the tables (each difference is a risk alert)",
    )
    .option('--last', 'show the last run instead of running one')
    .option('--json', 'print JSON')
    .action((o: { last?: boolean; json?: boolean }) =>
      withApi({ ...globals() }, async (api: Api) => {
        const run = o.last
          ? (await api.request<{ last: Run | null }>('GET', '/api/v1/audit/reconcile')).last
          : await api.request<Run>('POST', '/api/v1/audit/reconcile')
        if (o.json) return console.log(JSON.stringify(run, null, 2))
        if (!run) return console.log('no reconciliation has run yet')
        printRun(run)
        if (run.differences > 0) process.exitCode = 1
      }),
    )
}

function printRun(run: Run): void {
  const migrated = run.migrated > 0 ? ` (${count(run.migrated)} carried in by a migration batch)` : ''
  console.log(
    `${run.at} (${run.trigger}): ${count(run.numbers_checked)} numbers checked${migrated} against ${count(run.leaves_read)} leaves: ${count(run.differences)} difference${run.differences === 1 ? '' : 's'}`,
  )
  for (const d of run.details) {
    const fields = d.fields.map((f) => `${f.field}: log ${f.log ?? '—'}, table ${f.table ?? '—'}`).join('; ')
    const leaf = d.leaf ? `last leaf ${d.leaf.index ?? 'queued'} ${d.leaf.action}` : 'no leaf names it'
    const txs = d.transactions
      .map((t) => `tx ${t.xid}: ${t.leaves.length ? t.leaves.map((l) => l.action).join(', ') : 'no leaf'}`)
      .join('; ')
    console.log(`✗ ${d.msisdn}  ${fields}  (${leaf}; ${txs})`)
  }
  if (run.details.length < run.differences)
    console.log(`… and ${count(run.differences - run.details.length)} more (see the alerts)`)
}
