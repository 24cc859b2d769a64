import { type Kysely, sql, type Transaction } from 'kysely'
import type { DB } from '../db/types.ts'
import { NotFoundError } from '../domain/errors.ts'

/** Locks a number's row for the rest of the transaction; every hand-over starts here, so attempts queue up. */
export async function lockNumber(tx: Transaction<DB>, msisdn: string) {
  const row = await tx
    .selectFrom('numbers')
    .select(['msisdn', 'state', 'category', 'state_changed_at', 'reserved_by', 'reserved_until'])
    .where('msisdn', '=', msisdn)
    .forUpdate()
    .executeTakeFirst()
  if (!row) throw new NotFoundError('number', msisdn)
  return row
}

export function findNumber(db: Kysely<DB>, msisdn: string) {
  return db
    .selectFrom('numbers')
    .innerJoin('number_ranges as r', 'r.id', 'numbers.range_id')
    .select([
      'numbers.msisdn',
      'numbers.state',
      'numbers.category',
      'numbers.state_changed_at',
      'numbers.reserved_by',
      'numbers.reserved_until',
    ])
    .select(['r.id as range_id', 'r.first_msisdn', 'r.last_msisdn'])
    .where('numbers.msisdn', '=', msisdn)
    .executeTakeFirst()
}

export interface NumberFilter {
  state?: string
  category?: string
  prefix?: string
  after?: string
  limit: number
}

/** Keyset-paged listing in MSISDN order, so paging a million numbers stays cheap. */
export function listNumbers(db: Kysely<DB>, f: NumberFilter) {
  let q = db
    .selectFrom('numbers')
    .select(['msisdn', 'state', 'category', 'state_changed_at', 'reserved_by', 'reserved_until'])
    .orderBy('msisdn')
    .limit(f.limit)
  if (f.state) q = q.where('state', '=', f.state)
  if (f.category) q = q.where('category', '=', f.category)
  if (f.prefix) q = q.where('msisdn', '>=', f.prefix).where('msisdn', '<', `${f.prefix}\u{10FFFF}`)
  if (f.after) q = q.where('msisdn', '>', f.after)
  return q.execute()
}

export async function countNumbers(db: Kysely<DB>) {
  const rows = await db
    .selectFrom('numbers')
    .select(['state', 'category', sql<number>`count(*)::int`.as('n')])
    .groupBy(['state', 'category'])
    .execute()
  return rows
}

export function numberCustodies(db: Kysely<DB>, msisdn: string) {
  return db
    .selectFrom('custodies as c')
    .innerJoin('subscribers as s', 's.id', 'c.subscriber_id')
    .select(['c.id', 'c.basis', 'c.request_id', 'c.migration_batch_id', 'c.started_at', 'c.ended_at', 'c.end_reason'])
    .select([
      's.id as subscriber_id',
      's.name',
      's.party_kind',
      's.account_type',
      's.language',
      's.kyc_doc_kind',
      's.kyc_doc_last4',
      's.alt_contact',
    ])
    .where('c.msisdn', '=', msisdn)
    .orderBy('c.started_at', 'desc')
    .execute()
}

export function numberBindings(db: Kysely<DB>, msisdn: string) {
  return db
    .selectFrom('sim_bindings')
    .select(['id', 'iccid', 'custody_id', 'started_at', 'ended_at', 'end_reason'])
    .where('msisdn', '=', msisdn)
    .orderBy('started_at', 'desc')
    .execute()
}

/**
 * A number's audit trail: the records that name it, and the whole-set records it rests on — the import of its
 * range and the migration batches its custodies were loaded by — found by the basis they carry.
 */
export function numberHistory(db: Kysely<DB>, msisdn: string, limit = 200) {
  const bases = sql<string>`(
    SELECT r.input_sha256 FROM numbers n JOIN number_ranges r ON r.id = n.range_id WHERE n.msisdn = ${msisdn}
    UNION SELECT migration_batch_id::text FROM custodies WHERE msisdn = ${msisdn} AND migration_batch_id IS NOT NULL)`
  return db
    .selectFrom('audit_records')
    .select(['seq', 'event_id', 'recorded_at', 'action', 'envelope'])
    .where((eb) => eb.or([eb('msisdn', '=', msisdn), eb.and([eb('msisdn', 'is', null), eb('basis', 'in', bases)])]))
    .orderBy('seq', 'desc')
    .limit(limit)
    .execute()
}

export function findSim(db: Kysely<DB>, iccid: string) {
  return db.selectFrom('sims').selectAll().where('iccid', '=', iccid).executeTakeFirst()
}

/** The numbers a SIM served, with the subscriber of each custody (so an answer can keep to the caller's view). */
export function simBindings(db: Kysely<DB>, iccid: string) {
  return db
    .selectFrom('sim_bindings as b')
    .innerJoin('custodies as c', 'c.id', 'b.custody_id')
    .select(['b.msisdn', 'b.custody_id', 'b.started_at', 'b.ended_at', 'b.end_reason', 'c.subscriber_id'])
    .where('b.iccid', '=', iccid)
    .orderBy('b.started_at', 'desc')
    .execute()
}

export function listSims(db: Kysely<DB>, f: { shopId?: string; state?: string; limit: number }) {
  let q = db.selectFrom('sims').select(['iccid', 'imsi', 'state', 'shop_id']).orderBy('iccid').limit(f.limit)
  if (f.shopId) q = q.where('shop_id', '=', f.shopId)
  if (f.state) q = q.where('state', '=', f.state)
  return q.execute()
}

export function listRanges(db: Kysely<DB>) {
  return db
    .selectFrom('number_ranges')
    .select(['id', 'first_msisdn', 'last_msisdn', 'size', 'category', 'market', 'input_sha256', 'imported_at'])
    .orderBy('first_value')
    .execute()
}

export function listShops(db: Kysely<DB>) {
  return db.selectFrom('shops').select(['id', 'name']).orderBy('id').execute()
}
