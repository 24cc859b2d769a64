// The partner feature's SQL. The two checks are on a bank's login path: each answer is one round trip for the
// facts and a share of one multi-row INSERT for the access-log row (access-log-writer.ts), on the indexes of 030.
import { CompiledQuery, sql } from 'kysely'
import type { PartnerOperation } from '../db/types-partner.ts'
import type { CustodySpan } from './answers.ts'
import type { PartnerDb } from './db.ts'

/** A statement of the hot path: fixed text, so PostgreSQL can keep it parsed and planned per connection. */
interface Statement {
  name: string
  text: string
}

/**
 * Runs a hot-path statement. With `prepared` (PostgreSQL), as a named prepared statement: pg parses and plans it once
 * per connection and then sends only Bind/Execute. Kysely hands its `sql` to pg's `client.query` untouched, and pg
 * takes a `{ name, text }` query config there. PGlite has no named statements: the plain text.
 */
function run<R>(db: PartnerDb, statement: Statement, parameters: unknown[], prepared: boolean) {
  const text = prepared ? (statement as unknown as string) : statement.text
  return db.executeQuery<R>(CompiledQuery.raw(text, parameters))
}

const CUSTODIES_SINCE: Statement = {
  name: 'numguard_partner_custodies_since',
  text: `SELECT n.state, n.range_id, c.subscriber_id, c.basis, c.started_at, c.ended_at
           FROM numbers n
           LEFT JOIN custodies c ON c.msisdn = n.msisdn AND (c.ended_at IS NULL OR c.ended_at > $2)
          WHERE n.msisdn = $1
          ORDER BY c.started_at`,
}

const LATEST_BINDING: Statement = {
  name: 'numguard_partner_latest_binding',
  text: `SELECT n.state,
                (SELECT b.started_at FROM sim_bindings b WHERE b.msisdn = n.msisdn
                  ORDER BY b.started_at DESC LIMIT 1) AS latest,
                (SELECT s.value FROM settings s WHERE s.key = $2) AS window_days
           FROM numbers n WHERE n.msisdn = $1`,
}

/** Any number of rows in one statement of fixed text: one array per column. */
const INSERT_ACCESS_LOG: Statement = {
  name: 'numguard_partner_access_log_insert',
  text: `INSERT INTO partner_access_log (client_id, msisdn, operation, question, status, answer, correlator, asked_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::smallint[], $6::jsonb[],
                              $7::text[], $8::timestamptz[])`,
}

export const PRIVACY_WINDOW_SETTING = 'camara_privacy_window_days'
/**
 * No market data holds a CAMARA privacy window yet: until it does, 120 days (a common regulator figure), or the
 * `camara_privacy_window_days` setting when an operator has set one.
 */
export const DEFAULT_PRIVACY_WINDOW_DAYS = 120

export interface NumberFacts {
  state: string
  range_id: string
}

/** The number's state and every custody that ended after `at` or is still open, oldest first. */
export async function custodiesSince(db: PartnerDb, msisdn: string, at: Date, prepared = false) {
  type Row = NumberFacts & { subscriber_id: string | null; basis: string | null } & Dates
  const { rows } = await run<Row>(db, CUSTODIES_SINCE, [msisdn, at], prepared)
  if (rows.length === 0) return null
  const spans: CustodySpan[] = rows
    .filter((r) => r.subscriber_id !== null)
    .map((r) => ({
      subscriber_id: r.subscriber_id as string,
      basis: r.basis as string,
      started_at: new Date(r.started_at as Date),
      ended_at: r.ended_at ? new Date(r.ended_at) : null,
    }))
  return { state: rows[0].state, range_id: rows[0].range_id, spans }
}

interface Dates {
  started_at: Date | null
  ended_at: Date | null
}

/** Where a range's records begin: its import, or the earliest custody of one of its numbers (a migration's). */
export async function rangeRecordsBegin(db: PartnerDb, rangeId: string): Promise<Date | null> {
  const { rows } = await sql<{ begins: Date | null }>`
    SELECT least(r.imported_at,
                 (SELECT min(c.started_at) FROM custodies c JOIN numbers n ON n.msisdn = c.msisdn
                   WHERE n.range_id = r.id)) AS begins
      FROM number_ranges r WHERE r.id = ${rangeId}`.execute(db)
  return rows[0]?.begins ? new Date(rows[0].begins) : null
}

/** The number's state, the latest start of a SIM binding (sale, swap, transfer, reclaim) and the privacy window. */
export async function latestBinding(db: PartnerDb, msisdn: string, prepared = false) {
  type Row = { state: string; latest: Date | null; window_days: unknown }
  const { rows } = await run<Row>(db, LATEST_BINDING, [msisdn, PRIVACY_WINDOW_SETTING], prepared)
  const row = rows[0]
  if (!row) return null
  const days = Number(row.window_days)
  return {
    state: row.state,
    latest: row.latest ? new Date(row.latest) : null,
    windowDays: Number.isInteger(days) && days > 0 ? days : DEFAULT_PRIVACY_WINDOW_DAYS,
  }
}

export interface AccessLogEntry {
  clientId: string
  msisdn: string
  operation: PartnerOperation
  question: Record<string, unknown>
  status: number
  answer: Record<string, unknown>
  correlator: string | null
  askedAt: Date
}

export async function insertAccessLog(db: PartnerDb, e: AccessLogEntry): Promise<void> {
  await insertAccessLogRows(db, [e])
}

/** Several access-log rows in one INSERT (src/partner/access-log-writer.ts batches concurrent checks this way). */
export async function insertAccessLogRows(db: PartnerDb, entries: AccessLogEntry[], prepared = false): Promise<void> {
  const columns = [
    entries.map((e) => e.clientId),
    entries.map((e) => e.msisdn),
    entries.map((e) => e.operation),
    entries.map((e) => JSON.stringify(e.question)),
    entries.map((e) => e.status),
    entries.map((e) => JSON.stringify(e.answer)),
    entries.map((e) => e.correlator),
    entries.map((e) => e.askedAt),
  ]
  await run(db, INSERT_ACCESS_LOG, columns, prepared)
}

/** How many partner questions were asked about a number since an instant (the holder's STATUS reply). */
export async function countChecksSince(db: PartnerDb, msisdn: string, since: Date): Promise<number> {
  const row = await db
    .selectFrom('partner_access_log')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('msisdn', '=', msisdn)
    .where('asked_at', '>=', since)
    .executeTakeFirst()
  return Number(row?.n ?? 0)
}

export async function partnerQuota(db: PartnerDb, clientId: string): Promise<number | null> {
  const row = await db
    .selectFrom('partner_clients')
    .select('requests_per_minute')
    .where('client_id', '=', clientId)
    .executeTakeFirst()
  return row?.requests_per_minute ?? null
}
