// A holder who lost or let expire their consent code asks the agent for a new one: the requester sends a fresh code
// to the number (the old one is superseded). The code still goes only to the phone; the agent never sees it.
import type { StaffActor } from '../access/index.ts'
import { type Audited, type AuditReceipt, audited, type CommandContext } from '../audit/index.ts'
import { issueConsentCode, missingConsents } from '../consent/index.ts'
import { ConflictError, ForbiddenError, NotFoundError } from '../domain/errors.ts'
import { lockRequest, refuseClosed } from '../requests/index.ts'
import { consentAction } from './consent-texts.ts'
import { lockHolding } from './holding.ts'

export async function resendConsentCode(
  ctx: CommandContext,
  agent: StaffActor,
  requestId: string,
  kycKey: string,
): Promise<Audited<{ request_id: string; notice_id: string }>> {
  const request = await lockRequest(ctx.tx, requestId)
  if (!request) throw new NotFoundError('request', requestId)
  if (request.requested_by !== agent.staffId)
    throw new ForbiddenError('resend_consent_code', 'Only the requester asks for a new consent code')
  refuseClosed(request, ctx.now, 'sent a new code', ['pending', 'approved'])
  const missing = await missingConsents(ctx.tx, request)
  if (!missing.some((m) => m.method === 'mo_code'))
    throw new ConflictError('consent_not_awaited', `Request ${requestId} awaits no consent code from the holder`, {
      request_id: requestId,
    })
  const holding = await lockHolding(ctx, request.msisdn as string, 'asked for consent')
  const sent = await issueConsentCode(
    ctx,
    {
      request,
      action: consentAction(request.kind, request.payload),
      language: holding.language,
      custodyId: holding.custody_id,
    },
    kycKey,
  )
  return audited(
    { request_id: requestId, notice_id: sent.noticeId },
    sent.receipts as [AuditReceipt, ...AuditReceipt[]],
  )
}
