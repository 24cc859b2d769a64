// Custodies start and end only here; the database checks the ground of each (basis, request, batch, evidence).
import { randomUUID } from 'node:crypto'
import type { CustodyContext, OnStale } from './context.ts'
import { StaleStateError } from './errors.ts'

export type CustodyBasis = 'sale' | 'transfer' | 'reclaim' | 'reinstatement' | 'restoration' | 'port_in' | 'migration'
export type CustodyEndReason =
  | 'transfer'
  | 'termination'
  | 'legal_order'
  | 'inactivity'
  | 'restoration'
  | 'restored_to_rightful_holder'
  | 'ported_out'
  | 'migration'

export interface NewCustody {
  msisdn: string
  subscriberId: string
  basis: CustodyBasis
  /** The executed request a transfer or reclaim rests on. */
  requestId?: string | null
  migrationBatchId?: string | null
  startedAt?: Date
}

/** Opens a custody and returns its id. Open it before the number moves to `active`: the database checks both. */
export async function startCustody(ctx: CustodyContext, custody: NewCustody): Promise<string> {
  const id = randomUUID()
  const started = await ctx.tx
    .insertInto('custodies')
    .values({
      id,
      msisdn: custody.msisdn,
      subscriber_id: custody.subscriberId,
      basis: custody.basis,
      request_id: custody.requestId ?? null,
      migration_batch_id: custody.migrationBatchId ?? null,
      started_at: custody.startedAt ?? ctx.now,
    })
    .returning('id')
    .execute()
  if (started.length !== 1) throw new StaleStateError(`The custody of ${custody.msisdn}`, { msisdn: custody.msisdn })
  return id
}

export type CustodyRef = { custodyId: string } | { msisdn: string }

/** Ends the open custody named (by id, or the one open on a number) and returns its id; throws if none was open. */
export async function endCustody(
  ctx: CustodyContext,
  ref: CustodyRef,
  reason: CustodyEndReason,
  onStale?: OnStale,
): Promise<string> {
  let update = ctx.tx
    .updateTable('custodies')
    .set({ ended_at: ctx.now, end_reason: reason })
    .where('ended_at', 'is', null)
  update = 'custodyId' in ref ? update.where('id', '=', ref.custodyId) : update.where('msisdn', '=', ref.msisdn)
  const ended = await update.returning('id').execute()
  if (ended.length !== 1) {
    throw onStale?.() ?? new StaleStateError('The custody', { ...ref, reason, open_custodies: ended.length })
  }
  return ended[0].id
}
