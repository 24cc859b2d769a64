// Failed customer authentications and the lockout they lead to: the process for failed attempts (FCC 23-95).
// Failures count per agent AND number; too many lock that agent out of that number — never the holder, never
// another agent — and raise a risk alert naming the agent.
import { randomUUID } from 'node:crypto'
import { type AuditReceipt, type CommandContext, raiseAlert, recordAudit } from '../audit/index.ts'
import type { CustomerAuthMethod } from '../db/types-customers.ts'
import { countFailuresSince, lastLockAt } from './queries.ts'
import { FAILURE_WINDOW_HOURS, FAILURES_BEFORE_LOCK, failureCountSince, LOCK_HOURS, plusHours } from './rules.ts'

export interface FailedAuthentication {
  staffId: string
  msisdn: string
  subscriberId: string | null
  customerSessionId: string | null
  method: CustomerAuthMethod
  reason: 'wrong_code' | 'document_mismatch'
  /** What the alert says about the attempt, beyond the reason (e.g. the code's attempts left). */
  attempt?: Record<string, unknown>
}

export interface RecordedFailure {
  /** Failures this agent may still make on this number before the lockout. */
  attemptsLeft: number
  lockedUntil: Date | null
  alertIds: string[]
  receipts: [AuditReceipt, ...AuditReceipt[]]
}

/**
 * Records a failure (row, audit record and a warning alert) in the caller's transaction, which commits it: the
 * caller answers with the refusal only after. Call it under lockAgentNumber so that parallel failures count in turn.
 */
export async function recordFailedAuthentication(
  ctx: CommandContext,
  f: FailedAuthentication,
): Promise<RecordedFailure> {
  await ctx.tx
    .insertInto('customer_auth_failures')
    .values({
      id: randomUUID(),
      staff_id: f.staffId,
      msisdn: f.msisdn,
      subscriber_id: f.subscriberId,
      customer_session_id: f.customerSessionId,
      method: f.method,
      reason: f.reason,
      failed_at: ctx.now,
    })
    .execute()
  const since = failureCountSince(ctx.now, await lastLockAt(ctx.tx, f.staffId, f.msisdn))
  const failures = await countFailuresSince(ctx.tx, f.staffId, f.msisdn, since)
  const attemptsLeft = Math.max(0, FAILURES_BEFORE_LOCK - failures)
  const attempt = {
    action: 'customer_authentication',
    method: f.method,
    reason: f.reason,
    customer_session_id: f.customerSessionId,
    subscriber_id: f.subscriberId,
    failures_in_window: failures,
    attempts_left: attemptsLeft,
    ...f.attempt,
  }
  const receipts: [AuditReceipt, ...AuditReceipt[]] = [
    await recordAudit(ctx, {
      action: 'customer_session.auth_failed',
      msisdn: f.msisdn,
      after: { customer_session_id: f.customerSessionId, reason: f.reason },
      data: { ...attempt, staff_id: f.staffId },
    }),
  ]
  const failed = await raiseAlert(ctx, { kind: 'customer_auth_failed', severity: 'warning', msisdn: f.msisdn, attempt })
  receipts.push(failed.receipt)
  const alertIds = [failed.id]
  if (failures < FAILURES_BEFORE_LOCK) return { attemptsLeft, lockedUntil: null, alertIds, receipts }

  const lockedUntil = plusHours(ctx.now, LOCK_HOURS)
  const lockId = randomUUID()
  await ctx.tx
    .insertInto('customer_auth_locks')
    .values({
      id: lockId,
      staff_id: f.staffId,
      msisdn: f.msisdn,
      failures,
      locked_at: ctx.now,
      locked_until: lockedUntil,
    })
    .execute()
  // Pending codes of this agent on this number die with the lock: none may be typed in once it is lifted.
  await ctx.tx
    .updateTable('customer_sessions')
    .set({ state: 'failed', code_hash: null, code_salt: null, closed_at: ctx.now, close_reason: 'locked_out' })
    .where('staff_id', '=', f.staffId)
    .where('msisdn', '=', f.msisdn)
    .where('state', '=', 'awaiting_code')
    .execute()
  const lock = {
    lock_id: lockId,
    staff_id: f.staffId,
    failures,
    window_hours: FAILURE_WINDOW_HOURS,
    locked_until: lockedUntil,
  }
  receipts.push(
    await recordAudit(ctx, { action: 'customer_session.locked_out', msisdn: f.msisdn, after: lock, data: attempt }),
  )
  const alert = await raiseAlert(ctx, {
    kind: 'customer_auth_lockout',
    severity: 'risk',
    msisdn: f.msisdn,
    attempt: { ...attempt, ...lock, locked_until: lockedUntil.toISOString() },
  })
  receipts.push(alert.receipt)
  alertIds.push(alert.id)
  return { attemptsLeft: 0, lockedUntil, alertIds, receipts }
}
