// The SQL of the sign-in throttle (migrations 003 and 021): claim a slot before the slow secret check, settle it
// after. Two counters per attempt: its (key, ip) pair, which locks for a doubling time after PAIR_ATTEMPTS
// failures, and its key alone, which locks only at KEY_CEILING failures within a window. A claim needs
// failures + pending below the limit on both, so parallel attempts are verified no more often than sequential
// ones; an attempt that finds the slots full of attempts still being verified waits for them instead of being
// refused, so concurrent right passwords never see a 429. Keys: a username, 'sha256:<hex>' (a username that names
// no account), 'client:<id>' or 'client-sha256:<hex>' (machine clients at /oauth/token).
import { setTimeout as delay } from 'node:timers/promises'
import { type Kysely, sql } from 'kysely'
import type { DB } from '../db/types.ts'
import type { Clock } from '../domain/clock.ts'

/** Failures from one (username, ip) pair before that pair is locked. */
export const PAIR_ATTEMPTS = 5
/** The first lock of a pair; each further lock (before a complete sign-in) lasts twice as long, up to a day. */
export const PAIR_LOCK_MINUTES = 5
export const PAIR_LOCK_MAX_MINUTES = 24 * 60
/** Failures of one username from all addresses within KEY_WINDOW_MINUTES before the account itself is protected. */
export const KEY_CEILING = 100
export const KEY_WINDOW_MINUTES = 60
export const KEY_LOCK_MINUTES = 60
/** A pair quiet for this long forgets its failures and locks. */
const PAIR_MEMORY_MS = 24 * 3_600_000
/** Claims not settled a minute after the last claim were left by a crash mid-verify: they no longer count. */
const STALE_CLAIM_MS = 60_000
/** How long an attempt waits, in all, for attempts being verified to settle (they take well under a second). */
const WAITS = 100
const MAX_WAIT_MS = 200

export type Scope = 'pair' | 'key'
export type Claim = { ok: true } | { ok: false; scope: Scope; lockedUntil: Date | null }

export function pairLockMs(locks: number): number {
  return Math.min(PAIR_LOCK_MINUTES * 2 ** Math.max(0, locks - 1), PAIR_LOCK_MAX_MINUTES) * 60_000
}

const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`

class Refused extends Error {
  readonly scope: Scope
  constructor(scope: Scope) {
    super(`sign-in claim refused (${scope})`)
    this.scope = scope
  }
}

/** One try: both counters in one transaction (key row first, then the pair, always in that order). */
async function tryClaim(db: Kysely<DB>, key: string, ip: string, now: Date): Promise<Claim | 'busy'> {
  const stale = ts(new Date(now.getTime() - STALE_CLAIM_MS))
  const windowStart = ts(new Date(now.getTime() - KEY_WINDOW_MINUTES * 60_000))
  const forgotten = ts(new Date(now.getTime() - PAIR_MEMORY_MS))
  const at = ts(now)
  try {
    await db.transaction().execute(async (tx) => {
      // A new window (or an expired ceiling lock) starts the count again; stale claims are dropped.
      const fresh = sql`(t.window_started_at IS NULL OR t.window_started_at <= ${windowStart} OR t.locked_until <= ${at})`
      const keyRow = await sql`
        INSERT INTO sign_in_throttle AS t (username, failures, pending, locked_until, window_started_at, claimed_at, updated_at)
        VALUES (${key}, 0, 1, NULL, ${at}, ${at}, ${at})
        ON CONFLICT (username) DO UPDATE SET
          failures = CASE WHEN ${fresh} THEN 0 ELSE t.failures END,
          window_started_at = CASE WHEN ${fresh} THEN ${at} ELSE t.window_started_at END,
          pending = CASE WHEN t.claimed_at IS NULL OR t.claimed_at <= ${stale} THEN 1 ELSE t.pending + 1 END,
          locked_until = NULL, claimed_at = ${at}, updated_at = ${at}
        WHERE (t.locked_until IS NULL OR t.locked_until <= ${at})
          AND (${fresh} OR t.failures
            + CASE WHEN t.claimed_at IS NULL OR t.claimed_at <= ${stale} THEN 0 ELSE t.pending END < ${KEY_CEILING}::integer)
        RETURNING 1 AS claimed`.execute(tx)
      if (keyRow.rows.length !== 1) throw new Refused('key')
      const pairRow = await sql`
        INSERT INTO sign_in_pairs AS p (username, ip, failures, pending, locks, locked_until, claimed_at, updated_at)
        VALUES (${key}, ${ip}, 0, 1, 0, NULL, ${at}, ${at})
        ON CONFLICT (username, ip) DO UPDATE SET
          failures = CASE WHEN p.locked_until <= ${at} OR p.updated_at <= ${forgotten} THEN 0 ELSE p.failures END,
          locks = CASE WHEN p.updated_at <= ${forgotten} THEN 0 ELSE p.locks END,
          pending = CASE WHEN p.claimed_at <= ${stale} THEN 1 ELSE p.pending + 1 END,
          locked_until = NULL, claimed_at = ${at}, updated_at = ${at}
        WHERE (p.locked_until IS NULL OR p.locked_until <= ${at})
          AND (p.locked_until <= ${at} OR p.updated_at <= ${forgotten} OR p.failures
            + CASE WHEN p.claimed_at <= ${stale} THEN 0 ELSE p.pending END < ${PAIR_ATTEMPTS}::integer)
        RETURNING 1 AS claimed`.execute(tx)
      if (pairRow.rows.length !== 1) throw new Refused('pair')
    })
    return { ok: true }
  } catch (err) {
    if (!(err instanceof Refused)) throw err
    // Nothing was claimed (the transaction rolled back): locked, or full of attempts still being verified.
    const row =
      err.scope === 'key'
        ? await db.selectFrom('sign_in_throttle').select('locked_until').where('username', '=', key).executeTakeFirst()
        : await db
            .selectFrom('sign_in_pairs')
            .select('locked_until')
            .where('username', '=', key)
            .where('ip', '=', ip)
            .executeTakeFirst()
    const until = row?.locked_until ? new Date(row.locked_until) : null
    if (until && until > now) return { ok: false, scope: err.scope, lockedUntil: until }
    return 'busy'
  }
}

/**
 * Claims a slot for one attempt before its secret is verified. When the slots are taken by attempts still being
 * verified it waits (real time, briefly) for them to settle; refused only by a lock, or if they never settle.
 */
export async function claimAttempt(db: Kysely<DB>, clock: Clock, key: string, ip: string): Promise<Claim> {
  for (let i = 0; ; i++) {
    const claim = await tryClaim(db, key, ip, clock.now())
    if (claim !== 'busy') return claim
    if (i >= WAITS) return { ok: false, scope: 'pair', lockedUntil: null }
    await delay(Math.min(5 * 2 ** i, MAX_WAIT_MS))
  }
}

export type Settlement = 'success' | 'partial' | 'uncounted'

/**
 * Settles a claimed attempt that did not fail: 'success' (signed in: the pair's failures and locks are forgotten),
 * 'partial' (a right password, a TOTP code still owed) or 'uncounted' (nothing was verified, or a replayed code).
 * The key's count is never reset by a success: it is a window, so a right password does not buy a guesser 99 more.
 */
export async function settleAttempt(db: Kysely<DB>, key: string, ip: string, how: Settlement): Promise<void> {
  await db
    .updateTable('sign_in_throttle')
    .set({ pending: sql`GREATEST(pending - 1, 0)` })
    .where('username', '=', key)
    .execute()
  await db
    .updateTable('sign_in_pairs')
    .set(
      how === 'success'
        ? { pending: sql`GREATEST(pending - 1, 0)`, failures: 0, locks: 0, locked_until: null }
        : { pending: sql`GREATEST(pending - 1, 0)` },
    )
    .where('username', '=', key)
    .where('ip', '=', ip)
    .execute()
}

export interface FailureOutcome {
  pairFailures: number
  /** Set when this failure locked its pair: the lock's end and how many locks the pair has had. */
  pairLock: { until: Date; locks: number } | null
  keyFailures: number
  /** Set when this failure reached the key's ceiling. */
  keyLock: { until: Date } | null
}

/**
 * Settles a failed attempt: one failure on its pair and on its key, each in one statement; the failure that
 * reaches a limit sets that lock (a pair's lasts PAIR_LOCK_MINUTES × 2^(locks before it), up to a day).
 */
export async function settleFailure(db: Kysely<DB>, key: string, ip: string, now: Date): Promise<FailureOutcome> {
  const at = ts(now)
  const keyRow = await sql<{ failures: number; locked_until: Date | string | null; locked: boolean }>`
    UPDATE sign_in_throttle AS t SET
      failures = t.failures + 1,
      pending = GREATEST(t.pending - 1, 0),
      locked_until = CASE WHEN t.failures + 1 >= ${KEY_CEILING}::integer AND t.locked_until IS NULL
        THEN ${ts(new Date(now.getTime() + KEY_LOCK_MINUTES * 60_000))} ELSE t.locked_until END,
      updated_at = ${at}
    WHERE t.username = ${key}
    RETURNING t.failures, t.locked_until, (t.failures = ${KEY_CEILING}::integer) AS locked`.execute(db)
  const pairRow = await sql<{ failures: number; locks: number; locked_until: Date | string | null }>`
    UPDATE sign_in_pairs AS p SET
      failures = p.failures + 1,
      pending = GREATEST(p.pending - 1, 0),
      locks = CASE WHEN p.failures + 1 = ${PAIR_ATTEMPTS}::integer THEN p.locks + 1 ELSE p.locks END,
      locked_until = CASE WHEN p.failures + 1 = ${PAIR_ATTEMPTS}::integer
        THEN ${at} + make_interval(mins => LEAST(${PAIR_LOCK_MINUTES}::integer * power(2, LEAST(p.locks, 20)),
          ${PAIR_LOCK_MAX_MINUTES}::integer)::integer)
        ELSE p.locked_until END,
      updated_at = ${at}
    WHERE p.username = ${key} AND p.ip = ${ip}
    RETURNING p.failures, p.locks, p.locked_until`.execute(db)
  const k = keyRow.rows[0]
  const p = pairRow.rows[0]
  return {
    pairFailures: p?.failures ?? 0,
    pairLock:
      p && p.failures === PAIR_ATTEMPTS && p.locked_until ? { until: new Date(p.locked_until), locks: p.locks } : null,
    keyFailures: k?.failures ?? 0,
    keyLock: k?.locked && k.locked_until ? { until: new Date(k.locked_until) } : null,
  }
}
