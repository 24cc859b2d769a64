// Protective holds (invariant 3). A hold freezes a number's custody and SIM — the database refuses every such change
// while it is active (042), except the restoration its own case orders. Pending requests on the number wait (they
// cannot execute), and the recycling sweep skips it. The network bar follows once a compliance officer confirms the
// case (commands.ts), so a false complaint alone cannot cut a real holder off. Releasing a hold is a hold_release
// request another compliance officer approves.
import { randomUUID } from 'node:crypto'
import type { StaffActor } from '../access/index.ts'
import { type Audited, type AuditReceipt, audited, type CommandContext, recordAudit } from '../audit/index.ts'
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.ts'
import { enqueueProvisioning } from '../provisioning/index.ts'
import { createRequest, type ExecutionResult, type RequestRecord } from '../requests/index.ts'
import { type CaseRow, findHold, lockCase } from './queries.ts'

export interface PlacedHold {
  id: string
  msisdn: string
  case_id: string
  placed_at: Date
  /** Requests on the number that now wait for the hold's release. */
  suspended_requests: string[]
}

/** Places a hold on `msisdn` for `c` (adding the number to the case). One active hold per case and number. */
export async function placeHold(
  ctx: CommandContext,
  staff: StaffActor,
  c: CaseRow,
  msisdn: string,
  reason: string,
): Promise<Audited<PlacedHold>> {
  if (c.status === 'closed') throw new ConflictError('case_closed', `Case ${c.reference} is closed`, { case_id: c.id })
  await ctx.tx
    .selectFrom('numbers')
    .select('msisdn')
    .where('msisdn', '=', msisdn)
    .forUpdate()
    .executeTakeFirstOrThrow(() => new NotFoundError('number', msisdn))
  const existing = await ctx.tx
    .selectFrom('holds')
    .select('id')
    .where('case_id', '=', c.id)
    .where('msisdn', '=', msisdn)
    .where('released_at', 'is', null)
    .executeTakeFirst()
  if (existing)
    throw new ConflictError('already_held', `${msisdn} is already held for case ${c.reference}`, {
      hold_id: existing.id,
    })
  await ctx.tx
    .insertInto('case_numbers')
    .values({ case_id: c.id, msisdn })
    .onConflict((o) => o.doNothing())
    .execute()
  const id = randomUUID()
  await ctx.tx
    .insertInto('holds')
    .values({ id, msisdn, case_id: c.id, placed_by: staff.staffId, placed_at: ctx.now, reason })
    .execute()
  const waiting = await ctx.tx
    .selectFrom('requests')
    .select('id')
    .where('msisdn', '=', msisdn)
    .where('status', 'in', ['pending', 'approved'])
    .where('kind', 'not in', ['restoration', 'hold_release'])
    .execute()
  const held: PlacedHold = {
    id,
    msisdn,
    case_id: c.id,
    placed_at: ctx.now,
    suspended_requests: waiting.map((r) => r.id),
  }
  const receipts: AuditReceipt[] = []
  if (c.confirmed_at) receipts.push(await barOnNetwork(ctx, c, msisdn, id))
  receipts.push(
    await recordAudit(ctx, {
      action: 'hold.placed',
      msisdn,
      after: { hold_id: id, case_id: c.id },
      basis: c.id,
      data: {
        hold_id: id,
        case_id: c.id,
        case_reference: c.reference,
        reason,
        hold_due_at: c.hold_due_at,
        minutes_after_complaint: Math.round((ctx.now.getTime() - c.opened_at.getTime()) / 60_000),
        suspended_requests: held.suspended_requests,
      },
    }),
  )
  return audited(held, receipts as [AuditReceipt, ...AuditReceipt[]])
}

/** The network bar of a held number of a confirmed case (the provisioning outbox; its id goes in the leaf). */
export async function barOnNetwork(ctx: CommandContext, c: CaseRow, msisdn: string, holdId: string) {
  const event = await enqueueProvisioning(ctx, {
    msisdn,
    kind: 'hold_bar',
    payload: { case_id: c.id, case_reference: c.reference, hold_id: holdId },
  })
  return recordAudit(ctx, {
    action: 'case.confirmed',
    msisdn,
    basis: c.id,
    data: { case_id: c.id, hold_id: holdId, provisioning_event_id: event.eventId },
  })
}

/** Files the release of a hold: a request another compliance officer approves. */
export async function requestHoldRelease(
  ctx: CommandContext,
  holdId: string,
  reason: string,
): Promise<Audited<RequestRecord>> {
  if (reason.trim().length < 3) throw new ValidationError('reason', 'say why the hold may go, in 3 characters or more')
  const hold = await findHold(ctx.tx, holdId)
  if (!hold) throw new NotFoundError('hold', holdId)
  if (hold.released_at) throw new ConflictError('hold_released', `Hold ${holdId} was already released`)
  return createRequest(ctx, {
    kind: 'hold_release',
    msisdn: hold.msisdn,
    payload: { hold_id: hold.id, case_id: hold.case_id, msisdn: hold.msisdn, reason: reason.trim() },
  })
}

export async function executeHoldRelease(ctx: CommandContext, request: RequestRecord): Promise<ExecutionResult> {
  const p = request.payload as { hold_id: string; case_id: string; msisdn: string }
  const c = await lockCase(ctx.tx, p.case_id)
  if (!c) throw new NotFoundError('case', p.case_id)
  const released = await ctx.tx
    .updateTable('holds')
    .set({ released_at: ctx.now, release_request_id: request.id })
    .where('id', '=', p.hold_id)
    .where('released_at', 'is', null)
    .executeTakeFirst()
  if (Number(released.numUpdatedRows) !== 1)
    throw new ConflictError('hold_released', `Hold ${p.hold_id} was already released`)
  let provisioningEventId: string | null = null
  if (c.confirmed_at) {
    const event = await enqueueProvisioning(ctx, {
      msisdn: p.msisdn,
      kind: 'hold_unbar',
      payload: { case_id: c.id, hold_id: p.hold_id, request_id: request.id },
    })
    provisioningEventId = event.eventId
  }
  const outcome = { hold_id: p.hold_id, released_at: ctx.now, provisioning_event_id: provisioningEventId }
  const receipt = await recordAudit(ctx, {
    action: 'hold.released',
    msisdn: p.msisdn,
    before: { hold_id: p.hold_id },
    after: { hold_id: null },
    basis: request.id,
    data: { request_id: request.id, case_id: c.id, ...outcome },
  })
  return { outcome, receipts: [receipt] }
}
