// What the case commands and views read. Writes go through commands.ts, holds.ts, restoration.ts and the others.
import { type Kysely, sql, type Transaction } from 'kysely'
import type { DB } from '../db/types.ts'
import type { CaseLinkKind } from '../db/types-cases.ts'
import type { ServiceLevels } from '../domain/cases.ts'

type Db = Kysely<DB> | Transaction<DB>

export type CaseRow = Awaited<ReturnType<typeof findCase>> & object

export function findCase(db: Db, id: string) {
  return db.selectFrom('cases').selectAll().where('id', '=', id).executeTakeFirst()
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const byRef = (db: Db, ref: string) =>
  db
    .selectFrom('cases')
    .selectAll()
    .where(UUID.test(ref) ? 'id' : 'reference', '=', ref)

/** Locks the case (by id or reference) for the rest of the transaction: every change to a case starts here. */
export function lockCase(db: Db, ref: string) {
  return byRef(db, ref).forUpdate().executeTakeFirst()
}

/** The case with this id or reference. */
export function findCaseByRef(db: Db, ref: string) {
  return byRef(db, ref).executeTakeFirst()
}

/** The market of a number (its range's) with its service levels; null for a number numguard does not hold. */
export async function marketOfNumber(db: Db, msisdn: string): Promise<({ code: string } & ServiceLevels) | null> {
  const row = await db
    .selectFrom('numbers as n')
    .innerJoin('number_ranges as r', 'r.id', 'n.range_id')
    .innerJoin('markets as m', 'm.code', 'r.market')
    .select(['m.code', 'm.case_hold_hours', 'm.case_first_response_hours', 'm.case_resolution_hours'])
    .where('n.msisdn', '=', msisdn)
    .executeTakeFirst()
  return row ?? null
}

export function caseNumbers(db: Db, caseId: string): Promise<string[]> {
  return db
    .selectFrom('case_numbers')
    .select('msisdn')
    .where('case_id', '=', caseId)
    .orderBy('msisdn')
    .execute()
    .then((rows) => rows.map((r) => r.msisdn))
}

export function caseLinks(db: Db, caseId: string, kind?: CaseLinkKind) {
  let q = db.selectFrom('case_links').selectAll().where('case_id', '=', caseId)
  if (kind) q = q.where('link_kind', '=', kind)
  return q.orderBy('linked_at').execute()
}

export function caseHolds(db: Db, caseId: string) {
  return db.selectFrom('holds').selectAll().where('case_id', '=', caseId).orderBy('placed_at').execute()
}

/** Active holds on a number, oldest first, with their case's reference. */
export function activeHoldsOn(db: Db, msisdn: string) {
  return db
    .selectFrom('holds as h')
    .innerJoin('cases as c', 'c.id', 'h.case_id')
    .select(['h.id', 'h.case_id', 'h.placed_at', 'h.placed_by', 'h.reason', 'c.reference', 'c.confirmed_at'])
    .where('h.msisdn', '=', msisdn)
    .where('h.released_at', 'is', null)
    .orderBy('h.placed_at')
    .execute()
}

export function findHold(db: Db, id: string) {
  return db.selectFrom('holds').selectAll().where('id', '=', id).executeTakeFirst()
}

/** Every custody the number has had, newest first, with its subscriber's KYC hash and contacts. */
export function custodiesWithKyc(db: Db, msisdn: string) {
  return db
    .selectFrom('custodies as c')
    .innerJoin('subscribers as s', 's.id', 'c.subscriber_id')
    .select(['c.id', 'c.subscriber_id', 'c.started_at', 'c.ended_at', 'c.end_reason', 'c.basis'])
    .select(['s.kyc_doc_hash', 's.alt_contact', 's.language', 's.name'])
    .where('c.msisdn', '=', msisdn)
    .orderBy('c.started_at', 'desc')
    .execute()
}

export function compensationOffers(db: Db, caseId: string) {
  return db.selectFrom('compensation_offers').selectAll().where('case_id', '=', caseId).orderBy('offered_at').execute()
}

export function caseMeasures(db: Db, caseId: string) {
  return db.selectFrom('case_measures').selectAll().where('case_id', '=', caseId).orderBy('recorded_at').execute()
}

export function caseRestorations(db: Db, caseId: string) {
  return db
    .selectFrom('restorations as r')
    .innerJoin('requests as q', 'q.id', 'r.request_id')
    .select(['r.request_id', 'r.msisdn', 'r.wrongful_custody_id', 'r.rightful_custody_id', 'q.executed_at'])
    .select(['q.outcome'])
    .where('r.case_id', '=', caseId)
    .execute()
}

/** Requests of the case (restorations, hold releases), newest first. */
export function caseRequests(db: Db, caseId: string) {
  return db
    .selectFrom('requests')
    .select(['id', 'kind', 'msisdn', 'status', 'requested_by', 'requested_at', 'executed_at', 'assigned_to'])
    .where('kind', 'in', ['restoration', 'hold_release'])
    .where(sql<string>`payload ->> 'case_id'`, '=', caseId)
    .orderBy('requested_at', 'desc')
    .execute()
}

export interface CaseListFilter {
  status?: string
  msisdn?: string
  limit: number
}

export function listCases(db: Db, f: CaseListFilter) {
  let q = db.selectFrom('cases').selectAll()
  if (f.status) q = q.where('status', '=', f.status as never)
  if (f.msisdn) {
    const msisdn = f.msisdn
    q = q.where('id', 'in', (s) => s.selectFrom('case_numbers').select('case_id').where('msisdn', '=', msisdn))
  }
  return q.orderBy('opened_at', 'desc').limit(f.limit).execute()
}

/** The first hold placed on each case (for the hold clock). */
export async function firstHoldTimes(db: Db, caseIds: string[]): Promise<Map<string, Date>> {
  if (caseIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('holds')
    .select(['case_id', (eb) => eb.fn.min('placed_at').as('first')])
    .where('case_id', 'in', caseIds)
    .groupBy('case_id')
    .execute()
  return new Map(rows.map((r) => [r.case_id, new Date(r.first as unknown as string)]))
}

export async function nextCaseReference(db: Db, market: string, now: Date): Promise<string> {
  const { rows } = await sql<{ n: string }>`SELECT nextval('case_reference_seq')::text AS n`.execute(db)
  return `${market}-${now.getUTCFullYear()}-${rows[0].n.padStart(6, '0')}`
}
