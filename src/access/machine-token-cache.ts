// Partner tokens are verified on every CAMARA check (a bank calls one on each login and payment): a verified token
// is kept a few seconds by its SHA-256, never past its expiry, so a burst of checks costs one lookup. A token revoked
// or a client disabled in the database is refused within TOKEN_CACHE_TTL_MS. Refusals are never cached.
import type { Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import type { Actor } from '../domain/actor.ts'
import { verifyMachineToken } from './machine-tokens.ts'
import { hashToken } from './secrets.ts'

export const TOKEN_CACHE_TTL_MS = 5_000
const MAX_ENTRIES = 10_000

export type MachineAuthenticator = (now: Date, token: string) => Promise<Actor>

export function cachedMachineAuthenticator(db: Kysely<DB>, ttlMs = TOKEN_CACHE_TTL_MS): MachineAuthenticator {
  const verified = new Map<string, { actor: Actor; until: number }>()
  return async (now, token) => {
    const key = hashToken(token).toString('base64')
    const hit = verified.get(key)
    if (hit && hit.until > now.getTime()) return hit.actor
    verified.delete(key)
    const { actor, expiresAt } = await verifyMachineToken(db, now, token)
    // Oldest first out when full: a Map iterates in insertion order.
    if (verified.size >= MAX_ENTRIES) verified.delete(verified.keys().next().value as string)
    verified.set(key, { actor, until: Math.min(now.getTime() + ttlMs, expiresAt.getTime()) })
    return actor
  }
}
