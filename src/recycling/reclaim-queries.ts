// The SQL of reclaim, as named functions.
import type { Kysely } from 'kysely'
import type { DB } from '../db/types.ts'

type Reader = Kysely<DB>

export interface FormerCustody {
  id: string
  msisdn: string
  subscriber_id: string
  ended_at: Date | null
  end_reason: string | null
  kyc_doc_hash: string
  language: 'km' | 'en'
  alt_contact: string | null
  /** When the number's aging ends (the recycling worker's next step on the withdrawn custody), if known. */
  aging_ends_at: Date | null
}

export async function lockAgingNumber(
  db: Reader,
  msisdn: string,
): Promise<{ msisdn: string; state: string } | undefined> {
  return db
    .selectFrom('numbers')
    .select(['msisdn', 'state'])
    .where('msisdn', '=', msisdn)
    .forUpdate()
    .executeTakeFirst()
}

/** The number's latest custody, with what a reclaim needs of its holder. */
export async function formerCustody(db: Reader, msisdn: string): Promise<FormerCustody | undefined> {
  const row = await db
    .selectFrom('custodies as c')
    .innerJoin('subscribers as s', 's.id', 'c.subscriber_id')
    .leftJoin('recycling_state as r', 'r.custody_id', 'c.id')
    .select([
      'c.id',
      'c.msisdn',
      'c.subscriber_id',
      'c.ended_at',
      'c.end_reason',
      's.kyc_doc_hash',
      's.language',
      's.alt_contact',
      'r.stage',
      'r.next_due_at',
    ])
    .where('c.msisdn', '=', msisdn)
    .orderBy('c.started_at', 'desc')
    .limit(1)
    .executeTakeFirst()
  if (!row) return undefined
  const { stage, next_due_at, ...rest } = row
  return { ...rest, aging_ends_at: stage === 'aging' ? (next_due_at ?? null) : null }
}

/** The SIM of the custody's last binding, when nothing else holds it and it is not lost or stolen. */
export async function freeFormerSim(db: Reader, custodyId: string): Promise<string | null> {
  const row = await db
    .selectFrom('sim_bindings as b')
    .innerJoin('sims as s', 's.iccid', 'b.iccid')
    .select(['b.iccid'])
    .where('b.custody_id', '=', custodyId)
    .where('s.state', 'in', ['bound', 'deactivated'])
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('sim_bindings as open')
            .select('open.id')
            .whereRef('open.iccid', '=', 'b.iccid')
            .where('open.ended_at', 'is', null),
        ),
      ),
    )
    .orderBy('b.started_at', 'desc')
    .limit(1)
    .forUpdate('s')
    .executeTakeFirst()
  return row?.iccid ?? null
}

export async function lockShopSim(
  db: Reader,
  iccid: string,
): Promise<{ iccid: string; state: string; shop_id: string | null } | undefined> {
  return db
    .selectFrom('sims')
    .select(['iccid', 'state', 'shop_id'])
    .where('iccid', '=', iccid)
    .forUpdate()
    .executeTakeFirst()
}
