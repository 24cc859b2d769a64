// `numguard report …`: regulator files, written by the server (so the register marks what each file carried) and
// saved where the operator asks.
import { readFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { type Command, InvalidArgumentError } from 'commander'
import { ConflictError } from '../domain/errors.ts'
import { type MonthlyReport, monthlyCsv } from '../reports/index.ts'
import { type Api, withApi } from './api-client.ts'
import type { GlobalOptions } from './commands.ts'

interface ReportFile {
  month: string
  cutoff_on: string
  file_name: string
  file_sha256: string
  disconnections: number
  cancellations: number
  created: boolean
  content: string
}

const pdfOrCsv = (v: string) => {
  if (v !== 'csv' && v !== 'pdf') throw new InvalidArgumentError('It must be csv or pdf.')
  return v
}

const pdfOrJson = (v: string) => {
  if (v !== 'json' && v !== 'pdf') throw new InvalidArgumentError('It must be pdf or json.')
  return v
}

/** A report's bytes as the server wrote them (a PDF), or its refusal. */
export async function download(api: Api, path: string): Promise<Buffer> {
  const res = await api.raw('GET', path)
  if (!res.ok) throw api.refusal(res.status, await api.readJson(res), path)
  return Buffer.from(await res.arrayBuffer())
}

const month = (v: string) => {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(v.trim())) throw new InvalidArgumentError('It must be a month, YYYY-MM.')
  return v.trim()
}

export function reportCommands(program: Command, globals: () => GlobalOptions): void {
  const report = program.command('report').description('regulator reports')
  report
    .command('monthly')
    .description(
      "the regulator's monthly report: numbers warned, suspended, withdrawn, reclaimed, recycled; warnings delivered and failed; transfers and SIM swaps; alerts by staff member; partner checks; the signed checkpoint covering the month's leaves",
    )
    .requiredOption('-m, --month <month>', "the month, YYYY-MM (in the operator's time zone)", month)
    .option('-f, --format <format>', 'csv, or pdf (English and Khmer labels, written by the server)', pdfOrCsv, 'csv')
    .option('-o, --out <file>', 'where to save the file (default: ./numguard-monthly-YYYY-MM.csv or .pdf)')
    .option('--json', 'print the whole report as JSON instead')
    .action((o) => monthly({ ...globals(), month: o.month, format: o.format, out: o.out, json: o.json }))
  report
    .command('incident')
    .description(
      "the regulator's account of one case: summary, SLA figures, the numbers' history from the audit log with each inclusion proof checked, holds, restoration, compensation offers, findings, measures, the signed checkpoint",
    )
    .argument('<case>', 'the case id or reference (e.g. KH-2026-000001)')
    .option('-f, --format <format>', 'pdf (English and Khmer labels) or json', pdfOrJson, 'pdf')
    .option('-o, --out <file>', 'where to save it (default: ./numguard-incident-REFERENCE.pdf or .json)')
    .action((ref, o) => incident({ ...globals(), ref, format: o.format, out: o.out }))
  report
    .command('disconnections')
    .description(
      'write the monthly permanent-disconnection file (US RND convention: disconnections through the 10th not in an earlier file, plus cancellations); a re-run gives the same file',
    )
    .requiredOption('-m, --month <month>', 'the month, YYYY-MM (its file covers through the 10th)', month)
    .option('-o, --out <file>', 'where to save the CSV (default: ./disconnections-YYYY-MM.csv)')
    .option('--json', 'print the result as JSON (without the CSV)')
    .action((o) => disconnections({ ...globals(), month: o.month, out: o.out, json: o.json }))
}

async function disconnections(o: GlobalOptions & { month: string; out?: string; json?: boolean }) {
  await withApi(o, async (api) => {
    const report = await api.request<ReportFile>('POST', '/api/v1/reports/disconnections', { month: o.month })
    const path = resolve(o.out ?? report.file_name)
    const existing = await readFile(path, 'utf8').catch(() => null)
    // Never overwrite a different file silently: it may be one that was already submitted.
    if (existing !== null && existing !== report.content) {
      throw new ConflictError(
        'file_exists',
        `${path} exists and differs from the ${o.month} file; move it away or give --out`,
      )
    }
    if (existing === null) await writeFile(path, report.content, { mode: 0o640 })
    const { content: _content, ...summary } = report
    if (o.json) return console.log(JSON.stringify({ ...summary, path }, null, 2))
    console.log(
      `${report.file_name}: ${report.disconnections} disconnection(s) and ${report.cancellations} cancellation(s) ` +
        `through ${report.cutoff_on}${report.created ? '' : ' (the file written earlier)'}`,
    )
    console.log(`SHA-256 ${report.file_sha256}`)
    console.log(`saved to ${path}`)
  })
}

async function monthly(o: GlobalOptions & { month: string; format: 'csv' | 'pdf'; out?: string; json?: boolean }) {
  await withApi(o, async (api) => {
    if (o.format === 'pdf' && !o.json) {
      const pdf = await download(api, `/api/v1/reports/monthly?month=${o.month}&format=pdf`)
      const path = resolve(o.out ?? `numguard-monthly-${o.month}.pdf`)
      await writeFile(path, pdf, { mode: 0o640 })
      console.log(`${o.month}: PDF, ${pdf.length} bytes, English and Khmer labels`)
      console.log(`saved to ${path}`)
      return
    }
    const r = await api.request<MonthlyReport>('GET', `/api/v1/reports/monthly?month=${o.month}`)
    if (o.json) return console.log(JSON.stringify(r, null, 2))
    const path = resolve(o.out ?? `numguard-monthly-${r.month}.csv`)
    await writeFile(path, monthlyCsv(r), { mode: 0o640 })
    const c = r.counts
    const range = r.leaves.first_index === null ? 'no leaves' : `leaves ${r.leaves.first_index}–${r.leaves.last_index}`
    console.log(`${r.month} (${r.time_zone}), ${range}${r.checkpoint ? `, checkpoint ${r.checkpoint.size}` : ''}`)
    if (!r.complete) console.log('not final: the month has not ended, or its leaves are not all in a signed checkpoint')
    console.log(
      `numbers warned ${c.numbers.warned}, suspended ${c.numbers.suspended}, withdrawn ${c.numbers.withdrawn}, ` +
        `reclaimed ${c.numbers.reclaimed}, recycled ${c.numbers.recycled}`,
    )
    console.log(
      `warnings delivered ${c.warnings.delivered}, undelivered ${c.warnings.undelivered}, failed ${c.warnings.failed}`,
    )
    console.log(
      `transfers ${c.transfers.executed}; SIM swaps ${c.sim_swaps.with_holder_reply} with the holder's reply, ` +
        `${c.sim_swaps.without_holder_reply} without; alerts ${c.alerts.raised} (+${c.alerts.repeats} repeats); ` +
        `partner checks ${r.partner.checks}`,
    )
    console.log(`saved to ${path}`)
  })
}

interface IncidentSummary {
  case: { id: string; reference: string; status: string }
  timeline: unknown[]
  proofs: { verified: number; awaiting_checkpoint: number; failed: number }
  checkpoint: { size: number } | null
}

async function incident(o: GlobalOptions & { ref: string; format: 'pdf' | 'json'; out?: string }) {
  await withApi(o, async (api) => {
    const path = `/api/v1/reports/incident/${encodeURIComponent(o.ref)}`
    const r = await api.request<IncidentSummary>('GET', path)
    const out = resolve(o.out ?? `numguard-incident-${r.case.reference}.${o.format}`)
    if (o.format === 'pdf') await writeFile(out, await download(api, `${path}?format=pdf`), { mode: 0o640 })
    else await writeFile(out, `${JSON.stringify(r, null, 2)}\n`, { mode: 0o640 })
    const p = r.proofs
    console.log(
      `${r.case.reference} (${r.case.status}): ${r.timeline.length} leaves, ${p.verified} proofs verified, ` +
        `${p.awaiting_checkpoint} awaiting a checkpoint, ${p.failed} failed${r.checkpoint ? `; checkpoint ${r.checkpoint.size}` : ''}`,
    )
    console.log(`saved to ${out}`)
  })
}
