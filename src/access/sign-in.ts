// Staff sign-in, first step: the password, behind the per-username throttle. A staff member whose role needs MFA
// (or who enrolled) gets a session that waits for a TOTP code (src/access/mfa.ts); the others are signed in.
import { randomUUID } from 'node:crypto'
import type { Selectable } from 'kysely'
import {
  type AuditReceipt,
  audited,
  type CommandContext,
  type CommandDeps,
  recordAudit,
  runCommand,
} from '../audit/index.ts'
import type { StaffTable } from '../db/types.ts'
import type { ClientInfo } from '../domain/actor.ts'
import { DomainError, UnauthenticatedError } from '../domain/errors.ts'
import { mfaRequiredFor } from '../domain/roles.ts'
import { MfaRequiredError } from './errors.ts'
import { type MfaSettings, openMfaSecret, sealMfaSecret } from './mfa-secrets.ts'
import { hashToken, newToken, verifyPassword } from './secrets.ts'
import { presentStaff, type SessionMfa, type StaffRow, staffActor } from './sessions.ts'
import {
  addressOf,
  claimSignIn,
  recordFailedSignIn,
  recordRefusedSignIn,
  releaseSignIn,
  SIGN_IN,
  signInLocked,
  signInSubject,
} from './sign-in-throttle.ts'
import { settleAttempt } from './throttle-claims.ts'
import { base32Encode, newTotpSecret, otpauthUri } from './totp.ts'

export { KEY_CEILING, PAIR_ATTEMPTS, PAIR_LOCK_MINUTES } from './sign-in-throttle.ts'

export interface SignInInput {
  username: string
  password: string
  client: ClientInfo
  ttlHours: number
  mfa: MfaSettings
}

/** How long a session may wait for its TOTP code before the password must be typed again. */
export const MFA_STEP_MINUTES = 10

export type SignInStatus = 'signed_in' | 'mfa_required' | 'mfa_enrolment_required'

export interface SignInResult {
  status: SignInStatus
  token: string
  session: { id: string; expires_at: Date; mfa: SessionMfa }
  staff: ReturnType<typeof presentStaff>
  /** At first sign-in of a staff member who must (or chose to) use MFA: the secret to enrol, until a code confirms it. */
  enrolment?: { secret: string; otpauth_uri: string }
}

/**
 * Signs a staff member in. Each attempt first claims a slot on its (username, address) pair and its username,
 * atomically and before the slow password check, so parallel guesses are verified no more often than sequential
 * ones; a claimed attempt always finishes, so a right password is never refused for failures that came after it.
 * A right password clears the pair's failures only when no TOTP code is owed; otherwise the codes typed next count
 * on the same pair.
 */
export async function signIn(deps: CommandDeps, input: SignInInput): Promise<SignInResult> {
  const staff = await deps.db.selectFrom('staff').selectAll().where('username', '=', input.username).executeTakeFirst()
  const subject = signInSubject(input.username, staff)
  const attempt = { client: input.client, subject }
  const claim = await claimSignIn(deps, subject, input.client)
  if (!claim.ok) {
    // Locked (this address, or the whole account after its ceiling): refused without looking at the password.
    await recordRefusedSignIn(deps, { ...attempt, reason: 'locked' }, claim)
    throw signInLocked(claim, deps.clock.now())
  }
  let settled = false
  try {
    const passwordOk = await verifyPassword(staff?.password_hash ?? null, input.password)
    if (!staff || !passwordOk || staff.status !== 'active') {
      const reason = !staff ? 'unknown_user' : !passwordOk ? 'wrong_password' : 'suspended'
      const lock = await recordFailedSignIn(deps, { ...attempt, reason })
      settled = true
      if (lock) throw signInLocked(lock, deps.clock.now())
      // The right password of a suspended account may learn why: the person knows it already, an attacker does not.
      if (reason === 'suspended')
        throw new DomainError('staff_suspended', 403, 'This account is suspended: a compliance officer suspended it')
      throw new UnauthenticatedError('Wrong username or password, or the account is suspended')
    }
    const out = await openSession(deps, input, staff, subject.key)
    settled = true
    return out
  } finally {
    if (!settled) await releaseSignIn(deps, subject, input.client)
  }
}

/** The right password: a session, signed in or waiting for its code; the claim is settled in the same transaction. */
async function openSession(deps: CommandDeps, input: SignInInput, staff: Selectable<StaffTable>, key: string) {
  const mfaRequired = mfaRequiredFor(staff.roles)
  const mfa: SessionMfa = staff.mfa_enrolled_at ? 'pending' : mfaRequired ? 'enrolment' : 'not_required'
  const token = newToken('ngs')
  const sessionId = randomUUID()
  const actor = mfa === 'not_required' ? staffActor(staff, sessionId, input.client) : SIGN_IN
  return runCommand<SignInResult>(deps, actor, async (ctx) => {
    await settleAttempt(ctx.tx, key, addressOf(input.client), mfa === 'not_required' ? 'success' : 'partial')
    const ttlMs = mfa === 'not_required' ? input.ttlHours * 3_600_000 : MFA_STEP_MINUTES * 60_000
    const expiresAt = new Date(ctx.now.getTime() + ttlMs)
    await ctx.tx
      .insertInto('sessions')
      .values({
        id: sessionId,
        staff_id: staff.id,
        token_hash: hashToken(token),
        created_at: ctx.now,
        expires_at: expiresAt,
        last_seen_at: ctx.now,
        client: JSON.stringify(input.client),
        mfa,
      })
      .execute()
    const session = { id: sessionId, expires_at: expiresAt, mfa }
    if (mfa === 'not_required') {
      const receipt = await recordAudit(ctx, {
        action: 'session.signed_in',
        after: { session_id: sessionId, expires_at: expiresAt },
        data: { session_id: sessionId, mfa_required: false, mfa: false },
      })
      return audited({ status: 'signed_in', token, session, staff: presentStaff(staff) }, [receipt])
    }
    // Not signed in yet: the sign-in component records the challenge; `session.signed_in` waits for the code.
    const receipts: AuditReceipt[] = []
    const enrolment = mfa === 'enrolment' ? await offerEnrolment(ctx, staff, input.mfa, receipts) : undefined
    const challenged = await recordAudit(ctx, {
      action: 'session.mfa_challenged',
      data: {
        staff_id: staff.id,
        username: staff.username,
        session_id: sessionId,
        mfa_required: mfaRequired,
        stage: mfa,
      },
    })
    const status: SignInStatus = mfa === 'enrolment' ? 'mfa_enrolment_required' : 'mfa_required'
    return audited({ status, token, session, staff: presentStaff(staff), ...(enrolment ? { enrolment } : {}) }, [
      challenged,
      ...receipts,
    ])
  })
}

/**
 * The secret a staff member enrols, kept (sealed) on their account until a valid code confirms it, so signing in
 * again before confirming shows the same secret (a person who scanned it once need not scan again).
 */
export async function offerEnrolment(
  ctx: CommandContext,
  staff: Pick<StaffRow, 'id' | 'username'> & { mfa_pending_secret?: Buffer | null },
  settings: MfaSettings,
  receipts: AuditReceipt[],
): Promise<{ secret: string; otpauth_uri: string }> {
  let secret: Buffer | undefined
  if (staff.mfa_pending_secret) {
    try {
      secret = openMfaSecret(settings.secretKey, staff.id, Buffer.from(staff.mfa_pending_secret))
    } catch {
      secret = undefined // sealed under another key (the key was rotated): offer a fresh one
    }
  }
  if (!secret) {
    secret = newTotpSecret()
    const moved = await ctx.tx
      .updateTable('staff')
      .set({ mfa_pending_secret: sealMfaSecret(settings.secretKey, staff.id, secret), updated_at: ctx.now })
      .where('id', '=', staff.id)
      .where('status', '=', 'active')
      .executeTakeFirst()
    if (Number(moved.numUpdatedRows) !== 1) throw new MfaRequiredError('sign_in_again')
    receipts.push(
      await recordAudit(ctx, {
        action: 'staff.mfa_enrolment_started',
        data: { staff_id: staff.id, username: staff.username },
      }),
    )
  }
  const text = base32Encode(secret)
  return { secret: text, otpauth_uri: otpauthUri(text, staff.username) }
}
