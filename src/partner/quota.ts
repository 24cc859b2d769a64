// A quota per partner client (issue 12: CAMARA TOO_MANY_REQUESTS): requests per minute from partner_clients, a
// default for a machine client without a profile. Counted in this process per calendar minute of the app clock;
// several server processes each allow the quota (documented in README).
import type { Clock } from '../domain/clock.ts'
import type { PartnerDb } from './db.ts'
import { CamaraError } from './errors.ts'
import { partnerQuota } from './queries.ts'

export const DEFAULT_REQUESTS_PER_MINUTE = 3000
const PROFILE_TTL_MS = 60_000

export function createQuota(db: PartnerDb, clock: Clock) {
  const limits = new Map<string, { perMinute: number; until: number }>()
  const counts = new Map<string, { minute: number; used: number }>()

  async function limitOf(clientId: string, now: number): Promise<number> {
    const cached = limits.get(clientId)
    if (cached && cached.until > now) return cached.perMinute
    const perMinute = (await partnerQuota(db, clientId)) ?? DEFAULT_REQUESTS_PER_MINUTE
    limits.set(clientId, { perMinute, until: now + PROFILE_TTL_MS })
    return perMinute
  }

  return {
    /** Counts one request of the client, or refuses it with TOO_MANY_REQUESTS until the next minute. */
    async take(clientId: string): Promise<void> {
      const now = clock.now().getTime()
      const minute = Math.floor(now / 60_000)
      const limit = await limitOf(clientId, now)
      const count = counts.get(clientId)
      if (!count || count.minute !== minute) {
        counts.set(clientId, { minute, used: 1 })
        return
      }
      if (count.used >= limit) {
        const wait = Math.max(1, Math.ceil(((minute + 1) * 60_000 - now) / 1000))
        throw new CamaraError(
          429,
          'TOO_MANY_REQUESTS',
          `This client may make ${limit} requests a minute; try again in ${wait} s`,
          wait,
        )
      }
      count.used += 1
    },
  }
}
export type Quota = ReturnType<typeof createQuota>
