// Staff sign-in: password check behind a per-username throttle, and the session it opens.
import { randomUUID } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import { raiseAlert } from '../alerts/commands.ts'
import type { Actor, ClientInfo } from '../audit/actor.ts'
import { type AuditReceipt, audited, type CommandContext, recordAudit } from '../audit/record.ts'
import { type CommandDeps, runCommand } from '../audit/run-command.ts'
import type { DB } from '../db/types.ts'
import { DomainError, UnauthenticatedError } from '../domain/errors.ts'
import { hashToken, newToken, sha256Hex, verifyPassword } from './secrets.ts'
import { presentStaff, type StaffRow, staffActor } from './sessions.ts'

export interface SignInInput {
  username: string
  password: string
  client: ClientInfo
  ttlHours: number
}

export const SIGN_IN_ATTEMPTS = 5
export const SIGN_IN_LOCK_MINUTES = 15
const LOCK_MS = SIGN_IN_LOCK_MINUTES * 60_000

/**
 * Whom a sign-in attempt is about: the throttle key, and how the audit record and alert name it. A username that
 * names no account is kept only as its SHA-256, because what was typed there is sometimes a password.
 */
interface SignInSubject {
  key: string
  named: { username: string } | { username_sha256: string }
  staffId: string | null
}

function signInSubject(username: string, staff: StaffRow | undefined): SignInSubject {
  if (staff) return { key: staff.username, named: { username: staff.username }, staffId: staff.id }
  const digest = sha256Hex(username)
  return { key: `sha256:${digest}`, named: { username_sha256: digest }, staffId: null }
}

/** Thrown inside the session transaction when a lock was set while the (right) password was being verified. */
class LockedMeanwhile extends Error {}

/**
 * Signs a staff member in. Each attempt first claims one of SIGN_IN_ATTEMPTS slots for its username, atomically and
 * before the slow password check, so parallel guesses cannot all be verified; the attempt that fills the last slot
 * with a failure locks the username, and a success checks the lock again in the transaction that opens the session.
 */
export async function signIn(deps: CommandDeps, input: SignInInput) {
  const staff = await deps.db.selectFrom('staff').selectAll().where('username', '=', input.username).executeTakeFirst()
  const subject = signInSubject(input.username, staff)
  const now = deps.clock.now()
  if (!(await claimSignInAttempt(deps.db, subject.key, now))) {
    // Locked, or SIGN_IN_ATTEMPTS attempts are already counted: refused without looking at the password.
    throw signInLocked(await recordRefusedSignIn(deps, input, subject, 'locked'), now)
  }
  const passwordOk = await verifyPassword(staff?.password_hash ?? null, input.password)
  if (!staff || !passwordOk || staff.status !== 'active') {
    const reason = !staff ? 'unknown_user' : !passwordOk ? 'wrong_password' : 'suspended'
    const lockedUntil = await recordFailedSignIn(deps, input, subject, reason)
    if (lockedUntil) throw signInLocked(lockedUntil, now)
    throw new UnauthenticatedError('Wrong username or password, or the account is suspended')
  }
  const token = newToken('ngs')
  const sessionId = randomUUID()
  try {
    return await runCommand(deps, staffActor(staff, sessionId, input.client), async (ctx) => {
      const reset = await ctx.tx
        .updateTable('sign_in_throttle')
        .set({ failures: 0, locked_until: null, updated_at: ctx.now })
        .where('username', '=', subject.key)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', ctx.now)]))
        .executeTakeFirst()
      if (Number(reset.numUpdatedRows) !== 1) throw new LockedMeanwhile()
      const expiresAt = new Date(ctx.now.getTime() + input.ttlHours * 3_600_000)
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
        })
        .execute()
      const receipt = await recordAudit(ctx, {
        action: 'session.signed_in',
        after: { session_id: sessionId, expires_at: expiresAt },
      })
      return audited({ token, session: { id: sessionId, expires_at: expiresAt }, staff: presentStaff(staff) }, [
        receipt,
      ])
    })
  } catch (err) {
    if (!(err instanceof LockedMeanwhile)) throw err
    // Right password, but parallel wrong ones locked the account while it was verified: no session.
    throw signInLocked(await recordRefusedSignIn(deps, input, subject, 'locked_meanwhile'), now)
  }
}

/**
 * Counts an attempt against its username before the password is verified, in one statement so parallel attempts
 * queue on the row: returns false when the username is locked or SIGN_IN_ATTEMPTS attempts are already counted.
 * An expired lock starts the count again; so does a full count with no lock after a lock period, which only an
 * attempt that never finished (a crash mid-verify) leaves behind.
 */
async function claimSignInAttempt(db: Kysely<DB>, key: string, now: Date): Promise<boolean> {
  const stale = new Date(now.getTime() - LOCK_MS)
  const claimed = await db
    .insertInto('sign_in_throttle')
    .values({ username: key, failures: 1, locked_until: null, updated_at: now })
    .onConflict((oc) =>
      oc
        .column('username')
        .doUpdateSet({
          failures: sql<number>`CASE WHEN sign_in_throttle.locked_until <= ${now}::timestamptz
            OR sign_in_throttle.failures >= ${SIGN_IN_ATTEMPTS}::integer THEN 1 ELSE sign_in_throttle.failures + 1 END`,
          // Only a row without a lock or with an expired one gets here.
          locked_until: null,
          updated_at: now,
        })
        .where((eb) =>
          eb.or([
            eb.and([
              eb('sign_in_throttle.locked_until', 'is', null),
              eb.or([
                eb('sign_in_throttle.failures', '<', SIGN_IN_ATTEMPTS),
                eb('sign_in_throttle.updated_at', '<=', stale),
              ]),
            ]),
            eb('sign_in_throttle.locked_until', '<=', now),
          ]),
        ),
    )
    .returning('failures')
    .executeTakeFirst()
  return claimed !== undefined
}

function signInLocked(lockedUntil: Date | null, now: Date): DomainError {
  // No lock yet means the count is full with attempts still being verified; the lock they set will last this long.
  const retryAfter = lockedUntil
    ? Math.max(1, Math.ceil((lockedUntil.getTime() - now.getTime()) / 1000))
    : LOCK_MS / 1000
  return new DomainError(
    'sign_in_locked',
    429,
    `Too many failed sign-ins: try again in ${Math.ceil(retryAfter / 60)} minutes`,
    { retry_after_seconds: retryAfter },
  )
}

const SIGN_IN: Actor = { kind: 'system', component: 'sign-in' }

function failedSignInRecord(ctx: CommandContext, input: SignInInput, subject: SignInSubject, reason: string) {
  return recordAudit(ctx, {
    action: 'session.sign_in_failed',
    data: { ...subject.named, reason, ip: input.client.ip ?? null },
  })
}

/**
 * Records an attempt refused because its username is locked ('locked': the password was not checked;
 * 'locked_meanwhile': it was right, but the lock came first). Returns the lock's end, if one is set yet.
 */
async function recordRefusedSignIn(
  deps: CommandDeps,
  input: SignInInput,
  subject: SignInSubject,
  reason: 'locked' | 'locked_meanwhile',
): Promise<Date | null> {
  return runCommand(deps, SIGN_IN, async (ctx) => {
    const receipt = await failedSignInRecord(ctx, input, subject, reason)
    const row = await ctx.tx
      .selectFrom('sign_in_throttle')
      .select('locked_until')
      .where('username', '=', subject.key)
      .executeTakeFirst()
    return audited(row?.locked_until ? new Date(row.locked_until) : null, [receipt])
  })
}

/**
 * Records a verified failure. Its attempt was counted when claimed; if the count is full and no lock is set yet,
 * this attempt sets it and raises an alert naming the account (when the username names one). Returns the lock's
 * end when this attempt set it.
 */
async function recordFailedSignIn(
  deps: CommandDeps,
  input: SignInInput,
  subject: SignInSubject,
  reason: 'unknown_user' | 'wrong_password' | 'suspended',
): Promise<Date | null> {
  return runCommand(deps, SIGN_IN, async (ctx) => {
    const locked = await ctx.tx
      .updateTable('sign_in_throttle')
      .set({ locked_until: new Date(ctx.now.getTime() + LOCK_MS), updated_at: ctx.now })
      .where('username', '=', subject.key)
      .where('failures', '>=', SIGN_IN_ATTEMPTS)
      .where('locked_until', 'is', null)
      .returning(['failures', 'locked_until'])
      .executeTakeFirst()
    const receipts: [AuditReceipt, ...AuditReceipt[]] = [await failedSignInRecord(ctx, input, subject, reason)]
    if (!locked?.locked_until) return audited(null, receipts)
    const alert = await raiseAlert(ctx, {
      kind: 'staff_sign_in_locked',
      severity: 'warning',
      ...(subject.staffId ? { staffId: subject.staffId } : {}),
      attempt: { ...subject.named, failed_sign_ins: locked.failures, ip: input.client.ip ?? null },
    })
    receipts.push(alert.receipt)
    return audited(new Date(locked.locked_until), receipts)
  })
}
