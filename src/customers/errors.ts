// Refusals of customer authentication and of details outside a customer session, each with a stable code.
import { DomainError } from '../domain/errors.ts'

/** An agent asked for a subscriber's details without an open customer session for that subscriber (invariant 10). */
export class CustomerSessionRequiredError extends DomainError {
  constructor(subscriberId: string) {
    super(
      'customer_session_required',
      403,
      'Authenticate the customer first: open a customer session with a code sent to their number or their ID ' +
        'document (POST /api/v1/customer-sessions); until then only masked data is shown',
      { subscriber_id: subscriberId },
    )
  }
}

/** The agent is locked out of this number after too many failed authentications (the holder is not). */
export class CustomerAuthLockedError extends DomainError {
  constructor(msisdn: string, lockedUntil: Date, now: Date) {
    const retry = Math.max(1, Math.ceil((lockedUntil.getTime() - now.getTime()) / 1000))
    super(
      'customer_auth_locked',
      429,
      `Too many failed customer authentications on ${msisdn}: you are locked out of this number until ` +
        `${lockedUntil.toISOString()} unless a supervisor of another shop or a compliance officer releases it`,
      { msisdn, locked_until: lockedUntil.toISOString(), retry_after_seconds: retry },
    )
  }
}

export type AuthFailureReason = 'wrong_code' | 'document_mismatch'

/** A wrong code or a document that does not match the KYC record: counted against this agent on this number. */
export class CustomerAuthFailedError extends DomainError {
  constructor(
    reason: AuthFailureReason,
    details: { msisdn: string; attempts_left: number; code_attempts_left?: number; locked_until?: string },
  ) {
    const what =
      reason === 'wrong_code'
        ? 'That code is not the one sent to the customer’s number'
        : 'That document does not match the one on record for this customer'
    const after = details.locked_until
      ? `; you are now locked out of ${details.msisdn} until ${details.locked_until}`
      : details.code_attempts_left === 0
        ? `; this code is now void: send a new one (${details.attempts_left} attempts left on this number)`
        : ` (${details.attempts_left} attempts left on this number)`
    super('customer_auth_failed', 403, `${what}${after}`, {
      reason,
      field: reason === 'wrong_code' ? 'code' : 'document',
      ...details,
    })
  }
}

/** The code was already used, voided, closed or expired: a new one must be sent. */
export class CustomerChallengeClosedError extends DomainError {
  constructor(id: string, state: string) {
    const message =
      state === 'expired'
        ? 'That code has expired: send a new one to the customer’s number'
        : state === 'open' || state === 'closed'
          ? 'That code was already used: a code opens one customer session, once'
          : 'That code can no longer be used: send a new one to the customer’s number'
    super('customer_code_not_usable', 409, message, { customer_session_id: id, state })
  }
}

/** The number has no holder, so there is no account to open. */
export class NoHolderError extends DomainError {
  constructor(msisdn: string, state: string) {
    super('number_has_no_holder', 409, `${msisdn} is ${state}: nobody holds it, so there is no account to open`, {
      msisdn,
      state,
    })
  }
}

/** DOMAIN: ID-only authentication is refused for 30 days after a KYC identity change. */
export class IdAuthenticationRefusedError extends DomainError {
  constructor(msisdn: string, until: Date) {
    super(
      'id_authentication_refused',
      403,
      `The customer’s identity changed recently: an ID document alone cannot open this account until ` +
        `${until.toISOString()}; send a code to the number instead`,
      { msisdn, field: 'method', until: until.toISOString() },
    )
  }
}

/** Too many codes sent to one number by one agent in a day. */
export class CustomerCodeLimitError extends DomainError {
  constructor(msisdn: string, limit: number) {
    super(
      'customer_code_limit',
      429,
      `${limit} codes were already sent to ${msisdn} for you in the last 24 hours: use one of them, or the ` +
        'customer’s ID document',
      { msisdn, limit },
    )
  }
}

/** A customer session that exists but belongs to another staff session (sign in again means authenticate again). */
export class CustomerSessionOtherSignInError extends DomainError {
  constructor(id: string) {
    super(
      'customer_session_other_sign_in',
      409,
      'This customer session was opened in another sign-in: authenticate the customer again',
      { customer_session_id: id },
    )
  }
}
