// Legal-order withdrawal (DOMAIN's request table): a compliance officer files it with the SHA-256 of the order
// document; another compliance officer approves; the holder is told and the order waits 7 days — unless the order
// forbids notice, when there is neither SMS nor wait. Execution ends custody (legal_order); the number ages.
import type { StaffActor } from '../access/index.ts'
import { type Audited, type CommandContext, recordAudit } from '../audit/index.ts'
import { ValidationError } from '../domain/errors.ts'
import type { ExecutionResult, RequestRecord } from '../requests/index.ts'
import { refuseOvertaken, withdrawToAging } from './custody-moves.ts'
import { type FiledChange, fileChange } from './file-change.ts'
import { lockHolding, operatorTime } from './holding.ts'

export interface LegalOrderInput {
  msisdn: string
  order_reference: string
  /** SHA-256 (hex) of the order document as received. */
  order_sha256: string
  forbids_notice: boolean
}

export async function requestLegalOrder(
  ctx: CommandContext,
  officer: StaffActor,
  input: LegalOrderInput,
): Promise<Audited<FiledChange>> {
  if (!/^[0-9a-f]{64}$/.test(input.order_sha256))
    throw new ValidationError('order_sha256', 'order_sha256 must be the SHA-256 of the order document (64 hex digits)')
  const holding = await lockHolding(ctx, input.msisdn, 'withdrawn by legal order')
  const after = operatorTime(new Date(ctx.now.getTime() + 7 * 86_400_000))
  return fileChange(
    ctx,
    officer,
    {
      kind: 'legal_order',
      holding,
      payload: {
        msisdn: input.msisdn,
        custody_id: holding.custody_id,
        subscriber_id: holding.subscriber_id,
        order_reference: input.order_reference,
        order_sha256: input.order_sha256,
        forbids_notice: input.forbids_notice,
      },
      notice: input.forbids_notice
        ? undefined
        : {
            en: `Under a legal order (${input.order_reference}), your number ${input.msisdn} will be withdrawn on or after ${after}. Please contact us or visit one of our shops.`,
            km: `តាមដីកាច្បាប់ (${input.order_reference}) លេខ ${input.msisdn} របស់អ្នកនឹងត្រូវដកហូតនៅ ឬបន្ទាប់ពី ${after}។ សូមទាក់ទងមកយើង ឬអញ្ជើញមកហាងរបស់យើង។`,
          },
      withoutWait: input.forbids_notice,
    },
    '',
  )
}

export async function executeLegalOrder(ctx: CommandContext, request: RequestRecord): Promise<ExecutionResult> {
  const p = request.payload as { msisdn: string; custody_id: string; order_sha256: string; order_reference: string }
  const holding = await lockHolding(ctx, p.msisdn, 'withdrawn by legal order')
  refuseOvertaken(holding, { custody_id: p.custody_id }, request.id)
  const { outcome, receipts } = await withdrawToAging(ctx, holding, 'legal_order', request.id)
  const receipt = await recordAudit(ctx, {
    action: 'number.withdrawn_by_legal_order',
    msisdn: p.msisdn,
    before: { state: holding.state, custody_id: holding.custody_id },
    after: { state: 'aging', aging_ends_on: outcome.aging_ends_on },
    basis: request.id,
    data: { request_id: request.id, order_sha256: p.order_sha256, order_reference: p.order_reference, ...outcome },
  })
  return { outcome, receipts: [receipt, ...receipts] }
}
