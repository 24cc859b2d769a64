// The monthly permanent-disconnection file, after the US Reassigned Numbers Database (RND) convention:
//
// - The file for month M is due by the 15th of M and carries disconnections dated up to and including the 10th of M
//   (the cut-off, a calendar day in the operator's time zone). It can be written once the 10th has ended there.
// - It is incremental: only disconnections no earlier file carried (normally those from the 11th of M-1 through the
//   10th of M; one recorded late, dated before an earlier cut-off, goes in the next file written).
// - A disconnection that a reclaim or a reinstatement cancelled before any file carried it never appears. One that
//   was cancelled after a file carried it appears in the next file as a `cancelled` line (a correction).
// - Each file is written once: a re-run for the same month returns the stored file, byte for byte. Files are written
//   in month order (a month before the latest file written is refused: its rows went into a later file).
//
// CSV (RFC 4180, CRLF): `number,disconnection_date,record`. number: the E.164 number as digits, without `+` (the RND
// takes a digits-only TN; a leading `+` also reads as a formula in spreadsheets); disconnection_date: YYYY-MM-DD;
// record: `disconnected` or `cancelled`.
import { randomUUID } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import { sha256Hex } from '../access/index.ts'
import { type Audited, audited, type CommandContext, recordAudit, type Unchanged, unchanged } from '../audit/index.ts'
import type { DB } from '../db/types.ts'
import { ConflictError, ValidationError } from '../domain/errors.ts'
import { localDate } from '../domain/policy.ts'
import { DEFAULT_TIME_ZONE } from '../domain/send-window.ts'

type Reader = Kysely<DB>

export const CUTOFF_DAY = 10
export const CSV_HEADER = 'number,disconnection_date,record'

export interface ReportPeriod {
  month: string
  /** Disconnections dated up to and including this day. */
  cutoffOn: string
  fileName: string
}

export interface DisconnectionReport {
  id: string
  month: string
  cutoff_on: string
  file_name: string
  content: string
  file_sha256: string
  disconnections: number
  cancellations: number
  generated_at: Date
  generated_by: string | null
}

export function reportPeriod(month: string): ReportPeriod {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new ValidationError('month', 'month must be YYYY-MM, e.g. 2026-04')
  return { month, cutoffOn: `${month}-${String(CUTOFF_DAY).padStart(2, '0')}`, fileName: `disconnections-${month}.csv` }
}

export interface ReportLine {
  msisdn: string
  date: string
  record: 'disconnected' | 'cancelled'
}

export function buildCsv(lines: readonly ReportLine[]): string {
  return [CSV_HEADER, ...lines.map((l) => `${l.msisdn.replace(/^\+/, '')},${l.date},${l.record}`)]
    .map((l) => `${l}\r\n`)
    .join('')
}

/** The operator's time zone, from the recycling policy in force in its home market (Cambodia's series by default). */
export async function operatorTimeZone(db: Reader, now: Date, market = 'KH'): Promise<string> {
  const row = await db
    .selectFrom('recycling_policies')
    .select('params')
    .where('market', '=', market)
    .where('effective_from', '<=', now)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst()
  return (row?.params as { time_zone?: string } | undefined)?.time_zone ?? DEFAULT_TIME_ZONE
}

export async function findReport(db: Reader, month: string): Promise<DisconnectionReport | undefined> {
  return db.selectFrom('disconnection_reports').selectAll().where('month', '=', month).executeTakeFirst()
}

/** Writes the file for `month` (or returns the one already written), marking every line it carries as reported. */
export async function generateDisconnectionReport(
  ctx: CommandContext,
  month: string,
  timeZone: string,
): Promise<Audited<DisconnectionReport> | Unchanged<DisconnectionReport>> {
  const period = reportPeriod(month)
  // One writer at a time: two files must never both claim the same rows.
  await sql`SELECT pg_advisory_xact_lock(hashtext('numguard.disconnection_report'))`.execute(ctx.tx)
  const existing = await findReport(ctx.tx, month)
  if (existing) return unchanged(existing)
  const today = localDate(ctx.now, timeZone)
  if (today <= period.cutoffOn) {
    throw new ConflictError(
      'report_period_open',
      `The ${month} file covers disconnections through ${period.cutoffOn} (${timeZone}); it can be written from the next day`,
      { month, cutoff_on: period.cutoffOn, today },
    )
  }
  const later = await ctx.tx
    .selectFrom('disconnection_reports')
    .select('month')
    .where('month', '>', month)
    .orderBy('month')
    .executeTakeFirst()
  if (later) {
    throw new ConflictError(
      'later_report_exists',
      `The ${later.month} file is already written; ${month} can no longer be (its rows went into later files)`,
      { month, later_month: later.month },
    )
  }

  const fresh = await ctx.tx
    .selectFrom('disconnections')
    .select(['id', 'msisdn', 'disconnected_on'])
    .where('reported_in', 'is', null)
    .where('cancelled_at', 'is', null)
    .where('disconnected_on', '<=', period.cutoffOn)
    .orderBy('disconnected_on')
    .orderBy('msisdn')
    .forUpdate()
    .execute()
  const corrections = await ctx.tx
    .selectFrom('disconnections')
    .select(['id', 'msisdn', 'disconnected_on'])
    .where('reported_in', 'is not', null)
    .where('cancelled_at', 'is not', null)
    .where('cancellation_reported_in', 'is', null)
    .orderBy('disconnected_on')
    .orderBy('msisdn')
    .forUpdate()
    .execute()
  const content = buildCsv([
    ...fresh.map((r) => ({ msisdn: r.msisdn, date: r.disconnected_on, record: 'disconnected' as const })),
    ...corrections.map((r) => ({ msisdn: r.msisdn, date: r.disconnected_on, record: 'cancelled' as const })),
  ])
  const report: DisconnectionReport = {
    id: randomUUID(),
    month,
    cutoff_on: period.cutoffOn,
    file_name: period.fileName,
    content,
    file_sha256: sha256Hex(content),
    disconnections: fresh.length,
    cancellations: corrections.length,
    generated_at: ctx.now,
    generated_by: ctx.actor.kind === 'staff' ? ctx.actor.staffId : null,
  }
  await ctx.tx.insertInto('disconnection_reports').values(report).execute()
  if (fresh.length > 0) {
    await ctx.tx
      .updateTable('disconnections')
      .set({ reported_in: report.id })
      .where(
        'id',
        'in',
        fresh.map((r) => r.id),
      )
      .where('reported_in', 'is', null)
      .execute()
  }
  if (corrections.length > 0) {
    await ctx.tx
      .updateTable('disconnections')
      .set({ cancellation_reported_in: report.id })
      .where(
        'id',
        'in',
        corrections.map((r) => r.id),
      )
      .where('cancellation_reported_in', 'is', null)
      .execute()
  }
  const receipt = await recordAudit(ctx, {
    action: 'report.disconnections_generated',
    after: { report_id: report.id, month, file_name: report.file_name, file_sha256: report.file_sha256 },
    basis: report.file_sha256,
    data: {
      month,
      cutoff_on: period.cutoffOn,
      time_zone: timeZone,
      disconnections: report.disconnections,
      cancellations: report.cancellations,
    },
  })
  return audited(report, [receipt])
}

export interface RegisterSummary {
  reports: Omit<DisconnectionReport, 'content'>[]
  /** Disconnections no file has carried yet (not cancelled). */
  unreported: number
  /** Cancellations of reported disconnections that the next file will carry. */
  corrections_due: number
}

export async function registerSummary(db: Reader): Promise<RegisterSummary> {
  const reports = await db
    .selectFrom('disconnection_reports')
    .select([
      'id',
      'month',
      'cutoff_on',
      'file_name',
      'file_sha256',
      'disconnections',
      'cancellations',
      'generated_at',
      'generated_by',
    ])
    .orderBy('month', 'desc')
    .execute()
  const { rows } = await sql<{ unreported: number; corrections_due: number }>`
    SELECT count(*) FILTER (WHERE reported_in IS NULL AND cancelled_at IS NULL)::int AS unreported,
           count(*) FILTER (WHERE reported_in IS NOT NULL AND cancelled_at IS NOT NULL
                              AND cancellation_reported_in IS NULL)::int AS corrections_due
      FROM disconnections`.execute(db)
  return { reports, ...rows[0] }
}
