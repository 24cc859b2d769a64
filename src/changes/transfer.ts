// Transfer of an active number to a new holder (DOMAIN's request table; the incident): the current holder agrees
// by SMS reply from the number, the new holder shows their ID in the shop, a supervisor of another shop approves,
// and the number moves only 24 h after the holder was told — unless they reply NO. Refused within the cooling window after a swap (30 days).
import type { StaffActor } from '../access/index.ts'
import { type Audited, type AuditReceipt, type CommandContext, recordAudit } from '../audit/index.ts'
import { startCustody } from '../custody/index.ts'
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../domain/errors.ts'
import { enqueueProvisioning } from '../provisioning/index.ts'
import type { ExecutionResult, RequestRecord } from '../requests/index.ts'
import { createSubscriber, type NewSubscriber, normaliseDocumentNumber } from '../subscribers/index.ts'
import { bindSim, endBinding, endCustody, refuseOvertaken } from './custody-moves.ts'
import { type FiledChange, fileChange } from './file-change.ts'
import { refuseUnauthenticatedFiling } from './filing-guard.ts'
import { checkHolderDocument, lockHolding, lockShopSim, operatorTime } from './holding.ts'
import { refuseChangeAfterSwap } from './swap-history.ts'

export interface TransferInput {
  msisdn: string
  /** A SIM of the agent's shop for the new holder. */
  iccid: string
  /** The new holder: an existing subscriber (with the document they present) or a new one registered now. */
  newSubscriberId?: string
  newHolderDocNumber?: string
  newSubscriber?: NewSubscriber
}

export interface TransferPayload {
  msisdn: string
  from_custody_id: string
  from_subscriber_id: string
  to_subscriber_id: string
  iccid: string
  shop_id: string
  [key: string]: unknown
}

export async function requestTransfer(
  ctx: CommandContext,
  agent: StaffActor,
  input: TransferInput,
  kycKey: string,
): Promise<Audited<FiledChange>> {
  if (!agent.shopId)
    throw new ForbiddenError('request_transfer', 'A transfer is filed in a shop, where the new holder shows their ID')
  const holding = await lockHolding(ctx, input.msisdn, 'transferred')
  // First, before anything about the account shows in a refusal: the holder authenticated in this session.
  await refuseUnauthenticatedFiling(ctx, agent, holding, 'transfer', { holderIdChecked: false })
  if (holding.state !== 'active')
    throw new ConflictError(
      'number_not_active',
      `${input.msisdn} is ${holding.state}: only an active number is transferred`,
      {
        msisdn: input.msisdn,
        state: holding.state,
      },
    )
  await refuseChangeAfterSwap(ctx.tx, 'transfer', input.msisdn, ctx.now, agent.staffId)
  await lockShopSim(ctx, input.iccid, agent.shopId)

  const receipts: AuditReceipt[] = []
  let toSubscriberId: string
  let last4: string
  if (input.newSubscriberId) {
    const known = await ctx.tx
      .selectFrom('subscribers')
      .select(['id', 'kyc_doc_hash', 'kyc_doc_last4'])
      .where('id', '=', input.newSubscriberId)
      .executeTakeFirst()
    if (!known) throw new NotFoundError('subscriber', input.newSubscriberId)
    checkHolderDocument(
      agent,
      { msisdn: input.msisdn, kyc_doc_hash: known.kyc_doc_hash, subscriber_id: known.id },
      input.newHolderDocNumber,
      kycKey,
      'transfer_new_holder_id_check',
    )
    toSubscriberId = known.id
    last4 = known.kyc_doc_last4
  } else if (input.newSubscriber) {
    const created = await createSubscriber(ctx, input.newSubscriber, kycKey)
    receipts.push(created.receipt)
    toSubscriberId = created.id
    last4 = normaliseDocumentNumber(input.newSubscriber.kyc_doc_number).slice(-4)
  } else {
    throw new ValidationError('new_subscriber', 'A transfer names its new holder: new_subscriber_id or new_subscriber')
  }
  if (toSubscriberId === holding.subscriber_id)
    throw new ValidationError('new_subscriber_id', 'The new holder is the current holder: there is nothing to transfer')

  const payload: TransferPayload = {
    msisdn: input.msisdn,
    from_custody_id: holding.custody_id,
    from_subscriber_id: holding.subscriber_id,
    to_subscriber_id: toSubscriberId,
    iccid: input.iccid,
    shop_id: agent.shopId,
  }
  const after = operatorTime(new Date(ctx.now.getTime() + 24 * 3_600_000))
  const filed = await fileChange(
    ctx,
    agent,
    {
      kind: 'transfer',
      holding,
      payload,
      idChecks: [{ party: 'new_holder', evidence: { subscriber_id: toSubscriberId, kyc_doc_last4: last4 } }],
      notice: {
        en: `A request to transfer your number ${input.msisdn} to another person was made in one of our shops. It will not happen before ${after}, and only with your reply YES. Reply NO to stop it.`,
        km: `មានការស្នើសុំផ្ទេរលេខ ${input.msisdn} របស់អ្នកទៅអ្នកផ្សេង នៅហាងរបស់យើង។ វានឹងមិនកើតឡើងមុន ${after} ទេ ហើយលុះត្រាតែអ្នកឆ្លើយតប YES។ ឆ្លើយតប NO ដើម្បីបញ្ឈប់វា។`,
      },
    },
    kycKey,
  )
  return { result: filed.result, receipts: [...filed.receipts, ...receipts] }
}

/** Moves custody: old custody ends (transfer), new custody (basis transfer, this request), new SIM bound. */
export async function executeTransfer(ctx: CommandContext, request: RequestRecord): Promise<ExecutionResult> {
  const p = request.payload as TransferPayload
  const holding = await lockHolding(ctx, p.msisdn, 'transferred')
  refuseOvertaken(holding, { custody_id: p.from_custody_id }, request.id)
  await refuseChangeAfterSwap(ctx.tx, 'transfer', p.msisdn, ctx.now, null)
  await lockShopSim(ctx, p.iccid, p.shop_id)
  await endCustody(ctx, holding, 'transfer')
  const oldIccid = await endBinding(ctx, holding, 'custody_ended', 'deactivated')
  // The transferred custody's cycle is over; the new custody gets its own row (trigger of migration 006).
  await ctx.tx
    .updateTable('recycling_state')
    .set({ stage: 'closed', step: 'transferred', next_due_at: null, updated_at: ctx.now })
    .where('custody_id', '=', holding.custody_id)
    .execute()
  const custodyId = await startCustody(ctx, {
    msisdn: p.msisdn,
    subscriberId: p.to_subscriber_id,
    basis: 'transfer',
    requestId: request.id,
  })
  await bindSim(ctx, { msisdn: p.msisdn, custodyId, iccid: p.iccid, requestId: request.id })
  const provisioning = await enqueueProvisioning(ctx, {
    msisdn: p.msisdn,
    kind: 'sim_change',
    payload: {
      old_iccid: oldIccid,
      new_iccid: p.iccid,
      custody_id: custodyId,
      reason: 'transfer',
      request_id: request.id,
    },
  })
  const outcome = {
    from_custody_id: holding.custody_id,
    custody_id: custodyId,
    to_subscriber_id: p.to_subscriber_id,
    old_iccid: oldIccid,
    iccid: p.iccid,
    provisioning_event_id: provisioning.eventId,
  }
  const receipt = await recordAudit(ctx, {
    action: 'number.transferred',
    msisdn: p.msisdn,
    before: { custody_id: holding.custody_id, subscriber_id: holding.subscriber_id, iccid: oldIccid },
    after: { custody_id: custodyId, subscriber_id: p.to_subscriber_id, iccid: p.iccid },
    basis: request.id,
    data: { request_id: request.id, ...outcome },
  })
  return { outcome, receipts: [receipt] }
}
