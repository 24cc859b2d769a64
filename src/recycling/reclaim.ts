// Reclaim during aging (DOMAIN's request table): the former holder, in a shop with their ID document, asks for their
// number back while it ages after a withdrawal for inactivity. An agent checks the document against the KYC hash and
// files a `reclaim` request naming the number, the former custody and the subscriber; a supervisor of another shop,
// assigned by the system, approves that payload; executing it restores custody with basis `reclaim`.
import type { StaffActor } from '../access/index.ts'
import { constantTimeEqual } from '../access/index.ts'
import { type Audited, type AuditReceipt, audited, type CommandContext, recordAudit } from '../audit/index.ts'
import { bindSim, moveNumber, startCustody } from '../custody/index.ts'
import { ConflictError, DomainError, ForbiddenError, NotFoundError } from '../domain/errors.ts'
import { HELD_STATES, type NumberState } from '../domain/lifecycle.ts'
import { enqueueProvisioning } from '../provisioning/index.ts'
import type { ExecutionResult, RequestRecord } from '../requests/index.ts'
import { createRequest } from '../requests/index.ts'
import { queueNotice } from '../sms/index.ts'
import { kycDocumentHash } from '../subscribers/index.ts'
import { cancelDisconnection } from './disconnections.ts'
import { type FormerCustody, formerCustody, freeFormerSim, lockAgingNumber, lockShopSim } from './reclaim-queries.ts'

export interface ReclaimInput {
  msisdn: string
  /** The number of the identity document the former holder presents. */
  kycDocNumber: string
  /** A SIM of the agent's shop, when the former SIM is not free (or the holder wants a new one). */
  iccid?: string
}

/** What the approver signs. */
export interface ReclaimPayload {
  msisdn: string
  former_custody_id: string
  subscriber_id: string
  shop_id: string
  sim: { iccid: string; source: 'former' | 'shop_stock' }
  [key: string]: unknown
}

export class NotReclaimableError extends ConflictError {}

async function reclaimable(ctx: CommandContext, agent: StaffActor, msisdn: string): Promise<FormerCustody> {
  const number = await lockAgingNumber(ctx.tx, msisdn)
  if (!number) throw new NotFoundError('number', msisdn)
  if (number.state !== 'aging') {
    const err = new NotReclaimableError(
      'number_not_aging',
      `${msisdn} is ${number.state}: only a number ageing after a withdrawal can be reclaimed`,
      { msisdn, state: number.state },
    )
    // Asking to "reclaim" a number someone holds is an attempt on it, not a mistake to shrug off.
    if (HELD_STATES.includes(number.state as NumberState)) {
      err.withAlert({
        kind: 'attempt_on_active_number',
        severity: 'risk',
        msisdn,
        attempt: { action: 'reclaim', state: number.state, staff_id: agent.staffId, username: agent.username },
      })
    }
    throw err
  }
  const former = await formerCustody(ctx.tx, msisdn)
  if (former?.end_reason !== 'inactivity') {
    throw new NotReclaimableError(
      'not_reclaimable',
      `${msisdn} was not withdrawn for inactivity (${former?.end_reason ?? 'no former custody'}): there is nothing to reclaim`,
      { msisdn, end_reason: former?.end_reason ?? null },
    )
  }
  if (former.aging_ends_at && new Date(former.aging_ends_at) <= ctx.now) {
    throw new NotReclaimableError('aging_elapsed', `The reclaim period of ${msisdn} is over`, {
      msisdn,
      aging_ended_at: new Date(former.aging_ends_at).toISOString(),
    })
  }
  return former
}

/** The ID check: the document presented must be the former holder's (keyed hash). A mismatch is a risk alert. */
function checkDocument(agent: StaffActor, former: FormerCustody, presented: string, kycKey: string): void {
  if (presented && constantTimeEqual(kycDocumentHash(kycKey, presented), former.kyc_doc_hash)) return
  throw new DomainError(
    'kyc_mismatch',
    403,
    'The identity document does not match the former holder: a number is given back only on its holder’s own document',
    { msisdn: former.msisdn },
  ).withAlert({
    kind: 'kyc_mismatch',
    severity: 'risk',
    msisdn: former.msisdn,
    attempt: {
      action: 'reclaim',
      former_custody_id: former.id,
      subscriber_id: former.subscriber_id,
      staff_id: agent.staffId,
      username: agent.username,
    },
  })
}

/** Files the reclaim request (after the ID check) and tells the alternate contact, if the holder gave one. */
export async function requestReclaim(
  ctx: CommandContext,
  agent: StaffActor,
  input: ReclaimInput,
  kycKey: string,
): Promise<Audited<RequestRecord>> {
  if (!agent.shopId)
    throw new ForbiddenError('request_reclaim', 'A reclaim is filed in a shop, by an agent attached to it')
  const former = await reclaimable(ctx, agent, input.msisdn)
  checkDocument(agent, former, input.kycDocNumber, kycKey)

  let sim: ReclaimPayload['sim']
  if (input.iccid) {
    const stock = await lockShopSim(ctx.tx, input.iccid)
    if (!stock) throw new NotFoundError('SIM', input.iccid)
    if (stock.state !== 'allocated' || stock.shop_id !== agent.shopId) {
      throw new ConflictError('sim_not_available', `SIM ${input.iccid} is not an unused SIM of your shop`, {
        iccid: input.iccid,
        state: stock.state,
      })
    }
    sim = { iccid: input.iccid, source: 'shop_stock' }
  } else {
    const iccid = await freeFormerSim(ctx.tx, former.id)
    if (!iccid) {
      throw new ConflictError('sim_required', 'The former SIM is no longer free: give a SIM of your shop (iccid)', {
        field: 'iccid',
      })
    }
    sim = { iccid, source: 'former' }
  }

  const payload: ReclaimPayload = {
    msisdn: input.msisdn,
    former_custody_id: former.id,
    subscriber_id: former.subscriber_id,
    shop_id: agent.shopId,
    sim,
  }
  const created = await createRequest(ctx, { kind: 'reclaim', msisdn: input.msisdn, payload })
  const receipts: AuditReceipt[] = [...created.receipts]
  if (former.alt_contact) {
    const en = `A request to give number ${input.msisdn} back to its former holder was made today in one of our shops. If this was not you, please contact us at once.`
    const km = `មានការស្នើសុំទាមទារលេខ ${input.msisdn} មកវិញ ក្នុងនាមម្ចាស់ចាស់ នៅហាងរបស់យើងនៅថ្ងៃនេះ។ ប្រសិនបើមិនមែនជាអ្នកទេ សូមទាក់ទងមកយើងភ្លាមៗ។`
    const notice = await queueNotice(ctx, {
      msisdn: input.msisdn,
      to: former.alt_contact,
      purpose: 'reclaim_requested',
      dedupeKey: `reclaim_requested:${created.result.id}`,
      language: former.language,
      template: 'notice',
      params: { text: former.language === 'km' ? km : en },
      respectSendWindow: false,
    })
    if (notice.receipt) receipts.push(notice.receipt)
  }
  return audited(created.result, receipts as [AuditReceipt, ...AuditReceipt[]])
}

/**
 * Executes an approved reclaim (registered in src/requests/executors.ts): in the request's transaction the number
 * goes aging → active under a new custody (basis reclaim), a SIM is bound, the network is told to restore service,
 * the holder is told by SMS, the former cycle is closed and the registered disconnection cancelled.
 */
export async function executeReclaim(ctx: CommandContext, request: RequestRecord): Promise<ExecutionResult> {
  const p = request.payload as ReclaimPayload
  const number = await lockAgingNumber(ctx.tx, p.msisdn)
  const former = await formerCustody(ctx.tx, p.msisdn)
  if (number?.state !== 'aging' || former?.id !== p.former_custody_id || former.end_reason !== 'inactivity') {
    throw new NotReclaimableError(
      'reclaim_overtaken',
      `${p.msisdn} is no longer ageing from the custody this request names (now ${number?.state ?? 'unknown'})`,
      { msisdn: p.msisdn, request_id: request.id },
    )
  }
  const sim =
    p.sim.source === 'former'
      ? (await freeFormerSim(ctx.tx, former.id)) === p.sim.iccid
      : await lockShopSim(ctx.tx, p.sim.iccid).then((s) => s?.state === 'allocated' && s.shop_id === p.shop_id)
  if (!sim) {
    throw new ConflictError(
      'sim_not_available',
      `SIM ${p.sim.iccid} is no longer free; file a new reclaim with another SIM`,
      {
        iccid: p.sim.iccid,
      },
    )
  }

  const custodyId = await startCustody(ctx, {
    msisdn: p.msisdn,
    subscriberId: p.subscriber_id,
    basis: 'reclaim',
    requestId: request.id,
  })
  await moveNumber(
    ctx,
    { msisdn: p.msisdn, from: 'aging', to: 'active' },
    () => new ConflictError('concurrent_change', 'The number changed meanwhile; try again'),
  )
  await ctx.tx.updateTable('sims').set({ state: 'bound' }).where('iccid', '=', p.sim.iccid).execute()
  await bindSim(ctx, { msisdn: p.msisdn, iccid: p.sim.iccid, custodyId })
  // The former cycle is over for good: nothing more is due on it (the new custody has its own row, by trigger).
  await ctx.tx
    .updateTable('recycling_state')
    .set({ stage: 'closed', next_due_at: null, updated_at: ctx.now })
    .where('custody_id', '=', former.id)
    .execute()

  const receipts: AuditReceipt[] = []
  const cancelled = await cancelDisconnection(ctx, { custodyId: former.id, reason: 'reclaim', basis: request.id })
  if (cancelled) receipts.push(cancelled.receipt)
  const provisioning = await enqueueProvisioning(ctx, {
    msisdn: p.msisdn,
    kind: 'restore',
    payload: { iccid: p.sim.iccid, custody_id: custodyId, request_id: request.id },
  })
  const notice = await queueNotice(ctx, {
    msisdn: p.msisdn,
    purpose: 'reclaim',
    dedupeKey: `reclaim:${custodyId}`,
    language: former.language,
    template: 'reclaim',
    params: { msisdn: p.msisdn },
    custodyId,
  })
  if (notice.receipt) receipts.push(notice.receipt)
  const outcome = {
    custody_id: custodyId,
    iccid: p.sim.iccid,
    sim_source: p.sim.source,
    provisioning_event_id: provisioning.eventId,
    notice_id: notice.noticeId,
    disconnection_cancelled: cancelled ? { id: cancelled.id, correction_due: cancelled.correction } : null,
  }
  receipts.unshift(
    await recordAudit(ctx, {
      action: 'number.reclaimed',
      msisdn: p.msisdn,
      before: { state: 'aging', custody_id: former.id },
      after: { state: 'active', custody_id: custodyId, subscriber_id: p.subscriber_id, iccid: p.sim.iccid },
      basis: request.id,
      data: { request_id: request.id, former_custody_id: former.id, ...outcome },
    }),
  )
  return { outcome, receipts }
}
