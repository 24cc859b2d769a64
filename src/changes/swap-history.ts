// The full SIM-swap history of a number (view sim_swaps over sim_bindings, migration 013), for staff and for the
// CAMARA SIM Swap API, and the cooling window after a swap: no transfer, termination or KYC change for the market's
// swap_cooling_days (DOMAIN's request table; migration 040 refuses the same rows in the database), so no consent to
// them can come from a SIM that a swap put in within that window.
import { type Kysely, sql } from 'kysely'
import type { DB } from '../db/types.ts'
import { ConflictError } from '../domain/errors.ts'

type Reader = Kysely<DB>

/** DOMAIN: the days after any SIM swap in which transfers, terminations and KYC changes are refused. */
export const DEFAULT_SWAP_COOLING_DAYS = 30

/** The kinds a swap's cooling window refuses: each would let a new SIM's reply take or end the holder's number. */
export type CooledKind = 'transfer' | 'termination' | 'kyc_change'

/**
 * The cooling window of a number's market, in days (markets.swap_cooling_days, migration 034): the same figure the
 * database's own check reads (migration 040). DOMAIN's 30 only if the database names none.
 */
export async function swapCoolingDays(db: Reader, msisdn: string): Promise<number> {
  const { rows } = await sql<{ days: number | null }>`SELECT market_swap_cooling_days(${msisdn}) AS days`.execute(db)
  return rows[0]?.days ?? DEFAULT_SWAP_COOLING_DAYS
}

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

/**
 * The numbers whose swaps cool a change of `kind` on `msisdn`: the number itself, and for a KYC change every number
 * its holder holds (the identity is theirs, and a consent to it may come from any of them), as migration 040 reads.
 */
async function cooledNumbers(db: Reader, kind: CooledKind, msisdn: string): Promise<string[]> {
  if (kind !== 'kyc_change') return [msisdn]
  const rows = await db
    .selectFrom('custodies as mine')
    .innerJoin('custodies as held', 'held.subscriber_id', 'mine.subscriber_id')
    .select('held.msisdn')
    .where('mine.msisdn', '=', msisdn)
    .where('mine.ended_at', 'is', null)
    .where('held.ended_at', 'is', null)
    .orderBy('held.msisdn')
    .execute()
  return rows.length > 0 ? rows.map((r) => r.msisdn) : [msisdn]
}

/**
 * Refuses a transfer, termination or KYC change within the cooling window after the latest SIM swap (of either
 * kind) of a number it rests on, at filing and again at execution (a swap may have executed in between). A risk
 * alert names the swap.
 */
export async function refuseChangeAfterSwap(
  db: Reader,
  kind: CooledKind,
  msisdn: string,
  now: Date,
  staffId: string | null,
): Promise<void> {
  for (const cooled of await cooledNumbers(db, kind, msisdn)) {
    const [last] = await simSwapHistory(db, cooled, 1)
    if (!last) continue
    const days = await swapCoolingDays(db, cooled)
    const swappedAt = new Date(last.swapped_at)
    const until = new Date(swappedAt.getTime() + days * 86_400_000)
    if (until <= now) continue
    const what = kind === 'kyc_change' ? 'KYC change' : kind
    const whose = cooled === msisdn ? msisdn : `${msisdn}'s holder also holds ${cooled}, which`
    throw new ConflictError(
      `${kind}_after_sim_swap`,
      `${whose} had its SIM swapped on ${swappedAt.toISOString()}: no ${what} before ${until.toISOString()} (${days} days after a swap)`,
      {
        msisdn,
        swapped_msisdn: cooled,
        swapped_at: swappedAt.toISOString(),
        cooling_days: days,
        [`${kind}_from`]: until.toISOString(),
      },
    ).withAlert({
      kind: `${kind}_after_sim_swap`,
      severity: 'risk',
      msisdn,
      attempt: { action: kind, swap_request_id: last.request_id, swap_kind: last.kind, staff_id: staffId },
    })
  }
}
