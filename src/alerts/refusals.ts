// Refusals that reach the HTTP layer without an alert (invariant 8): a wrong role refused by the access hook, a
// refusal thrown by route code, or one a command returned after its own transaction. The error mapper writes the
// alert here, once, in its own transaction, and the answer names it in details.alert_id.

import type { CommandDeps } from '../audit/index.ts'
import { raiseAlert } from '../audit/index.ts'
import type { Actor } from '../domain/actor.ts'
import type { AlertDraft, DomainError } from '../domain/errors.ts'

export interface RefusedCall {
  method: string
  /** The route's pattern (`/api/v1/requests/:id/approve`), not the URL: identical refusals count as repeats. */
  route: string
  params?: Record<string, unknown>
}

/** Whether a refusal still owes its alert: a 403 to a known staff member or client, not yet recorded. */
export function owesAlert(err: DomainError, actor: Actor | undefined): actor is Exclude<Actor, { kind: 'system' }> {
  if (err.status !== 403 || !actor || actor.kind === 'system') return false
  return typeof err.details.alert_id !== 'string'
}

/** Writes the refusal's alert (its own, or a plain one by its code) and returns its id. */
export async function alertRefusal(
  deps: CommandDeps,
  actor: Actor,
  err: DomainError,
  call: RefusedCall,
): Promise<string> {
  const own: AlertDraft = err.alert ?? { kind: err.code, severity: 'warning', attempt: {} }
  const params = Object.fromEntries(
    Object.entries(call.params ?? {}).filter(([, v]) => typeof v === 'string' && v.length <= 100),
  )
  const draft: AlertDraft = {
    ...own,
    attempt: { ...own.attempt, refused_with: err.code, route: `${call.method} ${call.route}`, ...params },
  }
  const now = deps.clock.now()
  const { id } = await deps.db.transaction().execute((tx) => raiseAlert({ tx, actor, now }, draft))
  deps.onAudited?.()
  err.details.alert_id = id
  return id
}
