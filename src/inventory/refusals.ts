import { ConflictError, type DomainError } from '../domain/errors.ts'
import { HELD_STATES, type NumberState } from '../domain/lifecycle.ts'

/**
 * Two honest agents racing for one number lose within moments of each other; an attempt on a number that
 * has been held for a while is not a race. This window separates the info alert from the risk alert.
 */
export const RACE_WINDOW_MS = 2 * 60_000

export interface NumberSnapshot {
  msisdn: string
  state: string
  state_changed_at: Date | string
  reserved_by?: string | null
}

/** Why a number cannot be handed over, as the error the caller sees and the alert that outlives the refusal. */
export function refuseHandOver(n: NumberSnapshot, attempt: string, now: Date, staffId: string | null): DomainError {
  const raced = now.getTime() - new Date(n.state_changed_at).getTime() <= RACE_WINDOW_MS
  const details = { msisdn: n.msisdn, state: n.state }
  const alertAttempt = { action: attempt, state: n.state, state_changed_at: new Date(n.state_changed_at).toISOString() }
  if (HELD_STATES.includes(n.state as NumberState)) {
    return new ConflictError(
      'number_in_custody',
      `${n.msisdn} is ${n.state}: it has a holder and cannot be handed to anyone else`,
      details,
    ).withAlert(
      raced
        ? { kind: 'race_lost', severity: 'info', msisdn: n.msisdn, attempt: alertAttempt }
        : { kind: 'attempt_on_active_number', severity: 'risk', msisdn: n.msisdn, attempt: alertAttempt },
    )
  }
  if (n.state === 'reserved' && n.reserved_by !== staffId) {
    const err = new ConflictError('number_reserved', `${n.msisdn} is reserved by another agent`, details)
    return raced ? err.withAlert({ kind: 'race_lost', severity: 'info', msisdn: n.msisdn, attempt: alertAttempt }) : err
  }
  return new ConflictError('number_not_available', `${n.msisdn} is ${n.state} and cannot be sold or reserved`, details)
}
