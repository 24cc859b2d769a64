// A command that must commit what a refusal leaves behind (a counted failure, a lockout, its alerts) cannot throw
// inside its transaction: that would roll them back. It returns the refusal instead, and the route throws it once the
// transaction has committed.
import type { DomainError } from '../domain/errors.ts'

export type Outcome<T> = { ok: true; value: T } | { ok: false; refusal: DomainError }

export const succeeded = <T>(value: T): Outcome<T> => ({ ok: true, value })

export function refused<T>(refusal: DomainError, alertIds: readonly string[] = []): Outcome<T> {
  if (alertIds.length > 0) refusal.details.alert_id = alertIds.at(-1)
  return { ok: false, refusal }
}

/** After the commit: the value, or the refusal thrown. */
export function settle<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw outcome.refusal
  return outcome.value
}
