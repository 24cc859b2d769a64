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

/** The SIMs now serving the numbers a subscriber holds: shown to an agent only inside a customer session. */
export function subscriberSims(db: Kysely<DB>, subscriberId: string) {
  return db
    .selectFrom('sim_bindings as b')
    .innerJoin('custodies as c', 'c.id', 'b.custody_id')
    .select(['b.msisdn', 'b.iccid', 'b.started_at'])
    .where('c.subscriber_id', '=', subscriberId)
    .where('c.ended_at', 'is', null)
    .where('b.ended_at', 'is', null)
    .orderBy('b.msisdn')
    .execute()
}
