// Requests that end without a decision: withdrawn by their requester, or past their expiry.
import { type Audited, type AuditReceipt, audited, type CommandContext, recordAudit } from '../audit/index.ts'
import { ForbiddenError, NotFoundError } from '../domain/errors.ts'
import { auditData, staffActorOf } from './audit-data.ts'
import { lockRequest, type RequestRecord } from './queries.ts'
import { refuseClosed } from './refusals.ts'

/** Marks an open request whose time ran out as expired (so it no longer blocks a new one), with its record. */
export async function expireRequest(ctx: CommandContext, r: RequestRecord): Promise<AuditReceipt> {
  await ctx.tx
    .updateTable('requests')
    .set({ status: 'expired', outcome: JSON.stringify({ expired_at: r.expires_at }) })
    .where('id', '=', r.id)
    .where('status', 'in', ['pending', 'approved'])
    .execute()
  return recordAudit(ctx, {
    action: 'request.expired',
    msisdn: r.msisdn,
    before: { status: r.status },
    after: { status: 'expired' },
    basis: r.id,
    data: auditData(r, { expires_at: r.expires_at }),
  })
}

/** The requester withdraws their own open request. */
export async function cancelRequest(
  ctx: CommandContext,
  requestId: string,
  input: { reason: string },
): Promise<Audited<RequestRecord>> {
  const actor = staffActorOf(ctx, 'cancel_request')
  const request = await lockRequest(ctx.tx, requestId)
  if (!request) throw new NotFoundError('request', requestId)
  if (request.requested_by !== actor.staffId)
    throw new ForbiddenError('cancel_request', 'Only the requester cancels a request')
  refuseClosed(request, ctx.now, 'cancelled', ['pending', 'approved'])
  const outcome = { cancelled_by: actor.staffId, reason: input.reason }
  await ctx.tx
    .updateTable('requests')
    .set({ status: 'cancelled', outcome: JSON.stringify(outcome) })
    .where('id', '=', request.id)
    .where('status', 'in', ['pending', 'approved'])
    .execute()
  const receipt = await recordAudit(ctx, {
    action: 'request.cancelled',
    msisdn: request.msisdn,
    before: { status: request.status },
    after: { status: 'cancelled' },
    basis: request.id,
    data: auditData(request, { reason: input.reason }),
  })
  return audited({ ...request, status: 'cancelled', outcome }, [receipt])
}
