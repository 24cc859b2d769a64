// The holder's own changes: termination (24 h wait, NO cancels) and a KYC identity change (a supervisor of another
// shop approves; ID-only customer authentication is refused for 30 days after). Both need the holder's SMS reply.
import type { StaffActor } from '../access/index.ts'
import { type Audited, type CommandContext, recordAudit } from '../audit/index.ts'
import { NotFoundError, ValidationError } from '../domain/errors.ts'
import type { ExecutionResult, RequestRecord } from '../requests/index.ts'
import { kycDocumentHash, type NewSubscriber, normaliseDocumentNumber } from '../subscribers/index.ts'
import { refuseOvertaken, withdrawToAging } from './custody-moves.ts'
import { type FiledChange, fileChange } from './file-change.ts'
import { refuseUnauthenticatedFiling } from './filing-guard.ts'
import { lockHolding, operatorTime } from './holding.ts'
import { refuseChangeAfterSwap } from './swap-history.ts'

export async function requestTermination(
  ctx: CommandContext,
  agent: StaffActor,
  input: { msisdn: string },
  kycKey: string,
): Promise<Audited<FiledChange>> {
  const holding = await lockHolding(ctx, input.msisdn, 'terminated')
  await refuseUnauthenticatedFiling(ctx, agent, holding, 'termination', { holderIdChecked: false })
  await refuseChangeAfterSwap(ctx.tx, 'termination', input.msisdn, ctx.now, agent.staffId)
  const after = operatorTime(new Date(ctx.now.getTime() + 24 * 3_600_000))
  return fileChange(
    ctx,
    agent,
    {
      kind: 'termination',
      holding,
      payload: { msisdn: input.msisdn, custody_id: holding.custody_id, subscriber_id: holding.subscriber_id },
      notice: {
        en: `A request to end your service on ${input.msisdn} was made. It will not happen before ${after}, and only with your reply YES. Reply NO to stop it.`,
        km: `មានការស្នើសុំបញ្ចប់សេវាកម្មលើលេខ ${input.msisdn} របស់អ្នក។ វានឹងមិនកើតឡើងមុន ${after} ទេ ហើយលុះត្រាតែអ្នកឆ្លើយតប YES។ ឆ្លើយតប NO ដើម្បីបញ្ឈប់វា។`,
      },
    },
    kycKey,
  )
}

export async function executeTermination(ctx: CommandContext, request: RequestRecord): Promise<ExecutionResult> {
  const p = request.payload as { msisdn: string; custody_id: string }
  const holding = await lockHolding(ctx, p.msisdn, 'terminated')
  refuseOvertaken(holding, { custody_id: p.custody_id }, request.id)
  await refuseChangeAfterSwap(ctx.tx, 'termination', p.msisdn, ctx.now, null)
  const { outcome, receipts } = await withdrawToAging(ctx, holding, 'termination', request.id)
  const receipt = await recordAudit(ctx, {
    action: 'number.terminated',
    msisdn: p.msisdn,
    before: { state: holding.state, custody_id: holding.custody_id },
    after: { state: 'aging', aging_ends_on: outcome.aging_ends_on },
    basis: request.id,
    data: { request_id: request.id, ...outcome },
  })
  return { outcome, receipts: [receipt, ...receipts] }
}

export interface KycChangeInput {
  msisdn: string
  kyc_doc_kind: NewSubscriber['kyc_doc_kind']
  kyc_doc_number: string
  name?: string
}

export interface KycChangePayload {
  msisdn: string
  subscriber_id: string
  kyc_doc_kind: NewSubscriber['kyc_doc_kind']
  /** Keyed hash and last 4 only: the request's payload never carries a document number in clear. */
  kyc_doc_hash: string
  kyc_doc_last4: string
  name: string | null
  [key: string]: unknown
}

export async function requestKycChange(
  ctx: CommandContext,
  agent: StaffActor,
  input: KycChangeInput,
  kycKey: string,
): Promise<Audited<FiledChange>> {
  const doc = normaliseDocumentNumber(input.kyc_doc_number)
  if (!/^[A-Z0-9]{4,40}$/.test(doc))
    throw new ValidationError('kyc_doc_number', 'the document number must be 4 to 40 letters or digits')
  const holding = await lockHolding(ctx, input.msisdn, 'given a new identity')
  await refuseUnauthenticatedFiling(ctx, agent, holding, 'kyc_change', { holderIdChecked: false })
  await refuseChangeAfterSwap(ctx.tx, 'kyc_change', input.msisdn, ctx.now, agent.staffId)
  const payload: KycChangePayload = {
    msisdn: input.msisdn,
    subscriber_id: holding.subscriber_id,
    kyc_doc_kind: input.kyc_doc_kind,
    kyc_doc_hash: kycDocumentHash(kycKey, doc),
    kyc_doc_last4: doc.slice(-4),
    name: input.name?.trim() || null,
  }
  return fileChange(
    ctx,
    agent,
    {
      kind: 'kyc_change',
      holding,
      payload,
    },
    kycKey,
  )
}

export async function executeKycChange(ctx: CommandContext, request: RequestRecord): Promise<ExecutionResult> {
  const p = request.payload as KycChangePayload
  const holding = await lockHolding(ctx, p.msisdn, 'given a new identity')
  if (holding.subscriber_id !== p.subscriber_id) refuseOvertaken(holding, { custody_id: '' }, request.id)
  await refuseChangeAfterSwap(ctx.tx, 'kyc_change', p.msisdn, ctx.now, null)
  const before = await ctx.tx
    .selectFrom('subscribers')
    .select(['kyc_doc_kind', 'kyc_doc_last4'])
    .where('id', '=', p.subscriber_id)
    .executeTakeFirst()
  if (!before) throw new NotFoundError('subscriber', p.subscriber_id)
  await ctx.tx
    .updateTable('subscribers')
    .set({
      kyc_doc_kind: p.kyc_doc_kind,
      kyc_doc_hash: p.kyc_doc_hash,
      kyc_doc_last4: p.kyc_doc_last4,
      ...(p.name ? { name: p.name } : {}),
      kyc_changed_at: ctx.now,
    })
    .where('id', '=', p.subscriber_id)
    .execute()
  const outcome = { subscriber_id: p.subscriber_id, kyc_changed_at: ctx.now.toISOString() }
  const receipt = await recordAudit(ctx, {
    action: 'subscriber.kyc_changed',
    msisdn: p.msisdn,
    before: { kyc_doc_kind: before.kyc_doc_kind },
    after: { kyc_doc_kind: p.kyc_doc_kind, kyc_changed_at: ctx.now },
    basis: request.id,
    data: { request_id: request.id, subscriber_id: p.subscriber_id, name_changed: p.name !== null },
    personal: { kyc_doc_last4_before: before.kyc_doc_last4, kyc_doc_last4: p.kyc_doc_last4, name: p.name },
  })
  return { outcome, receipts: [receipt] }
}
