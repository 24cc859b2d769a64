// The regulator's monthly report: the month's counts from the audit leaves (monthly-counts.ts), the partner checks
// from the partner access log, and the latest signed checkpoint with the leaf range the counts cover, so anyone can
// recompute each count from an audit export of that range. Read-only: it can be asked for again at any time, and a
// month that has not ended, or whose leaves are not all in the tree yet, says so.
import { type Kysely, sql } from 'kysely'
import { latestCheckpoint, queueStatus } from '../audit/index.ts'
import type { DB } from '../db/types.ts'
import { ValidationError } from '../domain/errors.ts'
import { addDays, localDate, localInstant } from '../domain/zoned-time.ts'
import { type PartnerCounts, partnerCounts } from '../partner/index.ts'
import { MonthCounter, type MonthlyCounts, type ReportLeaf } from './monthly-counts.ts'

type Reader = Kysely<DB>

/** Leaves read per query: a month of millions of leaves never sits in memory at once. */
const WINDOW = 5_000

export interface MonthlyReport {
  month: string
  time_zone: string
  from: string
  to: string
  /** False while the month has not ended or some of its leaves still wait to enter the tree. */
  complete: boolean
  leaves: { first_index: number | null; last_index: number | null; waiting_in_queue: boolean }
  checkpoint: { size: number; signed_at: string; note: string } | null
  counts: MonthlyCounts
  partner: PartnerCounts
  generated_at: string
}

export function monthBounds(month: string, timeZone: string): { from: Date; to: Date } {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new ValidationError('month', 'month must be YYYY-MM, e.g. 2026-04')
  const next = addDays(`${month}-28`, 7).slice(0, 7)
  return { from: localInstant(`${month}-01`, timeZone), to: localInstant(`${next}-01`, timeZone) }
}

/** The month before the one `now` falls in, in `timeZone`: the report a regulator asks for. */
export function previousMonth(now: Date, timeZone: string): string {
  return addDays(`${localDate(now, timeZone).slice(0, 7)}-01`, -1).slice(0, 7)
}

async function* monthLeaves(db: Reader, first: number, last: number): AsyncGenerator<ReportLeaf> {
  for (let start = first; start <= last; start += WINDOW) {
    const rows = await db
      .selectFrom('audit_leaves')
      .select('leaf')
      .where('index', '>=', start)
      .where('index', '<', Math.min(start + WINDOW, last + 1))
      .orderBy('index')
      .execute()
    for (const r of rows) yield JSON.parse(Buffer.from(r.leaf).toString('utf8')) as ReportLeaf
  }
}

export async function monthlyReport(db: Reader, month: string, timeZone: string, now: Date): Promise<MonthlyReport> {
  const { from, to } = monthBounds(month, timeZone)
  const range = await db
    .selectFrom('audit_leaves')
    .select([sql<string | null>`min(index)`.as('first'), sql<string | null>`max(index)`.as('last')])
    .where('at', '>=', from)
    .where('at', '<', to)
    .executeTakeFirstOrThrow()
  const queue = await queueStatus(db)
  const waiting = queue.oldest !== null && queue.oldest < to
  const first = range.first === null ? null : Number(range.first)
  const last = range.last === null ? null : Number(range.last)
  const counter = new MonthCounter(from.toISOString(), to.toISOString())
  if (first !== null && last !== null) for await (const leaf of monthLeaves(db, first, last)) counter.add(leaf)
  const checkpoint = await latestCheckpoint(db)
  const covers = checkpoint && (last === null || checkpoint.size > last)
  return {
    month,
    time_zone: timeZone,
    from: from.toISOString(),
    to: to.toISOString(),
    complete: now >= to && !waiting && Boolean(covers),
    leaves: { first_index: first, last_index: last, waiting_in_queue: waiting },
    checkpoint:
      checkpoint && covers
        ? { size: checkpoint.size, signed_at: checkpoint.signed_at.toISOString(), note: checkpoint.note }
        : null,
    counts: counter.result(),
    partner: await partnerCounts(db, from, to),
    generated_at: now.toISOString(),
  }
}

const csvCell = (v: string | number | boolean | null) => {
  const text = v === null ? '' : String(v)
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** The report as CSV (RFC 4180, CRLF): `section,item,value`, one row per figure; the checkpoint note is left out. */
export function monthlyCsv(r: MonthlyReport): string {
  const rows: [string, string, string | number | boolean | null][] = [
    ['report', 'month', r.month],
    ['report', 'time_zone', r.time_zone],
    ['report', 'from', r.from],
    ['report', 'to', r.to],
    ['report', 'complete', r.complete],
    ['leaves', 'first_index', r.leaves.first_index],
    ['leaves', 'last_index', r.leaves.last_index],
    ['leaves', 'counted', r.counts.leaves_counted],
    ['checkpoint', 'size', r.checkpoint?.size ?? null],
    ['checkpoint', 'signed_at', r.checkpoint?.signed_at ?? null],
  ]
  const c = r.counts
  for (const section of ['numbers', 'warnings', 'transfers', 'sim_swaps', 'cases'] as const)
    for (const [item, n] of Object.entries(c[section])) rows.push([section, item, n])
  rows.push(['alerts', 'raised', c.alerts.raised], ['alerts', 'repeats', c.alerts.repeats])
  for (const [kind, n] of Object.entries(c.alerts.by_kind).sort()) rows.push(['alerts_by_kind', kind, n])
  for (const s of c.alerts.by_staff) rows.push(['alerts_by_staff', s.username ?? s.staff_id, s.raised + s.repeats])
  for (const [category, n] of Object.entries(c.complaints_by_category).sort())
    rows.push(['complaints_by_category', category, n])
  rows.push(['partner', 'checks', r.partner.checks])
  for (const [op, n] of Object.entries(r.partner.by_operation).sort()) {
    rows.push(['partner_answered', op, n.answered], ['partner_refused', op, n.refused])
  }
  for (const cl of r.partner.by_client) rows.push(['partner_by_client', cl.client_id, cl.checks])
  return ['section,item,value', ...rows.map((row) => row.map(csvCell).join(','))].map((l) => `${l}\r\n`).join('')
}
