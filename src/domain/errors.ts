// Errors are classes with a stable snake_case code, an HTTP status and safe details.
// Nothing anywhere matches on message text.

export type Severity = 'info' | 'warning' | 'risk'

/** What a refusal asks to be remembered: written as an alert after the refused transaction rolls back. */
export interface AlertDraft {
  kind: string
  severity: Severity
  msisdn?: string | null
  /** The staff member the alert is about, when that is not the actor (e.g. an account whose sign-ins failed). */
  staffId?: string
  /** What identical alerts share (repeats of one count on it, src/alerts); by default the number and the attempt. */
  subject?: string
  attempt: Record<string, unknown>
}

export class DomainError extends Error {
  readonly code: string
  readonly status: number
  readonly details: Record<string, unknown>
  /** Set when the refused attempt must leave an alert behind (invariant 8). */
  alert?: AlertDraft

  constructor(code: string, status: number, message: string, details: Record<string, unknown> = {}) {
    super(message)
    this.name = new.target.name
    this.code = code
    this.status = status
    this.details = details
  }

  withAlert(alert: AlertDraft): this {
    this.alert = alert
    return this
  }
}

export class ValidationError extends DomainError {
  constructor(field: string, message: string, details: Record<string, unknown> = {}) {
    super('invalid_input', 400, message, { field, ...details })
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string, id: string) {
    super('not_found', 404, `${what} ${id} was not found`, { what, id })
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message = 'Sign in first: this needs a valid session or access token') {
    super('unauthenticated', 401, message)
  }
}

/**
 * Every refusal of a known staff member or client leaves an alert naming them (invariant 8): a ForbiddenError
 * carries a `permission_denied` alert unless the thrower attaches a more telling one with withAlert.
 */
export class ForbiddenError extends DomainError {
  constructor(
    action: string,
    message = `You may not ${action.replaceAll('_', ' ')}`,
    alert: { severity?: Severity; attempt?: Record<string, unknown> } = {},
  ) {
    super('forbidden', 403, message, { action })
    this.alert = {
      kind: 'permission_denied',
      severity: alert.severity ?? 'warning',
      attempt: { action, ...alert.attempt },
    }
  }
}

/** A request that conflicts with the current state of a resource (HTTP 409). */
export class ConflictError extends DomainError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(code, 409, message, details)
  }
}

/** A mode or configuration refuses the operation (demo-only endpoint in production, …). */
export class RefusedByConfigurationError extends DomainError {
  constructor(code: string, message: string) {
    super(code, 403, message)
  }
}
