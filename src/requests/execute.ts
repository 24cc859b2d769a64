// Executing an approved request: the approvals are checked again now (an approver suspended or moved since is no
// approver), the kind's executor runs in the same transaction, and the database checks the approval once more when
// the request row becomes 'executed'.
import { type Audited, audited, type CommandContext, recordAudit } from '../audit/index.ts'
import { ForbiddenError, NotFoundError } from '../domain/errors.ts'
import { needsHolderCodeConsent, REQUEST_TABLE } from '../domain/requests.ts'
import { RequestNotExecutableError } from './errors.ts'
import { executorFor } from './executors.ts'
import { payloadSha256 } from './payload.ts'
import { approverIneligibility } from './policies.ts'
import { lockRequest, type RequestRecord, requestApprovals, staffByIds, staffFacts } from './queries.ts'
import { refuseClosed } from './refusals.ts'

export interface Execution {
  request: RequestRecord
  outcome: Record<string, unknown>
}

/** The approvals that still hold now: approved, not voided, of this payload, by someone eligible today. */
async function validApprovers(ctx: CommandContext, request: RequestRecord): Promise<string[]> {
  const approvals = (await requestApprovals(ctx.tx, [request.id])).filter(
    (a) => a.decision === 'approved' && a.voided_at === null && a.payload_sha256 === request.payload_sha256,
  )
  const [requester, staff] = await Promise.all([
    staffFacts(ctx.tx, request.requested_by),
    staffByIds(
      ctx.tx,
      approvals.map((a) => a.approver_id),
    ),
  ])
  if (!requester) return []
  return approvals
    .map((a) => staff.get(a.approver_id))
    .filter((s) => s && approverIneligibility(request, s, requester, ctx.now, { checkAssignee: false }) === null)
    .map((s) => s?.id as string)
}

/**
 * Executes an approved request: by its requester (who stands with the customer) or by numguard itself (the worker,
 * once a waiting time has passed).
 */
export async function executeRequest(ctx: CommandContext, requestId: string): Promise<Audited<Execution>> {
  const request = await lockRequest(ctx.tx, requestId)
  if (!request) throw new NotFoundError('request', requestId)
  if (ctx.actor.kind === 'machine' || (ctx.actor.kind === 'staff' && ctx.actor.staffId !== request.requested_by)) {
    throw new ForbiddenError('execute_request', 'Only the requester (or numguard itself) executes a request')
  }
  refuseClosed(request, ctx.now, 'executed', ['approved'])
  const details = { request_id: request.id, kind: request.kind }
  if (request.not_before && new Date(request.not_before) > ctx.now) {
    throw new RequestNotExecutableError(
      'request_waiting',
      `Request ${request.id} executes from ${new Date(request.not_before).toISOString()}, after its waiting time`,
      { ...details, not_before: new Date(request.not_before).toISOString() },
    ).withAlert({
      kind: 'execution_refused',
      severity: 'warning',
      msisdn: request.msisdn,
      attempt: { action: 'execute_request', ...details, reason: 'request_waiting' },
    })
  }
  if (payloadSha256(request.payload) !== request.payload_sha256) {
    throw new RequestNotExecutableError('payload_tampered', 'The stored payload no longer matches its SHA-256', details)
  }
  const rule = REQUEST_TABLE[request.kind]
  const registration = executorFor(request.kind)
  if (registration?.beforeExecute) await registration.beforeExecute(ctx, request)
  else if (needsHolderCodeConsent(request.kind)) {
    throw new RequestNotExecutableError(
      'consent_not_recorded',
      `A ${rule.label.toLowerCase()} needs the holder's consent by SMS reply, which this release does not record yet`,
      details,
    )
  }
  const approvers = rule.approverRole ? await validApprovers(ctx, request) : []
  if (rule.approverRole && approvers.length === 0) {
    throw new RequestNotExecutableError(
      'approval_no_longer_valid',
      `Request ${request.id} has no approval that still holds: its approver must be an active ${rule.approverRole}` +
        (rule.approverOtherShop ? ' of another shop' : ''),
      details,
    ).withAlert({
      kind: 'execution_refused',
      severity: 'warning',
      msisdn: request.msisdn,
      attempt: { action: 'execute_request', ...details, reason: 'approval_no_longer_valid' },
    })
  }
  if (!registration) {
    throw new RequestNotExecutableError(
      'kind_not_executable',
      `This release cannot execute a ${rule.label.toLowerCase()} yet`,
      details,
    )
  }

  // Executed first: custody and binding triggers accept only an executed request as their ground.
  await ctx.tx
    .updateTable('requests')
    .set({ status: 'executed', executed_at: ctx.now })
    .where('id', '=', request.id)
    .where('status', '=', 'approved')
    .execute()
  const executed: RequestRecord = { ...request, status: 'executed', executed_at: ctx.now }
  const { outcome, receipts } = await registration.execute(ctx, executed)
  await ctx.tx
    .updateTable('requests')
    .set({ outcome: JSON.stringify(outcome) })
    .where('id', '=', request.id)
    .execute()
  const receipt = await recordAudit(ctx, {
    action: 'request.executed',
    msisdn: request.msisdn,
    before: { status: 'approved' },
    after: { status: 'executed', outcome },
    basis: request.id,
    data: {
      request_id: request.id,
      kind: request.kind,
      payload_sha256: request.payload_sha256,
      requested_by: request.requested_by,
      assigned_to: request.assigned_to,
      approved_by: approvers,
    },
  })
  return audited({ request: { ...executed, outcome }, outcome }, [receipt, ...receipts])
}
