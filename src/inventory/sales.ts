import type { StaffActor } from '../access/index.ts'
import { constantTimeEqual } from '../access/index.ts'
import { type Audited, type AuditReceipt, audited, type CommandContext, recordAudit } from '../audit/index.ts'
import { bindSim, moveNumber, startCustody } from '../custody/index.ts'
import { ConflictError, DomainError, ForbiddenError, NotFoundError } from '../domain/errors.ts'
import type { NumberState } from '../domain/lifecycle.ts'
import { createSubscriber, kycDocumentHash, type NewSubscriber } from '../subscribers/index.ts'
import { lockNumber } from './queries.ts'
import { refuseHandOver } from './refusals.ts'

export interface SaleInput {
  msisdn: string
  iccid: string
  subscriberId?: string
  /** With `subscriberId`: the document number the customer presents, checked against the stored keyed hash. */
  kycDocNumber?: string
  subscriber?: NewSubscriber
}

export interface Sale {
  msisdn: string
  state: 'active'
  custody_id: string
  subscriber_id: string
  iccid: string
}

/**
 * A line in an existing subscriber's name needs the customer's identity document: the number typed must match
 * the stored keyed hash. A mismatch is refused (403 `kyc_mismatch`) and leaves a risk alert naming the agent and
 * the subscriber, never the document number that was typed.
 */
async function checkPresentedDocument(
  ctx: CommandContext,
  agent: StaffActor,
  msisdn: string,
  subscriberId: string,
  presented: string,
  kycKey: string,
): Promise<void> {
  const known = await ctx.tx
    .selectFrom('subscribers')
    .select(['id', 'kyc_doc_hash'])
    .where('id', '=', subscriberId)
    .executeTakeFirst()
  if (!known) throw new NotFoundError('subscriber', subscriberId)
  if (presented && constantTimeEqual(kycDocumentHash(kycKey, presented), known.kyc_doc_hash)) return
  throw new DomainError(
    'kyc_mismatch',
    403,
    'The identity document does not match this subscriber: a line is opened in their name only on their own document',
    { subscriber_id: subscriberId },
  ).withAlert({
    kind: 'kyc_mismatch',
    severity: 'risk',
    msisdn,
    attempt: { action: 'sell', subscriber_id: subscriberId, staff_id: agent.staffId, username: agent.username },
  })
}

/**
 * Sells a number: custody (basis sale), a SIM of the agent's shop bound to it, and the subscriber if new, in one
 * transaction. The number row is locked first, so of many agents racing for one number exactly one wins.
 */
export async function sellNumber(
  ctx: CommandContext,
  agent: StaffActor,
  input: SaleInput,
  kycKey: string,
): Promise<Audited<Sale>> {
  if (!agent.shopId) throw new ForbiddenError('sell_number', 'Only an agent attached to a shop can sell a number')
  const number = await lockNumber(ctx.tx, input.msisdn)
  const free =
    number.state === 'available' ||
    (number.state === 'reserved' &&
      (number.reserved_by === agent.staffId || new Date(number.reserved_until ?? 0) <= ctx.now))
  if (!free) throw refuseHandOver(number, 'sell', ctx.now, agent.staffId)

  const sim = await ctx.tx
    .selectFrom('sims')
    .select(['iccid', 'state', 'shop_id'])
    .where('iccid', '=', input.iccid)
    .forUpdate()
    .executeTakeFirst()
  if (!sim) throw new NotFoundError('SIM', input.iccid)
  if (sim.state !== 'allocated' || sim.shop_id !== agent.shopId) {
    throw new ConflictError('sim_not_available', `SIM ${input.iccid} is not an unused SIM of your shop`, {
      iccid: input.iccid,
      state: sim.state,
    })
  }

  const receipts: AuditReceipt[] = []
  let subscriberId = input.subscriberId
  if (subscriberId) {
    await checkPresentedDocument(ctx, agent, input.msisdn, subscriberId, input.kycDocNumber ?? '', kycKey)
  } else if (input.subscriber) {
    const created = await createSubscriber(ctx, input.subscriber, kycKey)
    subscriberId = created.id
    receipts.push(created.receipt)
  } else {
    throw new ConflictError('subscriber_required', 'A sale needs an existing subscriber_id or a new subscriber')
  }

  // Custody first: the database checks the number is still free, then that an active number has its custody.
  const custodyId = await startCustody(ctx, { msisdn: input.msisdn, subscriberId, basis: 'sale' })
  await moveNumber(ctx, { msisdn: input.msisdn, from: number.state as NumberState, to: 'active' })
  await ctx.tx
    .updateTable('sims')
    .set({ state: 'bound' })
    .where('iccid', '=', input.iccid)
    .where('state', '=', 'allocated')
    .execute()
  await bindSim(ctx, { msisdn: input.msisdn, custodyId, iccid: input.iccid })

  const sale: Sale = {
    msisdn: input.msisdn,
    state: 'active',
    custody_id: custodyId,
    subscriber_id: subscriberId,
    iccid: input.iccid,
  }
  const receipt = await recordAudit(ctx, {
    action: 'number.sold',
    msisdn: input.msisdn,
    before: { state: number.state },
    after: {
      state: 'active',
      custody_id: custodyId,
      subscriber_id: subscriberId,
      iccid: input.iccid,
      shop_id: agent.shopId,
    },
    basis: 'sale',
  })
  return audited(sale, [receipt, ...receipts])
}
