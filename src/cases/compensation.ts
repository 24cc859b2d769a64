// Compensation offers (issue 11, item 6): several per case — an amount in a currency, or a service credit — each
// with who offered it and when, and the complainant's answer (accepted, declined, no answer) recorded once.
import { randomUUID } from 'node:crypto'
import type { StaffActor } from '../access/index.ts'
import { audited, type CommandContext, recordAudit } from '../audit/index.ts'
import type { OfferResponse } from '../db/types-cases.ts'
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.ts'
import { mustManage } from './commands.ts'
import { lockCase } from './queries.ts'

export type OfferInput =
  | { kind: 'money'; amount: number; currency: string }
  | { kind: 'service_credit'; credit: string }

export async function offerCompensation(ctx: CommandContext, staff: StaffActor, caseId: string, input: OfferInput) {
  mustManage(staff, 'offer_compensation')
  const c = await lockCase(ctx.tx, caseId)
  if (!c) throw new NotFoundError('case', caseId)
  if (c.kind !== 'complaint') throw new ConflictError('no_complainant', 'An investigation has nobody to compensate')
  if (c.status === 'closed') throw new ConflictError('case_closed', `Case ${c.reference} is closed`)
  const id = randomUUID()
  const terms =
    input.kind === 'money'
      ? { amount: input.amount.toFixed(2), currency: input.currency.toUpperCase(), credit: null }
      : { amount: null, currency: null, credit: input.credit.trim() }
  if (input.kind === 'money' && !(input.amount > 0)) throw new ValidationError('amount', 'an amount above zero')
  await ctx.tx
    .insertInto('compensation_offers')
    .values({ id, case_id: c.id, kind: input.kind, ...terms, offered_by: staff.staffId, offered_at: ctx.now })
    .execute()
  const receipt = await recordAudit(ctx, {
    action: 'compensation.offered',
    basis: c.id,
    after: { offer_id: id, kind: input.kind, ...terms },
    data: { case_id: c.id, offer_id: id },
  })
  return audited({ id, case_id: c.id, kind: input.kind, ...terms, offered_by: staff.staffId, offered_at: ctx.now }, [
    receipt,
  ])
}

export async function recordOfferResponse(
  ctx: CommandContext,
  staff: StaffActor,
  offerId: string,
  response: OfferResponse,
) {
  mustManage(staff, 'record_offer_response')
  const offer = await ctx.tx
    .selectFrom('compensation_offers')
    .selectAll()
    .where('id', '=', offerId)
    .forUpdate()
    .executeTakeFirst()
  if (!offer) throw new NotFoundError('compensation offer', offerId)
  if (offer.response)
    throw new ConflictError('offer_answered', `That offer was already answered: ${offer.response}`, {
      offer_id: offerId,
    })
  await ctx.tx
    .updateTable('compensation_offers')
    .set({ response, responded_at: ctx.now, recorded_by: staff.staffId })
    .where('id', '=', offerId)
    .execute()
  const receipt = await recordAudit(ctx, {
    action: 'compensation.responded',
    basis: offer.case_id,
    before: { response: null },
    after: { response },
    data: { case_id: offer.case_id, offer_id: offerId },
  })
  return audited({ ...offer, response, responded_at: ctx.now, recorded_by: staff.staffId }, [receipt])
}
