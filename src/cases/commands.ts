// Opening and running a case. A complaint is opened by an agent (in a shop or the call centre) or a compliance
// officer once the complainant has proven they held the number (complainant.ts); an investigation by a compliance
// officer alone. A complaint of a holding category places its holds in the same transaction. Compliance officers
// take a case (its first response), confirm it (the network bar), link staff, requests and custodies to it.
import { randomUUID } from 'node:crypto'
import type { StaffActor } from '../access/index.ts'
import { can } from '../access/index.ts'
import { type Audited, type AuditReceipt, audited, type CommandContext, recordAudit } from '../audit/index.ts'
import type { CaseLinkKind } from '../db/types-cases.ts'
import { type CaseCategory, type CaseStatus, caseDeadlines, HOLDING_CATEGORIES } from '../domain/cases.ts'
import { ConflictError, type DomainError, ForbiddenError, NotFoundError, ValidationError } from '../domain/errors.ts'
import { queueNotice } from '../sms/index.ts'
import { type ComplainantProof, proveComplainant } from './complainant.ts'
import { barOnNetwork, type PlacedHold, placeHold } from './holds.ts'
import { type CaseRow, caseNumbers, findCase, lockCase, marketOfNumber, nextCaseReference } from './queries.ts'

export interface OpenCaseInput {
  kind: 'complaint' | 'investigation'
  category: CaseCategory
  description: string
  /** The number(s) the case is about; a complainant proves themselves against the first. */
  msisdns: string[]
  complainant?: ComplainantProof
  /** Where to reach the complainant now (their number may ring someone else's SIM). */
  contact?: string
  /** Hold every number of the case now, whatever the category (a compliance officer's investigation). */
  hold?: boolean
}

export interface OpenedCase {
  case: CaseRow
  holds: PlacedHold[]
}

/** Only a compliance officer runs a case (the routes say so too; the commands do not rely on them). */
export function mustManage(staff: StaffActor, action: string): void {
  if (!can(staff, 'manage_cases')) throw new ForbiddenError(action, 'Only a compliance officer runs cases')
}

/** Opens a case; a refused complainant proof that counted an attempt comes back as `refused` (committed). */
export async function openCase(
  ctx: CommandContext,
  staff: StaffActor,
  input: OpenCaseInput,
  kycKey: string,
): Promise<Audited<OpenedCase | { refused: DomainError }>> {
  const msisdns = [...new Set(input.msisdns)]
  if (msisdns.length < 1 || msisdns.length > 20) throw new ValidationError('msisdns', 'name 1 to 20 numbers')
  const description = input.description.trim()
  if (!description) throw new ValidationError('description', 'say what happened')
  if (input.kind === 'investigation') mustManage(staff, 'open_investigation')
  if (input.kind === 'complaint' && !input.complainant)
    throw new ValidationError('complainant', 'a complaint names how the complainant proved who they are')
  if (input.kind === 'investigation' && input.complainant)
    throw new ValidationError('complainant', 'an investigation has no complainant: open a complaint instead')
  const market = await marketOfNumber(ctx.tx, msisdns[0])
  if (!market) throw new NotFoundError('number', msisdns[0])
  for (const msisdn of msisdns.slice(1))
    if (!(await marketOfNumber(ctx.tx, msisdn))) throw new NotFoundError('number', msisdn)

  const proven = input.complainant
    ? await proveComplainant(ctx, staff, msisdns[0], input.complainant, kycKey)
    : undefined
  if (proven && 'refused' in proven) return audited({ refused: proven.refused }, [proven.receipt])

  const id = randomUUID()
  const row = {
    id,
    reference: await nextCaseReference(ctx.tx, market.code, ctx.now),
    kind: input.kind,
    category: input.category,
    description,
    status: 'open' as CaseStatus,
    market: market.code,
    opened_by: staff.staffId,
    opened_in_shop: staff.shopId,
    opened_at: ctx.now,
    owner_id: null,
    complainant_subscriber_id: proven?.subscriberId ?? null,
    complainant_custody_id: proven?.custodyId ?? null,
    complainant_method: proven?.method ?? null,
    complainant_contact: input.contact?.trim() || null,
    ...caseDeadlines(ctx.now, market),
  }
  await ctx.tx.insertInto('cases').values(row).execute()
  await ctx.tx
    .insertInto('case_numbers')
    .values(msisdns.map((msisdn) => ({ case_id: id, msisdn })))
    .execute()
  if (proven)
    await ctx.tx
      .insertInto('case_links')
      .values({
        case_id: id,
        link_kind: 'custody',
        ref_id: proven.custodyId,
        note: 'the complainant’s custody',
        linked_by: staff.staffId,
        linked_at: ctx.now,
      })
      .execute()
  const c = (await findCase(ctx.tx, id)) as CaseRow
  const receipts: AuditReceipt[] = [
    await recordAudit(ctx, {
      action: 'case.opened',
      msisdn: msisdns[0],
      after: { case_id: id, status: 'open' },
      basis: id,
      data: {
        case_id: id,
        reference: c.reference,
        kind: c.kind,
        category: c.category,
        msisdns,
        opened_in_shop: staff.shopId,
        complainant_custody_id: c.complainant_custody_id,
        complainant_method: c.complainant_method,
        hold_due_at: c.hold_due_at,
        first_response_due_at: c.first_response_due_at,
        resolution_due_at: c.resolution_due_at,
      },
      personal: { description },
    }),
  ]
  const holds: PlacedHold[] = []
  if (input.hold && input.kind !== 'investigation')
    throw new ValidationError('hold', 'a complaint is held by its category; a compliance officer holds any number')
  if (input.hold || (input.kind === 'complaint' && HOLDING_CATEGORIES.includes(input.category))) {
    for (const msisdn of msisdns) {
      const held = await placeHold(ctx, staff, c, msisdn, `${c.kind} ${c.reference}: ${input.category}`)
      holds.push(held.result)
      receipts.push(...held.receipts)
    }
    const contact = c.complainant_contact ?? proven?.altContact ?? null
    if (contact && /^\+?[0-9]{3,20}$/.test(contact)) {
      const notice = await queueNotice(ctx, {
        msisdn: msisdns[0],
        to: contact,
        purpose: 'case_opened',
        dedupeKey: `case_opened:${id}`,
        language: proven?.language ?? 'km',
        template: 'case_opened',
        params: { reference: c.reference, msisdn: msisdns[0] },
        priority: 'otp',
      })
      if (notice.receipt) receipts.push(notice.receipt)
    }
  }
  return audited({ case: c, holds }, receipts as [AuditReceipt, ...AuditReceipt[]])
}

export interface CaseUpdate {
  owner_id?: string
  status?: 'investigating' | 'closed'
  /** A first answer to the complainant was given (the first-response clock stops). */
  responded?: boolean
}

/** Assigns the owner, moves the status forward, or records the first response (its clock stops once). */
export async function updateCase(ctx: CommandContext, staff: StaffActor, caseId: string, input: CaseUpdate) {
  mustManage(staff, 'update_case')
  const c = await lockCase(ctx.tx, caseId)
  if (!c) throw new NotFoundError('case', caseId)
  if (c.status === 'closed') throw new ConflictError('case_closed', `Case ${c.reference} is closed`)
  const set: Partial<CaseRow> = {}
  if (input.owner_id) {
    const owner = await ctx.tx
      .selectFrom('staff')
      .select(['id', 'roles', 'status'])
      .where('id', '=', input.owner_id)
      .executeTakeFirst()
    if (owner?.status !== 'active' || !(owner.roles as string[]).includes('compliance_officer'))
      throw new ValidationError('owner_id', 'a case is owned by an active compliance officer')
    set.owner_id = owner.id
  }
  if (input.status === 'investigating' && c.status === 'open') set.status = 'investigating'
  if (input.status === 'closed') {
    if (c.status !== 'resolved')
      throw new ConflictError('case_not_resolved', `Case ${c.reference} is closed once its findings are recorded`)
    const held = await ctx.tx
      .selectFrom('holds')
      .select('id')
      .where('case_id', '=', c.id)
      .where('released_at', 'is', null)
      .execute()
    if (held.length > 0)
      throw new ConflictError(
        'case_has_active_holds',
        `Case ${c.reference} still holds ${held.length} number(s): release them before closing it`,
        { hold_ids: held.map((h) => h.id) },
      )
    set.status = 'closed'
    set.closed_at = ctx.now
  }
  // Taking the case is not an answer to the complainant: only a recorded response (or confirming the case, or its
  // findings) stops the first-response clock.
  if (!c.first_response_at && input.responded) set.first_response_at = ctx.now
  if (Object.keys(set).length === 0) throw new ValidationError('input', 'nothing to change')
  await ctx.tx.updateTable('cases').set(set).where('id', '=', c.id).execute()
  const receipt = await recordAudit(ctx, {
    action: 'case.updated',
    basis: c.id,
    before: { status: c.status, owner_id: c.owner_id, first_response_at: c.first_response_at },
    after: set,
    data: { case_id: c.id, reference: c.reference },
  })
  return audited({ ...c, ...set } as CaseRow, [receipt])
}

/**
 * A compliance officer other than the one who opened it confirms the case: each held number is barred on the
 * network (a provisioning event), and the case is under investigation.
 */
export async function confirmCase(ctx: CommandContext, staff: StaffActor, caseId: string) {
  mustManage(staff, 'confirm_case')
  const c = await lockCase(ctx.tx, caseId)
  if (!c) throw new NotFoundError('case', caseId)
  if (c.confirmed_at) throw new ConflictError('case_confirmed', `Case ${c.reference} is already confirmed`)
  if (c.opened_by === staff.staffId)
    throw new ForbiddenError('confirm_case', 'The staff member who opened a case does not confirm it').withAlert({
      kind: 'own_case_confirmation',
      severity: 'warning',
      attempt: { action: 'confirm_case', case_id: c.id, staff_id: staff.staffId, username: staff.username },
    })
  const set = {
    confirmed_at: ctx.now,
    confirmed_by: staff.staffId,
    status: (c.status === 'open' ? 'investigating' : c.status) as CaseStatus,
    first_response_at: c.first_response_at ?? ctx.now,
  }
  await ctx.tx.updateTable('cases').set(set).where('id', '=', c.id).execute()
  const confirmed = { ...c, ...set }
  const holds = await ctx.tx
    .selectFrom('holds')
    .select(['id', 'msisdn'])
    .where('case_id', '=', c.id)
    .where('released_at', 'is', null)
    .execute()
  const receipts: AuditReceipt[] = []
  for (const h of holds) receipts.push(await barOnNetwork(ctx, confirmed, h.msisdn, h.id))
  if (holds.length === 0)
    receipts.push(await recordAudit(ctx, { action: 'case.confirmed', basis: c.id, data: { case_id: c.id, holds: 0 } }))
  return audited(confirmed, receipts as [AuditReceipt, ...AuditReceipt[]])
}

const LINKED = { staff: 'staff', request: 'requests', custody: 'custodies' } as const

/** Links a staff member, request or custody to the case (a restoration's rightful custody must be linked). */
export async function linkToCase(
  ctx: CommandContext,
  staff: StaffActor,
  caseId: string,
  link: { kind: CaseLinkKind; ref_id: string; note?: string },
) {
  mustManage(staff, 'link_to_case')
  const c = await lockCase(ctx.tx, caseId)
  if (!c) throw new NotFoundError('case', caseId)
  const exists = await ctx.tx
    .selectFrom(LINKED[link.kind])
    .select('id')
    .where('id', '=', link.ref_id)
    .executeTakeFirst()
  if (!exists) throw new NotFoundError(link.kind, link.ref_id)
  if (link.kind === 'custody') {
    const numbers = await caseNumbers(ctx.tx, c.id)
    const custody = await ctx.tx
      .selectFrom('custodies')
      .select('msisdn')
      .where('id', '=', link.ref_id)
      .executeTakeFirstOrThrow()
    if (!numbers.includes(custody.msisdn))
      throw new ValidationError(
        'ref_id',
        `that custody is of ${custody.msisdn}, which case ${c.reference} is not about`,
      )
  }
  await ctx.tx
    .insertInto('case_links')
    .values({
      case_id: c.id,
      link_kind: link.kind,
      ref_id: link.ref_id,
      note: link.note?.trim() || null,
      linked_by: staff.staffId,
      linked_at: ctx.now,
    })
    .onConflict((o) => o.doNothing())
    .execute()
  const receipt = await recordAudit(ctx, {
    action: 'case.linked',
    basis: c.id,
    data: { case_id: c.id, link_kind: link.kind, ref_id: link.ref_id, note: link.note ?? null },
  })
  return audited({ case_id: c.id, kind: link.kind, ref_id: link.ref_id }, [receipt])
}
