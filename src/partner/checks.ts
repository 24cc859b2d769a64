// The three CAMARA questions answered from custody and SIM-binding facts (answers.ts decides, queries.ts fetches).
import { DEFAULT_TIME_ZONE } from '../domain/send-window.ts'
import { DEFAULT_MAX_AGE_HOURS, phoneNumberRecycled, simSwapDate, simSwapped, specifiedInstant } from './answers.ts'
import type { PartnerDb } from './db.ts'
import { CamaraError } from './errors.ts'
import { custodiesSince, latestBinding, rangeRecordsBegin } from './queries.ts'

const notFound = (msisdn: string) =>
  new CamaraError(404, 'IDENTIFIER_NOT_FOUND', `${msisdn} is not a number of this operator`)

/** A number ported out is another operator's now: the APIs answer for it as for a number outside our ranges. */
const served = (state: string | undefined) => state !== undefined && state !== 'ported_out'

const RECORDS_BEGIN_TTL_MS = 60_000

/** `prepared`: the facts through named prepared statements (PostgreSQL only; see queries.ts). */
export function createChecks(db: PartnerDb, options: { prepared?: boolean; timeZone?: string } = {}) {
  const { prepared = false, timeZone = DEFAULT_TIME_ZONE } = options
  // Where a range's records begin changes only when a migration loads older custodies: cached a minute per range.
  const recordsBegin = new Map<string, { at: Date | null; until: number }>()
  async function beginsOf(rangeId: string, now: Date): Promise<Date | null> {
    const hit = recordsBegin.get(rangeId)
    if (hit && hit.until > now.getTime()) return hit.at
    const at = await rangeRecordsBegin(db, rangeId)
    recordsBegin.set(rangeId, { at, until: now.getTime() + RECORDS_BEGIN_TTL_MS })
    return at
  }

  return {
    async numberRecycled(msisdn: string, specifiedDate: string, now: Date) {
      // The custodies since the start of the day asked about: specifiedInstant then picks the moment in that day.
      const dayStart = new Date(Date.parse(`${specifiedDate}T00:00:00Z`) - 86_400_000)
      const facts = await custodiesSince(db, msisdn, dayStart, prepared)
      if (!facts || !served(facts.state)) throw notFound(msisdn)
      const at = specifiedInstant(specifiedDate, now, await beginsOf(facts.range_id, now), timeZone)
      const spans = facts.spans.filter((s) => s.ended_at === null || s.ended_at > at)
      return { phoneNumberRecycled: phoneNumberRecycled(spans, at) }
    },

    async simSwapDate(msisdn: string, now: Date) {
      const facts = await latestBinding(db, msisdn, prepared)
      if (!facts || !served(facts.state)) throw notFound(msisdn)
      return simSwapDate(facts.latest, now, facts.windowDays)
    },

    async simSwapCheck(msisdn: string, maxAge: number | undefined, now: Date) {
      const facts = await latestBinding(db, msisdn, prepared)
      if (!facts || !served(facts.state)) throw notFound(msisdn)
      return simSwapped(facts.latest, now, maxAge ?? DEFAULT_MAX_AGE_HOURS, facts.windowDays)
    },
  }
}
export type Checks = ReturnType<typeof createChecks>
