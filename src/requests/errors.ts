// Refusals of the request workflow. Each names what was refused; the ones that are attempts on four eyes leave an
// alert naming the staff member (invariant 8), attached where the attempt is detected.
import { ConflictError, DomainError } from '../domain/errors.ts'

export class RequestNotOpenError extends ConflictError {
  constructor(id: string, status: string, wanted: string) {
    super('request_not_open', `Request ${id} is ${status}; it can be ${wanted} only while it is open`, {
      request_id: id,
      status,
    })
  }
}

export class RequestExpiredError extends ConflictError {
  constructor(id: string, expiresAt: Date) {
    super('request_expired', `Request ${id} expired at ${expiresAt.toISOString()}`, {
      request_id: id,
      expires_at: expiresAt.toISOString(),
    })
  }
}

export class DuplicateRequestError extends ConflictError {
  constructor(kind: string, msisdn: string, existingId: string) {
    super('duplicate_request', `${msisdn} already has an open ${kind} request (${existingId})`, {
      kind,
      msisdn,
      request_id: existingId,
    })
  }
}

export class NoEligibleApproverError extends ConflictError {
  constructor(kind: string, role: string) {
    super(
      'no_eligible_approver',
      `No active ${role} can approve this ${kind} request (none of another shop, or none at all)`,
      {
        kind,
        approver_role: role,
      },
    )
  }
}

/** The caller may not decide this request: their own, wrong role, same shop, or assigned to someone else. */
export class ApproverNotEligibleError extends DomainError {
  constructor(reason: string, message: string, details: Record<string, unknown>) {
    super('approver_not_eligible', 403, message, { reason, ...details })
  }
}

export class PayloadMismatchError extends ConflictError {
  constructor(id: string, expected: string, given: string) {
    super(
      'payload_mismatch',
      `The approval signs payload ${given.slice(0, 12)}…, but request ${id} asks ${expected.slice(0, 12)}…`,
      {
        request_id: id,
        payload_sha256: expected,
        given_sha256: given,
      },
    )
  }
}

export class RequestNotExecutableError extends ConflictError {
  constructor(code: string, message: string, details: Record<string, unknown>) {
    super(code, message, details)
  }
}
