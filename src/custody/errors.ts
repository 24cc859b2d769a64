import { ConflictError } from '../domain/errors.ts'
import type { NumberState } from '../domain/lifecycle.ts'

/** A number-state move the lifecycle table (src/domain/lifecycle.ts) does not allow: a bug, never retried. */
export class TransitionRefusedError extends ConflictError {
  constructor(msisdn: string, from: NumberState, to: NumberState) {
    super('transition_refused', `Number ${msisdn} may not go from ${from} to ${to}`, { msisdn, from, to })
  }
}

/** A guarded write matched fewer rows than it names: the row changed meanwhile, so nothing was done. */
export class StaleStateError extends ConflictError {
  constructor(what: string, details: Record<string, unknown>) {
    super('stale_state', `${what} changed meanwhile; nothing was done`, details)
  }
}
