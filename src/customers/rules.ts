// The figures of customer authentication (invariant 10; FCC 23-95: no account data before authentication, and a
// process for failed attempts). Pure values and arithmetic: no I/O.

/** A code sent by SMS is good for 10 minutes, then a new one must be asked for. */
export const CODE_TTL_MINUTES = 10
/** Wrong entries of one code before it is void (each also counts against the agent × number limit). */
export const CODE_ATTEMPTS = 3
/** A customer session lasts 30 minutes, or until its agent closes it or their staff session ends. */
export const SESSION_MINUTES = 30
/** Failed authentications by one agent on one number within FAILURE_WINDOW_HOURS before that agent is locked out. */
export const FAILURES_BEFORE_LOCK = 5
export const FAILURE_WINDOW_HOURS = 24
/** A lockout lasts 24 hours unless a supervisor of another shop or a compliance officer releases it sooner. */
export const LOCK_HOURS = 24
/** Codes one agent may send to one number within 24 hours: a number is not to be flooded with codes. */
export const CODES_PER_DAY = 5
/** DOMAIN: ID-only authentication is refused for 30 days after a KYC identity change. */
export const ID_AFTER_KYC_CHANGE_DAYS = 30

const MINUTE = 60_000
const HOUR = 60 * MINUTE

export const plusMinutes = (at: Date, minutes: number) => new Date(at.getTime() + minutes * MINUTE)
export const plusHours = (at: Date, hours: number) => new Date(at.getTime() + hours * HOUR)

/** Until when ID-only authentication is refused after a KYC change at `changedAt`, or null when it is not. */
export function idAuthenticationRefusedUntil(changedAt: Date | string | null | undefined, now: Date): Date | null {
  if (!changedAt) return null
  const until = plusHours(new Date(changedAt), ID_AFTER_KYC_CHANGE_DAYS * 24)
  return until > now ? until : null
}

/**
 * Failures count from the later of the start of the window and the last lock: a lock (expired or released) starts
 * the count again, so a released agent is not locked out again by the failures that locked them.
 */
export function failureCountSince(now: Date, lastLockAt: Date | string | null | undefined): Date {
  const windowStart = plusHours(now, -FAILURE_WINDOW_HOURS)
  if (!lastLockAt) return windowStart
  const lock = new Date(lastLockAt)
  return lock > windowStart ? lock : windowStart
}
