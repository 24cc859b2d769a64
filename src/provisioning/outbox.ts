import { randomUUID } from 'node:crypto'
import type { CommandContext } from '../audit/index.ts'
import type { ProvisioningKind } from '../db/types-activity.ts'
import { ValidationError } from '../domain/errors.ts'

export type { ProvisioningKind }
export const PROVISIONING_KINDS: readonly ProvisioningKind[] = [
  'bar_outgoing',
  'unbar',
  'withdraw',
  'restore',
  'sim_change',
  'hold_bar',
  'hold_unbar',
]

export interface ProvisioningRequest {
  msisdn: string
  kind: ProvisioningKind
  payload?: Record<string, unknown>
}

/**
 * Writes an event for the network (HLR/HSS) into the outbox, in the caller's transaction: it exists exactly when the
 * change it announces commits. The caller's own audit record covers it (name the returned id in its data).
 * Consumers receive a number's events in the order they were enqueued.
 */
export async function enqueueProvisioning(
  ctx: CommandContext,
  request: ProvisioningRequest,
): Promise<{ eventId: string }> {
  if (!PROVISIONING_KINDS.includes(request.kind)) {
    throw new ValidationError('kind', `kind must be one of ${PROVISIONING_KINDS.join(', ')}`)
  }
  const eventId = randomUUID()
  await ctx.tx
    .insertInto('provisioning_events')
    .values({
      id: eventId,
      msisdn: request.msisdn,
      kind: request.kind,
      payload: JSON.stringify(request.payload ?? {}),
      created_at: ctx.now,
      next_attempt_at: ctx.now,
    })
    .execute()
  return { eventId }
}
