// What executing a change does to custody and SIM bindings, each step a guarded update that must move exactly the
// rows it names; the database checks the rest (an executed request as the ground of a new custody or binding).
import type { AuditReceipt, CommandContext } from '../audit/index.ts'
import {
  bindSim as bindSimToCustody,
  endCustody as endCustodyCommand,
  moveNumber,
  unbindSim,
} from '../custody/index.ts'
import { ConflictError } from '../domain/errors.ts'
import { agingEndsOn, localDate, localInstant, type PolicyParams } from '../domain/policy.ts'
import { enqueueProvisioning } from '../provisioning/index.ts'
import { recordDisconnection } from '../recycling/index.ts'
import type { Holding } from './holding.ts'

const changedMeanwhile = (what: string, details: Record<string, unknown>) =>
  new ConflictError('concurrent_change', `${what} changed meanwhile; nothing was done`, details)

function exactlyOne(result: { numUpdatedRows: bigint }, what: string, details: Record<string, unknown>): void {
  if (Number(result.numUpdatedRows) !== 1) throw changedMeanwhile(what, details)
}

/** The holding the request was filed on must still be the one in force (same custody, same SIM where it matters). */
export function refuseOvertaken(
  holding: Holding,
  expected: { custody_id: string; iccid?: string | null },
  requestId: string,
): void {
  if (holding.custody_id !== expected.custody_id || (expected.iccid !== undefined && holding.iccid !== expected.iccid))
    throw new ConflictError(
      'change_overtaken',
      `${holding.msisdn} changed hands or SIM since request ${requestId} was filed: file a new request`,
      { msisdn: holding.msisdn, request_id: requestId },
    )
}

/** Ends the open binding of a custody (its SIM leaves service in the state given). */
export async function endBinding(
  ctx: CommandContext,
  holding: Holding,
  reason: 'sim_swap' | 'custody_ended' | 'sim_lost',
  simState: 'deactivated' | 'lost_stolen',
): Promise<string | null> {
  const iccid = (await unbindSim(ctx, holding.custody_id, reason))[0] ?? null
  if (iccid) await ctx.tx.updateTable('sims').set({ state: simState }).where('iccid', '=', iccid).execute()
  return iccid
}

/** Binds a SIM of the shop's stock to the custody, on the request that orders it. */
export async function bindSim(
  ctx: CommandContext,
  input: { msisdn: string; custodyId: string; iccid: string; requestId: string | null },
): Promise<void> {
  exactlyOne(
    await ctx.tx
      .updateTable('sims')
      .set({ state: 'bound' })
      .where('iccid', '=', input.iccid)
      .where('state', '=', 'allocated')
      .executeTakeFirst(),
    `SIM ${input.iccid}`,
    { iccid: input.iccid },
  )
  await bindSimToCustody(ctx, input)
}

export async function endCustody(
  ctx: CommandContext,
  holding: Holding,
  reason: 'transfer' | 'termination' | 'legal_order',
): Promise<void> {
  await endCustodyCommand(ctx, { custodyId: holding.custody_id }, reason, () =>
    changedMeanwhile(`The custody of ${holding.msisdn}`, { custody_id: holding.custody_id }),
  )
}

async function policyOf(ctx: CommandContext, custodyId: string): Promise<PolicyParams> {
  const row = await ctx.tx
    .selectFrom('recycling_state as r')
    .innerJoin('recycling_policies as p', 'p.version', 'r.policy_version')
    .select('p.params')
    .where('r.custody_id', '=', custodyId)
    .executeTakeFirstOrThrow()
  return row.params as PolicyParams
}

/**
 * Termination and legal-order withdrawal: custody ends, the SIM leaves service, the number ages (quarantine per the
 * custody's policy, never under its floor) and the permanent disconnection is registered; the network is told.
 */
export async function withdrawToAging(
  ctx: CommandContext,
  holding: Holding,
  reason: 'termination' | 'legal_order',
  requestId: string,
): Promise<{ outcome: Record<string, unknown>; receipts: AuditReceipt[] }> {
  const policy = await policyOf(ctx, holding.custody_id)
  await endCustody(ctx, holding, reason)
  const iccid = await endBinding(ctx, holding, 'custody_ended', 'deactivated')
  await moveNumber(ctx, { msisdn: holding.msisdn, from: ['active', 'suspended'], to: 'aging' }, () =>
    changedMeanwhile(`Number ${holding.msisdn}`, { msisdn: holding.msisdn }),
  )
  const agingEnds = agingEndsOn(ctx.now, policy, holding.party_kind === 'organisation')
  // The recycling sweep returns the number to the pool when aging ends (it ages like a withdrawn number).
  await ctx.tx
    .updateTable('recycling_state')
    .set({
      stage: 'aging',
      step: reason,
      withdrawn_at: ctx.now,
      next_due_at: localInstant(agingEnds, policy.time_zone),
      updated_at: ctx.now,
    })
    .where('custody_id', '=', holding.custody_id)
    .execute()
  const disconnection = await recordDisconnection(ctx, {
    msisdn: holding.msisdn,
    custodyId: holding.custody_id,
    disconnectedOn: localDate(ctx.now, policy.time_zone),
  })
  const provisioning = await enqueueProvisioning(ctx, {
    msisdn: holding.msisdn,
    kind: 'withdraw',
    payload: { custody_id: holding.custody_id, iccids: iccid ? [iccid] : [], reason, request_id: requestId },
  })
  return {
    outcome: {
      custody_id: holding.custody_id,
      iccid,
      aging_ends_on: agingEnds,
      disconnection_id: disconnection.id,
      provisioning_event_id: provisioning.eventId,
    },
    receipts: disconnection.receipt ? [disconnection.receipt] : [],
  }
}
