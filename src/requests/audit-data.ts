import type { StaffActor } from '../access/index.ts'
import type { CommandContext } from '../audit/index.ts'
import { ForbiddenError } from '../domain/errors.ts'
import type { RequestRecord } from './queries.ts'

export function staffActorOf(ctx: CommandContext, action: string): StaffActor {
  if (ctx.actor.kind !== 'staff')
    throw new ForbiddenError(action, `Only a staff member can ${action.replaceAll('_', ' ')}`)
  return ctx.actor
}

/** What every request record in the audit log carries, so a verifier can match approvals to executions. */
export function auditData(r: RequestRecord, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    request_id: r.id,
    kind: r.kind,
    payload_sha256: r.payload_sha256,
    requested_by: r.requested_by,
    assigned_to: r.assigned_to,
    ...extra,
  }
}
