// The rows an incident report reads (migration 042's case tables and the staff they name), read-only. The report
// reads them as any auditor's export would; the case workflow that writes them lives in src/cases.
import type { Kysely } from 'kysely'
import type { DB } from '../db/types.ts'

type Db = Kysely<DB>

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The case with this id or reference. */
export function caseRow(db: Db, ref: string) {
  return db
    .selectFrom('cases')
    .selectAll()
    .where(UUID.test(ref) ? 'id' : 'reference', '=', ref)
    .executeTakeFirst()
}

export async function caseRows(db: Db, caseId: string) {
  const [numbers, links, holds, restorations, offers, measures] = await Promise.all([
    db.selectFrom('case_numbers').select('msisdn').where('case_id', '=', caseId).orderBy('msisdn').execute(),
    db.selectFrom('case_links').selectAll().where('case_id', '=', caseId).orderBy('linked_at').execute(),
    db.selectFrom('holds').selectAll().where('case_id', '=', caseId).orderBy('placed_at').orderBy('id').execute(),
    db
      .selectFrom('restorations as r')
      .innerJoin('requests as q', 'q.id', 'r.request_id')
      .select([
        'r.request_id',
        'r.msisdn',
        'r.wrongful_custody_id',
        'r.rightful_custody_id',
        'q.status',
        'q.requested_by',
        'q.requested_at',
        'q.executed_at',
      ])
      .where('r.case_id', '=', caseId)
      .orderBy('q.requested_at')
      .execute(),
    db
      .selectFrom('compensation_offers')
      .selectAll()
      .where('case_id', '=', caseId)
      .orderBy('offered_at')
      .orderBy('id')
      .execute(),
    db.selectFrom('case_measures').selectAll().where('case_id', '=', caseId).orderBy('recorded_at').execute(),
  ])
  return { numbers: numbers.map((n) => n.msisdn), links, holds, restorations, offers, measures }
}

/** Usernames and states of the staff a report names. */
export async function staffNames(db: Db, ids: string[]) {
  const unique = [...new Set(ids)]
  if (unique.length === 0) return new Map<string, { username: string; status: string; shop_id: string | null }>()
  const rows = await db
    .selectFrom('staff')
    .select(['id', 'username', 'status', 'shop_id'])
    .where('id', 'in', unique)
    .execute()
  return new Map(rows.map((r) => [r.id, { username: r.username, status: r.status, shop_id: r.shop_id }]))
}
