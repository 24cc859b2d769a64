// The sign-in throttle (migrations 003 and 021; its SQL in throttle-claims.ts): failures lock the (username,
// client address) pair they came from, for a time that doubles with each lock, and only KEY_CEILING failures of
// one username from everywhere within a window protect the account itself. Passwords and TOTP codes count
// alike, so a stolen password does not buy unlimited guesses at the code; a replayed code is not a guess.
import {
  type AuditReceipt,
  audited,
  type CommandContext,
  type CommandDeps,
  raiseAlert,
  recordAudit,
  runCommand,
} from '../audit/index.ts'
import type { Actor, ClientInfo } from '../domain/actor.ts'
import { DomainError } from '../domain/errors.ts'
import { sha256Hex } from './secrets.ts'
import type { StaffRow } from './sessions.ts'
import {
  type Claim,
  claimAttempt,
  type FailureOutcome,
  KEY_CEILING,
  KEY_LOCK_MINUTES,
  KEY_WINDOW_MINUTES,
  PAIR_ATTEMPTS,
  settleAttempt,
  settleFailure,
} from './throttle-claims.ts'

export { KEY_CEILING, KEY_LOCK_MINUTES, PAIR_ATTEMPTS, PAIR_LOCK_MINUTES, pairLockMs } from './throttle-claims.ts'
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

/** The address a throttle pair is keyed by (Fastify always knows one; a caller without one shares a pair). */
export const addressOf = (client: ClientInfo): string => client.ip ?? 'unknown'

/** Claims a slot for a sign-in step of this subject from this client, before the password or code is checked. */
export function claimSignIn(deps: CommandDeps, subject: SignInSubject, client: ClientInfo): Promise<Claim> {
  return claimAttempt(deps.db, deps.clock, subject.key, addressOf(client))
}

/** What a refused or locking attempt answers: 429 with when to come back, and whether the address or the account. */
export function signInLocked(lock: { scope: 'pair' | 'key'; lockedUntil: Date | null }, now: Date): DomainError {
  if (!lock.lockedUntil) {
    return new DomainError('sign_in_busy', 429, 'Other sign-ins to this account are still being checked: try again', {
      retry_after_seconds: 60,
    })
  }
  const retryAfter = Math.max(1, Math.ceil((lock.lockedUntil.getTime() - now.getTime()) / 1000))
  const minutes = Math.ceil(retryAfter / 60)
  const message =
    lock.scope === 'pair'
      ? `Too many failed sign-ins from this address: try again in ${minutes} minutes`
      : `This account had too many failed sign-ins from many addresses and is protected for ${minutes} minutes; a compliance officer was alerted`
  return new DomainError('sign_in_locked', 429, message, {
    retry_after_seconds: retryAfter,
    scope: lock.scope === 'pair' ? 'address' : 'account',
  })
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

/** Records an attempt refused by a lock without checking anything; a TOTP step's waiting session ends with it. */
export async function recordRefusedSignIn(deps: CommandDeps, a: FailedAttempt, claim: Claim): Promise<void> {
  const reason = claim.ok
    ? 'locked'
    : !claim.lockedUntil
      ? 'busy'
      : claim.scope === 'pair'
        ? 'locked'
        : 'account_protected'
  await runCommand(deps, SIGN_IN, async (ctx) => {
    const receipt = await failedAttemptRecord(ctx, { ...a, reason })
    if (a.sessionId) await endPendingSession(ctx, a.sessionId)
    return audited(undefined, [receipt])
  })
}

/** Records a claimed attempt that is not counted as a failure (a replayed TOTP code: not a guess) and settles it. */
export async function recordUncountedFailure(deps: CommandDeps, a: FailedAttempt): Promise<void> {
  await runCommand(deps, SIGN_IN, async (ctx) => {
    await settleAttempt(ctx.tx, a.subject.key, addressOf(a.client), 'uncounted')
    return audited(undefined, [await failedAttemptRecord(ctx, a)])
  })
}

/** Gives back a claimed attempt that ended without a verdict (an error before or after the check). */
export function releaseSignIn(deps: CommandDeps, subject: SignInSubject, client: ClientInfo): Promise<void> {
  return settleAttempt(deps.db, subject.key, addressOf(client), 'uncounted')
}

/**
 * Records a verified failure and counts it on its pair and its username. The failure that locks its pair raises
 * a warning naming the account and the address (and ends the waiting session it came from); the one that reaches
 * the username's ceiling raises a risk alert naming the account. Returns the lock this attempt set, if any.
 */
export async function recordFailedSignIn(
  deps: CommandDeps,
  a: FailedAttempt,
): Promise<{ scope: 'pair' | 'key'; lockedUntil: Date } | null> {
  return runCommand(deps, SIGN_IN, async (ctx) => {
    const ip = addressOf(a.client)
    const outcome = await settleFailure(ctx.tx, a.subject.key, ip, ctx.now)
    const receipts: [AuditReceipt, ...AuditReceipt[]] = [await failedAttemptRecord(ctx, a)]
    if ((outcome.pairLock || outcome.keyLock) && a.sessionId) await endPendingSession(ctx, a.sessionId)
    const stage = a.sessionId ? 'mfa' : 'password'
    const staff = a.subject.staffId ? { staffId: a.subject.staffId } : {}
    if (outcome.pairLock) {
      const alert = await raiseAlert(ctx, {
        kind: 'staff_sign_in_locked',
        severity: 'warning',
        ...staff,
        attempt: { ...a.subject.named, ip, failed_sign_ins: PAIR_ATTEMPTS, stage, ...lockFigures(outcome, ctx.now) },
      })
      receipts.push(alert.receipt)
    }
    if (outcome.keyLock) {
      const alert = await raiseAlert(ctx, {
        kind: 'staff_sign_in_ceiling',
        severity: 'risk',
        ...staff,
        attempt: {
          ...a.subject.named,
          failed_sign_ins: KEY_CEILING,
          window_minutes: KEY_WINDOW_MINUTES,
          protected_minutes: KEY_LOCK_MINUTES,
          stage,
          last_ip: ip,
        },
      })
      receipts.push(alert.receipt)
    }
    const lock = outcome.keyLock
      ? { scope: 'key' as const, lockedUntil: outcome.keyLock.until }
      : outcome.pairLock
        ? { scope: 'pair' as const, lockedUntil: outcome.pairLock.until }
        : null
    return audited(lock, receipts)
  })
}

/** How long the lock a failure set lasts, and which lock of its pair it is (each doubles the one before). */
export function lockFigures(outcome: FailureOutcome, now: Date) {
  if (!outcome.pairLock) return {}
  return {
    lock_minutes: Math.round((outcome.pairLock.until.getTime() - now.getTime()) / 60_000),
    lock_number: outcome.pairLock.locks,
  }
}

/** A pending session whose sign-in got locked is over: the next sign-in starts from the password again. */
async function endPendingSession(ctx: CommandContext, sessionId: string): Promise<void> {
  await ctx.tx
    .updateTable('sessions')
    .set({ revoked_at: ctx.now })
    .where('id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .where('mfa', 'in', ['pending', 'enrolment'])
    .execute()
}
