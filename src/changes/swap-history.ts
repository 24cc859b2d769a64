// The full SIM-swap history of a number (view sim_swaps over sim_bindings, migration 013), for staff and for the
// CAMARA SIM Swap API, and the India rule: no transfer within 7 days of a swap.
import type { Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import { ConflictError } from '../domain/errors.ts'

type Reader = Kysely<DB>

/** DOMAIN (India): no transfer (port) within 7 days of a SIM swap. */
export const TRANSFER_AFTER_SWAP_DAYS = 7

export interface SimSwap {
  msisdn: string
  swapped_at: Date
  kind: 'sim_swap' | 'sim_swap_lost'
  request_id: string
  /** The custody the new SIM serves (whose account the SIMs belong to). */
  custody_id: string
  old_iccid: string | null
  new_iccid: string
}

export async function simSwapHistory(db: Reader, msisdn: string, limit = 100): Promise<SimSwap[]> {
  return db
    .selectFrom('sim_swaps')
    .select(['msisdn', 'swapped_at', 'kind', 'request_id', 'custody_id', 'old_iccid', 'new_iccid'])
    .where('msisdn', '=', msisdn)
    .orderBy('swapped_at', 'desc')
    .limit(limit)
    .execute()
}

/**
 * For the CAMARA SIM Swap API: the latest swap of the number (null: never swapped), and the latest time any SIM
 * started to serve it (a sale or transfer binds a SIM too), so a partner can ask "did the SIM change since…".
 */
export async function latestSimSwap(
  db: Reader,
  msisdn: string,
): Promise<{ latestSwap: SimSwap | null; latestSimChange: Date | null }> {
  const [latestSwap] = await simSwapHistory(db, msisdn, 1)
  const change = await db
    .selectFrom('sim_bindings')
    .select((eb) => eb.fn.max('started_at').as('at'))
    .where('msisdn', '=', msisdn)
    .executeTakeFirst()
  return { latestSwap: latestSwap ?? null, latestSimChange: change?.at ? new Date(change.at) : null }
}

/** Refuses a transfer within 7 days of the number's latest SIM swap. */
export async function refuseTransferAfterSwap(db: Reader, msisdn: string, now: Date, staffId: string | null) {
  const [last] = await simSwapHistory(db, msisdn, 1)
  if (!last) return
  const until = new Date(new Date(last.swapped_at).getTime() + TRANSFER_AFTER_SWAP_DAYS * 86_400_000)
  if (until <= now) return
  throw new ConflictError(
    'transfer_after_sim_swap',
    `${msisdn} had its SIM swapped on ${new Date(last.swapped_at).toISOString()}: no transfer before ${until.toISOString()}`,
    { msisdn, swapped_at: new Date(last.swapped_at).toISOString(), transfer_from: until.toISOString() },
  ).withAlert({
    kind: 'transfer_after_sim_swap',
    severity: 'risk',
    msisdn,
    attempt: { action: 'transfer', swap_request_id: last.request_id, staff_id: staffId },
  })
}
