// Closing customer sessions and pending codes: by their agent, or when a new code replaces a pending one.
import type { StaffActor } from '../access/index.ts'
import {
  type Audited,
  type AuditReceipt,
  audited,
  type CommandContext,
  recordAudit,
  type Unchanged,
  unchanged,
} from '../audit/index.ts'
import { NotFoundError } from '../domain/errors.ts'
import { cancelNotice } from '../sms/index.ts'
import type { PresentedCustomerSession } from './commands.ts'
import { type CustomerSessionRow, presentCustomerSession } from './presenters.ts'
import { findCustomerSession, lockAgentNumber, pendingCodes } from './queries.ts'

/** One code at a time per agent and number: asking for a new one voids the ones still pending. */
export async function supersedePendingCodes(
  ctx: CommandContext,
  staffId: string,
  msisdn: string,
): Promise<AuditReceipt[]> {
  const receipts: AuditReceipt[] = []
  for (const pending of await pendingCodes(ctx.tx, staffId, msisdn)) {
    receipts.push(...(await closeRow(ctx, pending.id, pending.notice_id, 'awaiting_code', 'superseded')))
  }
  return receipts
}

async function closeRow(
  ctx: CommandContext,
  id: string,
  noticeId: string | null,
  from: 'awaiting_code' | 'open',
  reason: string,
): Promise<AuditReceipt[]> {
  const moved = await ctx.tx
    .updateTable('customer_sessions')
    .set({ state: 'closed', code_hash: null, code_salt: null, closed_at: ctx.now, close_reason: reason })
    .where('id', '=', id)
    .where('state', '=', from)
    .returning(['msisdn'])
    .executeTakeFirst()
  if (!moved) return []
  const receipts = [
    await recordAudit(ctx, {
      action: 'customer_session.closed',
      msisdn: moved.msisdn,
      before: { state: from },
      after: { customer_session_id: id, state: 'closed' },
      data: { customer_session_id: id, reason },
    }),
  ]
  // A code nobody will type need not go out (if it has not started to).
  if (noticeId && from === 'awaiting_code') {
    const cancelled = await cancelNotice(ctx, noticeId, `customer session ${reason}`)
    if (cancelled.receipt) receipts.push(cancelled.receipt)
  }
  return receipts
}

/** Closes the agent's own customer session or pending code; closing one already over changes nothing. */
export async function closeCustomerSession(
  ctx: CommandContext,
  agent: StaffActor,
  id: string,
): Promise<Audited<PresentedCustomerSession> | Unchanged<PresentedCustomerSession>> {
  const found = await findCustomerSession(ctx.tx, id)
  if (!found || found.staff_id !== agent.staffId) throw new NotFoundError('customer session', id)
  await lockAgentNumber(ctx.tx, agent.staffId, found.msisdn)
  const row = (await findCustomerSession(ctx.tx, id)) ?? found
  if (row.state !== 'awaiting_code' && row.state !== 'open') return unchanged(presentCustomerSession(row, ctx.now))
  const receipts = await closeRow(ctx, id, row.notice_id, row.state, 'closed_by_agent')
  const after = (await findCustomerSession(ctx.tx, id)) as CustomerSessionRow
  const [first, ...rest] = receipts
  return first
    ? audited(presentCustomerSession(after, ctx.now), [first, ...rest])
    : unchanged(presentCustomerSession(after, ctx.now))
}
