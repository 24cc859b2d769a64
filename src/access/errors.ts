// Refusals of staff access, each with a stable code. 401s say why the session cannot be used, so the console and
// the CLI can tell "sign in again" from "enter your code" from "you are suspended".
import { DomainError } from '../domain/errors.ts'

/** The session's staff member is suspended: every request fails from the next one on (invariant 9). */
export class StaffSuspendedError extends DomainError {
  constructor(message = 'Your account is suspended: ask a compliance officer') {
    super('staff_suspended', 401, message)
  }
}

/** The session waits for its TOTP step (or the role now needs MFA the session never did). */
export class MfaRequiredError extends DomainError {
  constructor(stage: 'enrolment' | 'pending' | 'sign_in_again') {
    const message =
      stage === 'sign_in_again'
        ? 'Your role now needs MFA: sign in again to enter a code from your authenticator app'
        : stage === 'enrolment'
          ? 'Finish signing in: enrol your authenticator app and enter its code (POST /api/v1/auth/mfa)'
          : 'Finish signing in: enter the code from your authenticator app (POST /api/v1/auth/mfa)'
    super('mfa_required', 401, message, { stage })
  }
}

export class MfaCodeInvalidError extends DomainError {
  constructor(reason: 'wrong_code' | 'replayed_code') {
    super(
      'mfa_code_invalid',
      401,
      reason === 'replayed_code'
        ? 'That code was already used: wait for the next one on your authenticator app'
        : 'That code is not valid: enter the 6-digit code your authenticator app shows now',
      { field: 'code', reason },
    )
  }
}
