// The per-username sign-in throttle (migration 003): passwords and TOTP codes count against the same
// SIGN_IN_ATTEMPTS slots, so a stolen password does not buy unlimited guesses at the code.
import { type Kysely, sql } from 'kysely'
import { raiseAlert } from '../alerts/commands.ts'
import type { Actor, ClientInfo } from '../audit/actor.ts'
import { type AuditReceipt, audited, type CommandContext, recordAudit } from '../audit/record.ts'
import { type CommandDeps, runCommand } from '../audit/run-command.ts'
import type { DB } from '../db/types.ts'
import { DomainError } from '../domain/errors.ts'
import { sha256Hex } from './secrets.ts'
import type { StaffRow } from './sessions.ts'

export const SIGN_IN_ATTEMPTS = 5
export const SIGN_IN_LOCK_MINUTES = 15
const LOCK_MS = SIGN_IN_LOCK_MINUTES * 60_000

/**
 * Whom a sign-in attempt is about: the throttle key, and how the audit record and alert name it. A username that
 * names no account is kept only as its SHA-256, because what was typed there is sometimes a password.
 */
export interface SignInSubject {
  key: string
  named: { username: string } | { username_sha256: string }
  staffId: string | null
}

export function signInSubject(username: string, staff: Pick<StaffRow, 'id' | 'username'> | undefined): SignInSubject {
  if (staff) return { key: staff.username, named: { username: staff.username }, staffId: staff.id }
  const digest = sha256Hex(username)
  return { key: `sha256:${digest}`, named: { username_sha256: digest }, staffId: null }
}

/**
 * Counts an attempt against its username before the password or code is verified, in one statement so parallel
 * attempts queue on the row: returns false when the username is locked or SIGN_IN_ATTEMPTS attempts are already
 * counted. An expired lock starts the count again; so does a full count with no lock after a lock period, which only
 * an attempt that never finished (a crash mid-verify) leaves behind.
 */
export async function claimSignInAttempt(db: Kysely<DB>, key: string, now: Date): Promise<boolean> {
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

/**
 * Inside the transaction that completes a sign-in: true when no lock is set (or it expired). `reset` clears the
 * count (a complete sign-in); without it the attempts stay counted (a password verified, a TOTP code still owed).
 */
export async function throttleStillOpen(ctx: CommandContext, key: string, reset: boolean): Promise<boolean> {
  const row = await ctx.tx
    .updateTable('sign_in_throttle')
    .set(reset ? { failures: 0, locked_until: null, updated_at: ctx.now } : { updated_at: ctx.now })
    .where('username', '=', key)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', ctx.now)]))
    .executeTakeFirst()
  return Number(row.numUpdatedRows) === 1
}

export function signInLocked(lockedUntil: Date | null, now: Date): DomainError {
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

export const SIGN_IN: Actor = { kind: 'system', component: 'sign-in' }

/** What a failed or refused attempt records: the password step, or the TOTP step of a pending session. */
export interface FailedAttempt {
  client: ClientInfo
  subject: SignInSubject
  reason: string
  /** Set for the TOTP step: the pending session the code was typed into. */
  sessionId?: string
}

function failedAttemptRecord(ctx: CommandContext, a: FailedAttempt) {
  return recordAudit(ctx, {
    action: a.sessionId ? 'session.mfa_failed' : 'session.sign_in_failed',
    data: {
      ...a.subject.named,
      ...(a.subject.staffId ? { staff_id: a.subject.staffId } : {}),
      ...(a.sessionId ? { session_id: a.sessionId } : {}),
      reason: a.reason,
      ip: a.client.ip ?? null,
    },
  })
}

/**
 * Records an attempt refused because its username is locked ('locked': nothing was checked; 'locked_meanwhile':
 * it was right, but the lock came first). Returns the lock's end, if one is set yet.
 */
export async function recordRefusedSignIn(deps: CommandDeps, a: FailedAttempt): Promise<Date | null> {
  return runCommand(deps, SIGN_IN, async (ctx) => {
    const receipt = await failedAttemptRecord(ctx, a)
    if (a.sessionId) await endPendingSession(ctx, a.sessionId)
    const row = await ctx.tx
      .selectFrom('sign_in_throttle')
      .select('locked_until')
      .where('username', '=', a.subject.key)
      .executeTakeFirst()
    return audited(row?.locked_until ? new Date(row.locked_until) : null, [receipt])
  })
}

/**
 * Records a verified failure. Its attempt was counted when claimed; if the count is full and no lock is set yet,
 * this attempt sets it, ends the pending session it came from, and raises an alert naming the account (when the
 * username names one). Returns the lock's end when this attempt set it.
 */
export async function recordFailedSignIn(deps: CommandDeps, a: FailedAttempt): Promise<Date | null> {
  return runCommand(deps, SIGN_IN, async (ctx) => {
    const locked = await ctx.tx
      .updateTable('sign_in_throttle')
      .set({ locked_until: new Date(ctx.now.getTime() + LOCK_MS), updated_at: ctx.now })
      .where('username', '=', a.subject.key)
      .where('failures', '>=', SIGN_IN_ATTEMPTS)
      .where('locked_until', 'is', null)
      .returning(['failures', 'locked_until'])
      .executeTakeFirst()
    const receipts: [AuditReceipt, ...AuditReceipt[]] = [await failedAttemptRecord(ctx, a)]
    if (!locked?.locked_until) return audited(null, receipts)
    if (a.sessionId) await endPendingSession(ctx, a.sessionId)
    const alert = await raiseAlert(ctx, {
      kind: 'staff_sign_in_locked',
      severity: 'warning',
      ...(a.subject.staffId ? { staffId: a.subject.staffId } : {}),
      attempt: {
        ...a.subject.named,
        failed_sign_ins: locked.failures,
        stage: a.sessionId ? 'mfa' : 'password',
        ip: a.client.ip ?? null,
      },
    })
    receipts.push(alert.receipt)
    return audited(new Date(locked.locked_until), receipts)
  })
}

/** A pending session whose username got locked is over: the next sign-in starts from the password again. */
async function endPendingSession(ctx: CommandContext, sessionId: string): Promise<void> {
  await ctx.tx
    .updateTable('sessions')
    .set({ revoked_at: ctx.now })
    .where('id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .where('mfa', 'in', ['pending', 'enrolment'])
    .execute()
}
