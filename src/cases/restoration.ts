// Restoration (DOMAIN's request table): a compliance officer files it from a case; another compliance officer, not
// the case owner, approves. Its target is a former holder of the number whose custody the case names, and it runs
// under the case's own hold (042 lets exactly this transaction's restoration through). It ends the wrongful custody
// (restored_to_rightful_holder, the subscriber record kept and flagged), starts the rightful holder's custody with
// the case as its basis, binds a new SIM from a shop's stock that the holder has in hand, texts both parties when
// it is filed, and writes the provisioning events.
import type { StaffActor } from '../access/index.ts'
import { type Audited, type AuditReceipt, audited, type CommandContext, recordAudit } from '../audit/index.ts'
import { bindSim as bindShopSim, lockShopSim } from '../changes/index.ts'
import { endCustody, moveNumber, startCustody, unbindSim } from '../custody/index.ts'
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.ts'
import { enqueueProvisioning } from '../provisioning/index.ts'
import { cancelDisconnection } from '../recycling/index.ts'
import { createRequest, type ExecutionResult, type RequestRecord } from '../requests/index.ts'
import { queueNotice } from '../sms/index.ts'
import { mustManage } from './commands.ts'
import { caseLinks, caseNumbers, custodiesWithKyc, lockCase } from './queries.ts'

export interface RestorationInput {
  msisdn: string
  /** The former custody (named by the case) whose subscriber gets the number back. */
  rightful_custody_id: string
  /** A new SIM from the stock of the shop where the holder receives it. */
  iccid: string
  shop_id: string
}

export interface RestorationPayload extends RestorationInput {
  case_id: string
  case_reference: string
  subscriber_id: string
  wrongful_custody_id: string | null
}

async function openCustody(ctx: CommandContext, msisdn: string) {
  const open = await ctx.tx
    .selectFrom('custodies as c')
    .innerJoin('subscribers as s', 's.id', 'c.subscriber_id')
    .select(['c.id', 'c.subscriber_id', 's.language'])
    .where('c.msisdn', '=', msisdn)
    .where('c.ended_at', 'is', null)
    .executeTakeFirst()
  return open ?? null
}

export async function requestRestoration(
  ctx: CommandContext,
  officer: StaffActor,
  caseId: string,
  input: RestorationInput,
): Promise<Audited<RequestRecord>> {
  mustManage(officer, 'request_restoration')
  const c = await lockCase(ctx.tx, caseId)
  if (!c) throw new NotFoundError('case', caseId)
  if (c.status === 'closed') throw new ConflictError('case_closed', `Case ${c.reference} is closed`)
  if (!(await caseNumbers(ctx.tx, c.id)).includes(input.msisdn))
    throw new ValidationError('msisdn', `case ${c.reference} is not about ${input.msisdn}`)
  const named = (await caseLinks(ctx.tx, c.id, 'custody')).some((l) => l.ref_id === input.rightful_custody_id)
  const rightful = (await custodiesWithKyc(ctx.tx, input.msisdn)).find((x) => x.id === input.rightful_custody_id)
  if (!named || !rightful?.ended_at)
    throw new ConflictError(
      'not_a_former_holder',
      `A restoration goes to a former holder of ${input.msisdn} whose custody case ${c.reference} names`,
      { rightful_custody_id: input.rightful_custody_id },
    ).withAlert({
      kind: 'restoration_refused',
      severity: 'risk',
      msisdn: input.msisdn,
      attempt: {
        action: 'request_restoration',
        case_id: c.id,
        rightful_custody_id: input.rightful_custody_id,
        staff_id: officer.staffId,
        username: officer.username,
      },
    })
  await lockShopSim(ctx, input.iccid, input.shop_id)
  const wrongful = await openCustody(ctx, input.msisdn)
  if (wrongful?.subscriber_id === rightful.subscriber_id)
    throw new ConflictError('already_restored', `${input.msisdn} is already held by that subscriber`)
  const payload: RestorationPayload = {
    ...input,
    case_id: c.id,
    case_reference: c.reference,
    subscriber_id: rightful.subscriber_id,
    wrongful_custody_id: wrongful?.id ?? null,
  }
  const filed = await createRequest(ctx, {
    kind: 'restoration',
    msisdn: input.msisdn,
    payload: payload as unknown as Record<string, unknown>,
    approverNot: c.owner_id ? [c.owner_id] : [],
  })
  // Both parties hear of it before it executes: the number (the SIM the taker holds) and the rightful holder.
  const receipts: AuditReceipt[] = [...filed.receipts]
  const params = { msisdn: input.msisdn, reference: c.reference }
  const texts = [
    wrongful && { to: undefined, language: wrongful.language, template: 'restoration_wrongful' as const },
    (c.complainant_contact ?? rightful.alt_contact) && {
      to: (c.complainant_contact ?? rightful.alt_contact) as string,
      language: rightful.language,
      template: 'restoration_rightful' as const,
    },
  ]
  for (const t of texts) {
    if (!t || (t.to && !/^\+?[0-9]{3,20}$/.test(t.to))) continue
    const notice = await queueNotice(ctx, {
      msisdn: input.msisdn,
      ...(t.to ? { to: t.to } : {}),
      purpose: 'restoration',
      dedupeKey: `${t.template}:${filed.result.id}`,
      language: t.language,
      template: t.template,
      params,
      priority: 'otp',
    })
    if (notice.receipt) receipts.push(notice.receipt)
  }
  return audited(filed.result, receipts as [AuditReceipt, ...AuditReceipt[]])
}

export async function executeRestoration(ctx: CommandContext, request: RequestRecord): Promise<ExecutionResult> {
  const p = request.payload as unknown as RestorationPayload
  const number = await ctx.tx
    .selectFrom('numbers')
    .select(['state'])
    .where('msisdn', '=', p.msisdn)
    .forUpdate()
    .executeTakeFirstOrThrow(() => new NotFoundError('number', p.msisdn))
  const wrongful = await openCustody(ctx, p.msisdn)
  if ((wrongful?.id ?? null) !== p.wrongful_custody_id)
    throw new ConflictError(
      'change_overtaken',
      `${p.msisdn} changed hands since restoration ${request.id} was filed: file a new one`,
      { msisdn: p.msisdn, request_id: request.id },
    )
  await lockShopSim(ctx, p.iccid, p.shop_id)
  // The database lets this transaction's changes of the held number through once this row names them.
  await ctx.tx
    .insertInto('restorations')
    .values({
      request_id: request.id,
      case_id: p.case_id,
      msisdn: p.msisdn,
      wrongful_custody_id: p.wrongful_custody_id,
      rightful_custody_id: p.rightful_custody_id,
    })
    .execute()
  const receipts: AuditReceipt[] = []
  let oldIccid: string | null = null
  if (wrongful) {
    await endCustody(ctx, { custodyId: wrongful.id }, 'restored_to_rightful_holder')
    oldIccid = (await unbindSim(ctx, wrongful.id, 'custody_ended'))[0] ?? null
    if (oldIccid) await ctx.tx.updateTable('sims').set({ state: 'deactivated' }).where('iccid', '=', oldIccid).execute()
    await ctx.tx
      .updateTable('recycling_state')
      .set({ stage: 'closed', step: 'restored', next_due_at: null, updated_at: ctx.now })
      .where('custody_id', '=', wrongful.id)
      .execute()
    await ctx.tx
      .updateTable('subscribers')
      .set({ flagged_by_case: p.case_id })
      .where('id', '=', wrongful.subscriber_id)
      .execute()
  } else {
    const cancelled = await cancelDisconnection(ctx, {
      custodyId: p.rightful_custody_id,
      reason: 'restoration',
      basis: request.id,
    })
    if (cancelled) receipts.push(cancelled.receipt)
  }
  const custodyId = await startCustody(ctx, {
    msisdn: p.msisdn,
    subscriberId: p.subscriber_id,
    basis: 'restoration',
    requestId: request.id,
  })
  if (number.state !== 'active')
    await moveNumber(ctx, { msisdn: p.msisdn, from: number.state as 'suspended' | 'aging' | 'available', to: 'active' })
  await bindShopSim(ctx, { msisdn: p.msisdn, custodyId, iccid: p.iccid, requestId: request.id })
  const change = await enqueueProvisioning(ctx, {
    msisdn: p.msisdn,
    kind: 'sim_change',
    payload: { old_iccid: oldIccid, new_iccid: p.iccid, custody_id: custodyId, reason: 'restoration' },
  })
  const restore = await enqueueProvisioning(ctx, {
    msisdn: p.msisdn,
    kind: 'restore',
    payload: { iccid: p.iccid, custody_id: custodyId, request_id: request.id, case_id: p.case_id },
  })
  const outcome = {
    case_id: p.case_id,
    wrongful_custody_id: p.wrongful_custody_id,
    wrongful_subscriber_flagged: wrongful?.subscriber_id ?? null,
    custody_id: custodyId,
    subscriber_id: p.subscriber_id,
    old_iccid: oldIccid,
    iccid: p.iccid,
    provisioning_event_ids: [change.eventId, restore.eventId],
  }
  receipts.unshift(
    await recordAudit(ctx, {
      action: 'number.restored',
      msisdn: p.msisdn,
      before: { state: number.state, custody_id: p.wrongful_custody_id, iccid: oldIccid },
      after: { state: 'active', custody_id: custodyId, subscriber_id: p.subscriber_id, iccid: p.iccid },
      basis: request.id,
      data: { request_id: request.id, ...outcome },
    }),
  )
  return { outcome, receipts }
}
