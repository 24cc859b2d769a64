// Staff sign-in, second step: a TOTP code from the staff member's authenticator app. It confirms a first
// enrolment, or is checked against the enrolled secret; a code is accepted once (its step is remembered). Every
// wrong code counts on the sign-in throttle's (username, address) pair like a wrong password; a replayed one is
// recorded but not counted (it was right once: not a guess). Only now is the session signed in and audited so.

import { type AuditReceipt, audited, type CommandDeps, recordAudit, runCommand } from '../audit/index.ts'
import type { ClientInfo } from '../domain/actor.ts'
import { ConflictError } from '../domain/errors.ts'
import { mfaRequiredFor } from '../domain/roles.ts'
import { MfaCodeInvalidError, MfaRequiredError } from './errors.ts'
import { type MfaSettings, openMfaSecret } from './mfa-secrets.ts'
import type { StaffActor } from './policies.ts'
import { hashToken, newToken } from './secrets.ts'
import { presentStaff, type SessionMfa } from './sessions.ts'
import { offerEnrolment, type SignInResult } from './sign-in.ts'
import {
  addressOf,
  claimSignIn,
  recordFailedSignIn,
  recordRefusedSignIn,
  recordUncountedFailure,
  releaseSignIn,
  signInLocked,
  signInSubject,
} from './sign-in-throttle.ts'
import { settleAttempt } from './throttle-claims.ts'
import { checkTotp } from './totp.ts'

export interface MfaStepInput {
  code: string
  client: ClientInfo
  ttlHours: number
  mfa: MfaSettings
}

class ReplayedMeanwhile extends Error {}

async function loadStep(deps: CommandDeps, actor: StaffActor) {
  const row = await deps.db
    .selectFrom('sessions')
    .innerJoin('staff', 'staff.id', 'sessions.staff_id')
    .select(['sessions.id as session_id', 'sessions.mfa', 'sessions.expires_at'])
    .selectAll('staff')
    .where('sessions.id', '=', actor.sessionId)
    .where('sessions.revoked_at', 'is', null)
    .executeTakeFirst()
  if (!row) throw new MfaRequiredError('sign_in_again')
  return row
}

/**
 * Checks the TOTP code typed into a session: a pending sign-in (the enrolled secret), a first enrolment (the
 * offered secret), or a signed-in staff member confirming an enrolment they chose. On success the session is
 * signed in with a fresh token (the one that waited for the code is dropped) and `session.signed_in` is recorded
 * with `mfa: true`.
 */
export async function completeMfa(deps: CommandDeps, actor: StaffActor, input: MfaStepInput): Promise<SignInResult> {
  const row = await loadStep(deps, actor)
  const stage: SessionMfa = row.mfa
  const enrolling = stage === 'enrolment' || (stage !== 'pending' && row.mfa_enrolled_at === null)
  if (stage === 'verified' && !enrolling) throw new ConflictError('mfa_already_done', 'This session already passed MFA')
  const sealed = enrolling ? row.mfa_pending_secret : row.mfa_secret
  if (!sealed) {
    throw new ConflictError('mfa_not_offered', 'No authenticator secret waits for a code: start the enrolment first', {
      field: 'code',
    })
  }
  const subject = signInSubject(row.username, row)
  const pendingSession = stage === 'pending' || stage === 'enrolment' ? row.session_id : undefined
  const attempt = { client: input.client, subject, sessionId: pendingSession ?? row.session_id }
  const claim = await claimSignIn(deps, subject, input.client)
  if (!claim.ok) {
    await recordRefusedSignIn(deps, { ...attempt, reason: 'locked' }, claim)
    throw signInLocked(claim, deps.clock.now())
  }
  let settled = false
  try {
    const out = await checkCode(deps, actor, input, { row, sealed, enrolling, pendingSession, attempt })
    settled = true
    return out
  } catch (err) {
    if (err instanceof Settled) {
      settled = true
      throw err.error
    }
    throw err
  } finally {
    if (!settled) await releaseSignIn(deps, subject, input.client)
  }
}

/** Carries the error of a step whose throttle claim is already settled (counted or not). */
class Settled extends Error {
  readonly error: Error
  constructor(error: Error) {
    super(error.message)
    this.error = error
  }
}

type StepRow = Awaited<ReturnType<typeof loadStep>>
interface Step {
  row: StepRow
  sealed: Buffer
  enrolling: boolean
  pendingSession: string | undefined
  attempt: { client: ClientInfo; subject: ReturnType<typeof signInSubject>; sessionId: string }
}

async function checkCode(deps: CommandDeps, actor: StaffActor, input: MfaStepInput, step: Step) {
  const { row, sealed, enrolling, pendingSession, attempt } = step
  let secret: Buffer
  try {
    secret = openMfaSecret(input.mfa.secretKey, row.id, Buffer.from(sealed))
  } catch {
    // Sealed under another NUMGUARD_KYC_KEY (a key changed without re-enrolment): only a reset helps.
    throw new ConflictError(
      'mfa_secret_unreadable',
      'This account’s authenticator secret cannot be opened with the configured key: an admin must request a credential reset',
    )
  }
  const check = checkTotp(secret, input.code, input.mfa.wallClock.now(), row.mfa_last_step)
  if (!check.ok) {
    if (check.reason === 'replayed_code') {
      await recordUncountedFailure(deps, { ...attempt, reason: check.reason })
      throw new Settled(new MfaCodeInvalidError(check.reason))
    }
    const lock = await recordFailedSignIn(deps, { ...attempt, reason: check.reason })
    throw new Settled(lock ? signInLocked(lock, deps.clock.now()) : new MfaCodeInvalidError(check.reason))
  }

  const token = newToken('ngs')
  try {
    return await runCommand(deps, actor, async (ctx) => {
      await settleAttempt(ctx.tx, attempt.subject.key, addressOf(input.client), 'success')
      // The step moves only forward: the same code sent twice at once is accepted once.
      const moved = await ctx.tx
        .updateTable('staff')
        .set({
          mfa_last_step: check.step,
          updated_at: ctx.now,
          ...(enrolling ? { mfa_secret: sealed, mfa_pending_secret: null, mfa_enrolled_at: ctx.now } : {}),
        })
        .where('id', '=', row.id)
        .where('status', '=', 'active')
        .where((eb) => eb.or([eb('mfa_last_step', 'is', null), eb('mfa_last_step', '<', check.step)]))
        .executeTakeFirst()
      if (Number(moved.numUpdatedRows) !== 1) throw new ReplayedMeanwhile()
      const expiresAt = pendingSession ? new Date(ctx.now.getTime() + input.ttlHours * 3_600_000) : row.expires_at
      const session = await ctx.tx
        .updateTable('sessions')
        .set({ mfa: 'verified', token_hash: hashToken(token), expires_at: expiresAt, last_seen_at: ctx.now })
        .where('id', '=', row.session_id)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', ctx.now)
        .executeTakeFirst()
      // Ended meanwhile (a lock, a sign-out, its 10 minutes): nothing is signed in, the code is not spent.
      if (Number(session.numUpdatedRows) !== 1) throw new MfaRequiredError('sign_in_again')
      const receipts: AuditReceipt[] = []
      if (pendingSession) {
        receipts.push(
          await recordAudit(ctx, {
            action: 'session.signed_in',
            after: { session_id: row.session_id, expires_at: expiresAt },
            data: {
              session_id: row.session_id,
              mfa_required: mfaRequiredFor(row.roles),
              mfa: true,
              enrolled: enrolling,
            },
          }),
        )
      }
      if (enrolling) {
        receipts.push(
          await recordAudit(ctx, { action: 'staff.mfa_enrolled', data: { staff_id: row.id, username: row.username } }),
        )
      }
      const [first, ...rest] = receipts
      if (!first) throw new Error('unreachable: an MFA step always records something')
      const signedIn = { id: row.session_id, expires_at: new Date(expiresAt), mfa: 'verified' as const }
      return audited(
        {
          status: 'signed_in' as const,
          token,
          session: signedIn,
          staff: presentStaff({ ...row, mfa_enrolled_at: enrolling ? ctx.now : row.mfa_enrolled_at }),
        },
        [first, ...rest],
      )
    })
  } catch (err) {
    if (err instanceof ReplayedMeanwhile) {
      await recordUncountedFailure(deps, { ...attempt, reason: 'replayed_code' })
      throw new Settled(new MfaCodeInvalidError('replayed_code'))
    }
    throw err
  }
}

/**
 * A signed-in staff member whose role does not require MFA chooses to enrol: the secret is offered (and kept
 * pending) until a code confirms it through completeMfa. Once enrolled, every later sign-in asks for a code.
 */
export async function startOptionalEnrolment(deps: CommandDeps, actor: StaffActor, settings: MfaSettings) {
  const staff = await deps.db
    .selectFrom('staff')
    .select(['id', 'username', 'mfa_pending_secret', 'mfa_enrolled_at'])
    .where('id', '=', actor.staffId)
    .executeTakeFirstOrThrow()
  if (staff.mfa_enrolled_at) {
    throw new ConflictError('mfa_already_enrolled', 'You are enrolled already; a credential reset starts again')
  }
  return runCommand(deps, actor, async (ctx) => {
    const receipts: AuditReceipt[] = []
    // Offering again the same pending secret changes nothing: the read below is the record of the request.
    const enrolment = await offerEnrolment(ctx, staff, settings, receipts)
    const [first, ...rest] = receipts
    if (first) return audited(enrolment, [first, ...rest])
    return audited(enrolment, [
      await recordAudit(ctx, { action: 'staff.mfa_enrolment_started', data: { staff_id: staff.id, again: true } }),
    ])
  })
}
