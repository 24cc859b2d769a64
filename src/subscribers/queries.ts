import type { Kysely } from 'kysely'
import type { DB } from '../db/types.ts'

export function findSubscriber(db: Kysely<DB>, id: string) {
  return db.selectFrom('subscribers').selectAll().where('id', '=', id).executeTakeFirst()
}

export function subscriberCustodies(db: Kysely<DB>, subscriberId: string) {
  return db
    .selectFrom('custodies')
    .select(['id', 'msisdn', 'basis', 'started_at', 'ended_at', 'end_reason'])
    .where('subscriber_id', '=', subscriberId)
    .orderBy('started_at', 'desc')
    .execute()
}
