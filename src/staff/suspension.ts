// Staff suspension (DOMAIN: a compliance officer suspends a staff member; invariant 9). One transaction: the
// account is suspended, its sessions end (and every session check reads the status anyway), the requests it filed
// are cancelled, its approvals on open requests voided (an approved request left with no approval is cancelled,
// so its requester can file it again), and pending requests assigned to it go to another eligible approver.
// Suspension is final in this release: a person coming back gets a new account, whose roles come by request and
// who cools 7 days as any new approver (the audit verifier treats a suspension as permanent).

import { can } from '../access/index.ts'
import { type AuditReceipt, audited, type CommandContext, raiseAlert, recordAudit } from '../audit/index.ts'
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../domain/errors.ts'
import { REQUEST_TABLE, type RequestKind } from '../domain/requests.ts'
import { APPROVER_COOLING_DAYS } from '../domain/roles.ts'
import { approverCandidates } from '../requests/index.ts'

export interface SuspensionInput {
  reason: string
}

export interface SuspensionResult {
  staff_id: string
  username: string
  status: 'suspended'
  suspended_at: Date
  reason: string
  cancelled_requests: string[]
  voided_approvals: string[]
  reassigned_requests: string[]
  sessions_ended: number
  alert_id: string
}

type OpenRequest = {
  id: string
  kind: string
  msisdn: string | null
  status: string
  payload_sha256: string
  requested_by: string
  assigned_to: string | null
}

async function cancel(ctx: CommandContext, r: OpenRequest, reason: string, staffId: string): Promise<AuditReceipt> {
  await ctx.tx
    .updateTable('requests')
    .set({
      status: 'cancelled',
      outcome: JSON.stringify({ cancelled_by: 'suspension', reason, suspended_staff: staffId }),
    })
    .where('id', '=', r.id)
    .where('status', 'in', ['pending', 'approved'])
    .execute()
  return recordAudit(ctx, {
    action: 'request.cancelled',
    msisdn: r.msisdn,
    before: { status: r.status },
    after: { status: 'cancelled' },
    basis: r.id,
    data: {
      request_id: r.id,
      kind: r.kind,
      payload_sha256: r.payload_sha256,
      requested_by: r.requested_by,
      assigned_to: r.assigned_to,
      reason,
      suspended_staff: staffId,
    },
  })
}

const openRequestColumns = ['id', 'kind', 'msisdn', 'status', 'payload_sha256', 'requested_by', 'assigned_to'] as const

/** Gives a pending request of the suspended approver to the least loaded eligible one; false when there is none. */
async function reassign(ctx: CommandContext, r: OpenRequest, suspendedId: string): Promise<AuditReceipt | null> {
  const rule = REQUEST_TABLE[r.kind as RequestKind]
  if (!rule.approverRole) return null
  const requester = await ctx.tx
    .selectFrom('staff')
    .select('shop_id')
    .where('id', '=', r.requested_by)
    .executeTakeFirst()
  const [candidate] = await approverCandidates(ctx.tx, {
    role: rule.approverRole,
    requesterId: r.requested_by,
    excludeShop: rule.approverOtherShop ? (requester?.shop_id ?? null) : undefined,
    grantedBefore: new Date(ctx.now.getTime() - APPROVER_COOLING_DAYS * 86_400_000),
  })
  if (!candidate || candidate.id === suspendedId) return null
  await ctx.tx
    .updateTable('requests')
    .set({ assigned_to: candidate.id })
    .where('id', '=', r.id)
    .where('status', '=', 'pending')
    .execute()
  return recordAudit(ctx, {
    action: 'request.reassigned',
    msisdn: r.msisdn,
    before: { assigned_to: suspendedId },
    after: { assigned_to: candidate.id },
    basis: r.id,
    data: {
      request_id: r.id,
      kind: r.kind,
      payload_sha256: r.payload_sha256,
      requested_by: r.requested_by,
      reason: 'approver_suspended',
    },
  })
}

/** A compliance officer (or numguard itself) suspends a staff member, at once. */
export async function suspendStaff(ctx: CommandContext, staffId: string, input: SuspensionInput) {
  const actor = ctx.actor
  if (actor.kind === 'machine' || (actor.kind === 'staff' && !can(actor, 'suspend_staff')))
    throw new ForbiddenError('suspend_staff')
  const reason = typeof input.reason === 'string' ? input.reason.trim() : ''
  if (reason.length < 3 || reason.length > 500)
    throw new ValidationError('reason', 'reason: say why, in 3 to 500 characters')
  const staff = await ctx.tx
    .selectFrom('staff')
    .select(['id', 'username', 'status'])
    .where('id', '=', staffId)
    .forUpdate()
    .executeTakeFirst()
  if (!staff) throw new NotFoundError('staff member', staffId)
  if (actor.kind === 'staff' && actor.staffId === staffId)
    throw new ForbiddenError('suspend_staff', 'Another compliance officer suspends you, not you yourself')
  const moved = await ctx.tx
    .updateTable('staff')
    .set({
      status: 'suspended',
      suspended_at: ctx.now,
      suspended_by: actor.kind === 'staff' ? actor.staffId : null,
      suspension_reason: reason,
      updated_at: ctx.now,
    })
    .where('id', '=', staffId)
    .where('status', '=', 'active')
    .executeTakeFirst()
  if (Number(moved.numUpdatedRows) !== 1)
    throw new ConflictError('staff_not_active', `${staff.username} is suspended already`, { staff_id: staffId })

  // Every request reads the status anyway; ending the live sessions keeps them ended if that ever changed.
  const ended = await ctx.tx
    .updateTable('sessions')
    .set({ revoked_at: ctx.now })
    .where('staff_id', '=', staffId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', ctx.now)
    .executeTakeFirst()
  const receipts: AuditReceipt[] = []

  const filed = (await ctx.tx
    .selectFrom('requests')
    .select(openRequestColumns)
    .where('requested_by', '=', staffId)
    .where('status', 'in', ['pending', 'approved'])
    .forUpdate()
    .execute()) as OpenRequest[]
  for (const r of filed) receipts.push(await cancel(ctx, r, 'requester_suspended', staffId))

  const voided = await ctx.tx
    .updateTable('request_approvals')
    .set({ voided_at: ctx.now })
    .where('approver_id', '=', staffId)
    .where('voided_at', 'is', null)
    .where('request_id', 'in', (eb) =>
      eb.selectFrom('requests').select('id').where('status', 'in', ['pending', 'approved']),
    )
    .returning('request_id')
    .execute()
  const voidedIds = voided.map((v) => v.request_id)
  const cancelled = filed.map((r) => r.id)
  if (voidedIds.length > 0) {
    // An approved request whose every approval is now void cannot execute: cancel it, so it blocks nothing.
    const orphaned = (await ctx.tx
      .selectFrom('requests')
      .select(openRequestColumns)
      .where('id', 'in', voidedIds)
      .where('status', '=', 'approved')
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('request_approvals as a')
              .select('a.request_id')
              .whereRef('a.request_id', '=', 'requests.id')
              .where('a.decision', '=', 'approved')
              .where('a.voided_at', 'is', null),
          ),
        ),
      )
      .execute()) as OpenRequest[]
    for (const r of orphaned) {
      receipts.push(await cancel(ctx, r, 'approval_voided', staffId))
      cancelled.push(r.id)
    }
  }

  const assigned = (await ctx.tx
    .selectFrom('requests')
    .select(openRequestColumns)
    .where('assigned_to', '=', staffId)
    .where('status', '=', 'pending')
    .where('expires_at', '>', ctx.now)
    .forUpdate()
    .execute()) as OpenRequest[]
  const reassigned: string[] = []
  for (const r of assigned) {
    const receipt = await reassign(ctx, r, staffId)
    if (receipt) {
      receipts.push(receipt)
      reassigned.push(r.id)
    }
  }

  const sessionsEnded = Number(ended.numUpdatedRows)
  const summary = { staff_id: staffId, reason, cancelled_requests: cancelled, voided_approvals: voidedIds }
  const suspendedReceipt = await recordAudit(ctx, {
    action: 'staff.suspended',
    before: { status: 'active' },
    after: { staff_id: staffId, status: 'suspended' },
    data: { ...summary, username: staff.username, reassigned_requests: reassigned, sessions_ended: sessionsEnded },
  })
  const alert = await raiseAlert(ctx, {
    kind: 'staff_suspended',
    severity: 'warning',
    staffId,
    attempt: { action: 'suspend_staff', ...summary, username: staff.username },
  })
  const result: SuspensionResult = {
    ...summary,
    username: staff.username,
    status: 'suspended',
    suspended_at: ctx.now,
    reassigned_requests: reassigned,
    sessions_ended: sessionsEnded,
    alert_id: alert.id,
  }
  return audited(result, [suspendedReceipt, alert.receipt, ...receipts])
}
