// The request workflow (four eyes): create, approve, reject, cancel, execute. Each is one transaction through the
// one write path; the database checks the same rules again (migrations 005 and 010).
import { randomUUID } from 'node:crypto'
import type { StaffActor } from '../access/index.ts'
import { type Audited, type AuditReceipt, audited, type CommandContext, recordAudit } from '../audit/index.ts'
import { ConflictError, ForbiddenError, NotFoundError } from '../domain/errors.ts'
import { earliestExecution, REQUEST_TABLE, type RequestKind, requestExpiry } from '../domain/requests.ts'
import { auditData, staffActorOf } from './audit-data.ts'
import { expireRequest } from './closing.ts'
import {
  ApproverNotEligibleError,
  DuplicateRequestError,
  NoEligibleApproverError,
  PayloadMismatchError,
} from './errors.ts'
import { payloadSha256 } from './payload.ts'
import { approverIneligibility, INELIGIBILITY_MESSAGES } from './policies.ts'
import {
  approverCandidates,
  holdingCase,
  lockRequest,
  openRequestsOn,
  type RequestRecord,
  type StaffFacts,
  staffFacts,
} from './queries.ts'
import { refuseClosed } from './refusals.ts'

export interface NewRequest {
  kind: RequestKind
  msisdn: string | null
  payload: Record<string, unknown>
  /** Earliest execution when later than the kind's own wait. */
  notBefore?: Date
  /** DOMAIN: a legal order that forbids notice executes without the kind's wait (refused for any other kind). */
  withoutWait?: boolean
  /** Staff who may not approve it beyond the kind's rule (a restoration: the owner of its case). */
  approverNot?: string[]
}

/**
 * Creates a request on behalf of the signed-in staff member: checks the requester against the kind's table row,
 * refuses a second open request of the kind on the number, and assigns an eligible approver (the least loaded;
 * the requester never picks).
 */
export async function createRequest(ctx: CommandContext, input: NewRequest): Promise<Audited<RequestRecord>> {
  const requester = staffActorOf(ctx, `request_${input.kind}`)
  const rule = REQUEST_TABLE[input.kind]
  if (!requester.roles.some((r) => rule.requesterRoles.includes(r))) {
    throw new ForbiddenError(
      `request_${input.kind}`,
      `A ${rule.label.toLowerCase()} is requested by: ${rule.requesterRoles.join(', ')}`,
    ).withAlert({
      kind: 'request_refused',
      severity: 'warning',
      msisdn: input.msisdn,
      attempt: {
        action: 'create_request',
        kind: input.kind,
        reason: 'wrong_role',
        staff_id: requester.staffId,
        username: requester.username,
      },
    })
  }
  if (rule.requesterInShop && !requester.shopId) {
    throw new ForbiddenError(
      `request_${input.kind}`,
      `A ${rule.label.toLowerCase()} is requested in a shop, by staff attached to it`,
    )
  }

  if (input.withoutWait && input.kind !== 'legal_order')
    throw new ForbiddenError(`request_${input.kind}`, 'Only a legal order that forbids notice skips its waiting time')
  const receipts: AuditReceipt[] = []
  if (input.msisdn && !HOLD_KINDS.includes(input.kind)) await refuseHeld(ctx, requester, input.kind, input.msisdn)
  if (input.msisdn) {
    for (const open of await openRequestsOn(ctx.tx, input.msisdn, input.kind)) {
      if (open.expires_at > ctx.now) {
        throw new DuplicateRequestError(input.kind, input.msisdn, open.id).withAlert({
          kind: 'duplicate_request',
          severity: 'info',
          msisdn: input.msisdn,
          attempt: {
            action: 'create_request',
            kind: input.kind,
            open_request_id: open.id,
            staff_id: requester.staffId,
          },
        })
      }
      receipts.push(await expireRequest(ctx, open))
    }
  }

  let assignedTo: string | null = null
  if (rule.approverRole) {
    const cooling = rule.newApproverCoolingDays * 86_400_000
    const [candidate] = await approverCandidates(ctx.tx, {
      role: rule.approverRole,
      requesterId: requester.staffId,
      excludeShop: rule.approverOtherShop ? requester.shopId : undefined,
      grantedBefore: cooling > 0 ? new Date(ctx.now.getTime() - cooling) : undefined,
      excludeStaff: input.approverNot,
    })
    if (!candidate) throw new NoEligibleApproverError(input.kind, rule.approverRole)
    assignedTo = candidate.id
  }

  const record: RequestRecord = {
    id: randomUUID(),
    kind: input.kind,
    msisdn: input.msisdn,
    status: 'pending',
    payload: input.payload,
    payload_sha256: payloadSha256(input.payload),
    requested_by: requester.staffId,
    requested_at: ctx.now,
    expires_at: requestExpiry(input.kind, ctx.now),
    not_before: laterOf(input.notBefore ?? null, input.withoutWait ? null : earliestExecution(input.kind, ctx.now)),
    decided_at: null,
    executed_at: null,
    assigned_to: assignedTo,
    outcome: null,
  }
  await ctx.tx
    .insertInto('requests')
    .values({ ...record, payload: JSON.stringify(record.payload), outcome: null })
    .execute()
  const receipt = await recordAudit(ctx, {
    action: 'request.created',
    msisdn: record.msisdn,
    after: { status: 'pending', expires_at: record.expires_at, not_before: record.not_before },
    basis: record.id,
    data: auditData(record, { requester_shop: requester.shopId }),
  })
  return audited(record, [receipt, ...receipts])
}

/** Kinds a case files on its own held number. */
const HOLD_KINDS: readonly RequestKind[] = ['restoration', 'hold_release']

/** Nothing new is filed on a held number (invariant 3): it would only wait for the hold's release. */
async function refuseHeld(ctx: CommandContext, requester: StaffActor, kind: RequestKind, msisdn: string) {
  const reference = await holdingCase(ctx.tx, msisdn)
  if (!reference) return
  throw new ConflictError(
    'number_on_hold',
    `${msisdn} is on hold for case ${reference}: its custody and SIM do not change until the hold is released`,
    { msisdn, case_reference: reference },
  ).withAlert({
    kind: 'held_number_change_refused',
    severity: 'risk',
    msisdn,
    attempt: { action: 'create_request', kind, staff_id: requester.staffId, username: requester.username },
  })
}

function laterOf(a: Date | null, b: Date | null): Date | null {
  if (!a) return b
  if (!b) return a
  return a > b ? a : b
}

interface Decision {
  request: RequestRecord
  approver: StaffFacts
}

/** The checks shared by approve and reject: the person first (every ineligible attempt leaves an alert), then the request. */
async function openForDecision(
  ctx: CommandContext,
  requestId: string,
  action: 'approve' | 'reject',
): Promise<Decision> {
  const actor = staffActorOf(ctx, `${action}_request`)
  const request = await lockRequest(ctx.tx, requestId)
  if (!request) throw new NotFoundError('request', requestId)
  const [approver, requester] = await Promise.all([
    staffFacts(ctx.tx, actor.staffId),
    staffFacts(ctx.tx, request.requested_by),
  ])
  if (!approver || !requester) throw new NotFoundError('staff member', approver ? request.requested_by : actor.staffId)
  const why = approverIneligibility(request, approver, requester, ctx.now, { checkAssignee: true })
  if (why) {
    throw new ApproverNotEligibleError(why, INELIGIBILITY_MESSAGES[why], {
      request_id: request.id,
      kind: request.kind,
    }).withAlert({
      kind: why === 'own_request' ? 'own_request_approval' : 'approval_refused',
      severity: 'risk',
      msisdn: request.msisdn,
      attempt: {
        action: `${action}_request`,
        request_id: request.id,
        kind: request.kind,
        reason: why,
        staff_id: actor.staffId,
        username: actor.username,
        requested_by: request.requested_by,
        assigned_to: request.assigned_to,
      },
    })
  }
  refuseClosed(request, ctx.now, action === 'approve' ? 'approved' : 'rejected', ['pending'])
  return { request, approver }
}

/** The assigned approver approves, signing the payload SHA-256 they were shown; any other hash is refused. */
export async function approveRequest(
  ctx: CommandContext,
  requestId: string,
  input: { payloadSha256: string },
): Promise<Audited<RequestRecord>> {
  const { request, approver } = await openForDecision(ctx, requestId, 'approve')
  if (input.payloadSha256 !== request.payload_sha256) {
    throw new PayloadMismatchError(request.id, request.payload_sha256, input.payloadSha256).withAlert({
      kind: 'approval_payload_mismatch',
      severity: 'risk',
      msisdn: request.msisdn,
      attempt: {
        action: 'approve_request',
        request_id: request.id,
        kind: request.kind,
        given_sha256: input.payloadSha256,
        staff_id: approver.id,
      },
    })
  }
  await ctx.tx
    .insertInto('request_approvals')
    .values({
      request_id: request.id,
      approver_id: approver.id,
      payload_sha256: input.payloadSha256,
      decision: 'approved',
      decided_at: ctx.now,
    })
    .execute()
  await ctx.tx
    .updateTable('requests')
    .set({ status: 'approved', decided_at: ctx.now })
    .where('id', '=', request.id)
    .where('status', '=', 'pending')
    .execute()
  const receipt = await recordAudit(ctx, {
    action: 'request.approved',
    msisdn: request.msisdn,
    before: { status: 'pending' },
    after: { status: 'approved' },
    basis: request.id,
    data: auditData(request, { approver_id: approver.id, approved_sha256: input.payloadSha256 }),
  })
  return audited({ ...request, status: 'approved', decided_at: ctx.now }, [receipt])
}

export async function rejectRequest(
  ctx: CommandContext,
  requestId: string,
  input: { reason: string },
): Promise<Audited<RequestRecord>> {
  const { request, approver } = await openForDecision(ctx, requestId, 'reject')
  const outcome = { rejected_by: approver.id, reason: input.reason }
  await ctx.tx
    .insertInto('request_approvals')
    .values({
      request_id: request.id,
      approver_id: approver.id,
      payload_sha256: request.payload_sha256,
      decision: 'rejected',
      decided_at: ctx.now,
    })
    .execute()
  await ctx.tx
    .updateTable('requests')
    .set({ status: 'rejected', decided_at: ctx.now, outcome: JSON.stringify(outcome) })
    .where('id', '=', request.id)
    .where('status', '=', 'pending')
    .execute()
  const receipt = await recordAudit(ctx, {
    action: 'request.rejected',
    msisdn: request.msisdn,
    before: { status: 'pending' },
    after: { status: 'rejected' },
    basis: request.id,
    data: auditData(request, { approver_id: approver.id, reason: input.reason }),
  })
  return audited({ ...request, status: 'rejected', decided_at: ctx.now, outcome }, [receipt])
}
