// The agent types the code the customer reads from their phone. Right: the session opens. Wrong: the attempt is
// counted on the code (void after CODE_ATTEMPTS) and on the agent × number (lockout after FAILURES_BEFORE_LOCK).
import type { StaffActor } from '../access/index.ts'
import { type Audited, audited, type CommandContext, raiseAlert, recordAudit } from '../audit/index.ts'
import { NotFoundError } from '../domain/errors.ts'
import { codeMatches } from './codes.ts'
import { lockedOut, type PresentedCustomerSession, recordOpened } from './commands.ts'
import { CustomerAuthFailedError, CustomerChallengeClosedError, CustomerSessionOtherSignInError } from './errors.ts'
import { recordFailedAuthentication } from './failures.ts'
import { type Outcome, refused, succeeded } from './outcome.ts'
import { presentCustomerSession } from './presenters.ts'
import { activeLock, findCustomerSession, lockAgentNumber } from './queries.ts'
import { CODE_ATTEMPTS, plusMinutes, SESSION_MINUTES } from './rules.ts'

export async function verifyCustomerCode(
  ctx: CommandContext,
  agent: StaffActor,
  id: string,
  code: string,
  kycKey: string,
): Promise<Audited<Outcome<PresentedCustomerSession>>> {
  const first = await findCustomerSession(ctx.tx, id)
  // Another agent's challenge is not theirs to know of.
  if (!first || first.staff_id !== agent.staffId) throw new NotFoundError('customer session', id)
  await lockAgentNumber(ctx.tx, agent.staffId, first.msisdn)
  const row = (await findCustomerSession(ctx.tx, id)) ?? first
  const msisdn = row.msisdn
  const attempt = { action: 'customer_session.verify', method: row.method, customer_session_id: id }
  const refuse = { kind: 'customer_auth_refused', severity: 'info', msisdn } as const
  if (row.staff_session_id !== agent.sessionId)
    throw new CustomerSessionOtherSignInError(id).withAlert({
      ...refuse,
      attempt: { ...attempt, reason: 'other_sign_in' },
    })
  const lock = await activeLock(ctx.tx, agent.staffId, msisdn, ctx.now)
  if (lock) throw lockedOut(msisdn, new Date(lock.locked_until), ctx.now, attempt)
  if (row.state !== 'awaiting_code' || !row.code_hash || !row.code_salt)
    throw new CustomerChallengeClosedError(id, row.state).withAlert({
      ...refuse,
      attempt: { ...attempt, reason: 'code_not_usable', state: row.state },
    })

  if (row.code_expires_at && new Date(row.code_expires_at) <= ctx.now) {
    // A stale code is no guess (it can open nothing): recorded and refused, not counted against the agent.
    await ctx.tx
      .updateTable('customer_sessions')
      .set({ state: 'expired', code_hash: null, code_salt: null, closed_at: ctx.now, close_reason: 'code_expired' })
      .where('id', '=', id)
      .where('state', '=', 'awaiting_code')
      .execute()
    const receipt = await recordAudit(ctx, {
      action: 'customer_session.auth_failed',
      msisdn,
      before: { state: 'awaiting_code' },
      after: { customer_session_id: id, state: 'expired', reason: 'code_expired' },
      data: { ...attempt, reason: 'code_expired', staff_id: agent.staffId, subscriber_id: row.subscriber_id },
    })
    const alert = await raiseAlert(ctx, { ...refuse, attempt: { ...attempt, reason: 'code_expired' } })
    return audited(refused(new CustomerChallengeClosedError(id, 'expired'), [alert.id]), [receipt, alert.receipt])
  }

  const binding = {
    challengeId: id,
    staffId: row.staff_id,
    staffSessionId: row.staff_session_id,
    subscriberId: row.subscriber_id,
    msisdn,
  }
  if (codeMatches(kycKey, row.code_salt, row.code_hash, binding, code)) {
    const opened = await ctx.tx
      .updateTable('customer_sessions')
      .set({
        state: 'open',
        code_hash: null,
        code_salt: null,
        opened_at: ctx.now,
        expires_at: plusMinutes(ctx.now, SESSION_MINUTES),
      })
      .where('id', '=', id)
      .where('state', '=', 'awaiting_code')
      .returningAll()
      .executeTakeFirst()
    // Only a change that bypassed the agent × number lock could get here first.
    if (!opened) throw new CustomerChallengeClosedError(id, 'closed')
    return audited(succeeded(presentCustomerSession(opened, ctx.now)), [await recordOpened(ctx, opened)])
  }

  const attempts = row.code_attempts + 1
  const codeVoid = attempts >= CODE_ATTEMPTS
  await ctx.tx
    .updateTable('customer_sessions')
    .set(
      codeVoid
        ? {
            code_attempts: attempts,
            state: 'failed',
            code_hash: null,
            code_salt: null,
            closed_at: ctx.now,
            close_reason: 'too_many_wrong_codes',
          }
        : { code_attempts: attempts },
    )
    .where('id', '=', id)
    .where('state', '=', 'awaiting_code')
    .where('code_attempts', '=', row.code_attempts)
    .execute()
  const failure = await recordFailedAuthentication(ctx, {
    staffId: agent.staffId,
    msisdn,
    subscriberId: row.subscriber_id,
    customerSessionId: id,
    method: 'sms_code',
    reason: 'wrong_code',
    attempt: { code_attempts_left: CODE_ATTEMPTS - attempts },
  })
  const error = new CustomerAuthFailedError('wrong_code', {
    msisdn,
    attempts_left: failure.attemptsLeft,
    code_attempts_left: failure.lockedUntil ? 0 : CODE_ATTEMPTS - attempts,
    ...(failure.lockedUntil ? { locked_until: failure.lockedUntil.toISOString() } : {}),
  })
  return audited(refused(error, failure.alertIds), failure.receipts)
}
