// The partner tables beside the rest (migration 030). Until src/db/types.ts lists PartnerTables in DB, the partner
// feature widens the handle it is given: same connection, same transaction, more table names.
import type { Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import type { PartnerTables } from '../db/types-partner.ts'

export type PartnerDb = Kysely<DB & PartnerTables>

export function partnerDb(db: Kysely<DB>): PartnerDb {
  return db as unknown as PartnerDb
}
