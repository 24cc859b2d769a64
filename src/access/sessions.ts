import type { Kysely } from 'kysely'
import { audited, type CommandDeps, recordAudit, runCommand } from '../audit/index.ts'
import type { DB } from '../db/types.ts'
import type { Actor, ClientInfo } from '../domain/actor.ts'
import { NotFoundError, UnauthenticatedError } from '../domain/errors.ts'
import { mfaRequiredFor, type Role } from '../domain/roles.ts'
import { MfaRequiredError, StaffSuspendedError } from './errors.ts'
import type { StaffActor } from './policies.ts'
import { hashToken } from './secrets.ts'

export interface StaffRow {
  id: string
  username: string
  display_name: string
  roles: string[]
  shop_id: string | null
  status: string
  mfa_enrolled_at?: Date | string | null
}

export type SessionMfa = 'not_required' | 'enrolment' | 'pending' | 'verified'

/** A staff member as they see themselves (and as sign-in returns them): never a hash or a secret. */
export function presentStaff(s: StaffRow) {
  return {
    id: s.id,
    username: s.username,
    display_name: s.display_name,
    roles: s.roles,
    shop_id: s.shop_id,
    status: s.status,
    mfa_enrolled: Boolean(s.mfa_enrolled_at),
  }
}

export function staffActor(s: StaffRow, sessionId: string, client: ClientInfo): StaffActor {
  return {
    kind: 'staff',
    staffId: s.id,
    sessionId,
    username: s.username,
    roles: s.roles as Role[],
    shopId: s.shop_id,
    client,
  }
}

/** A session is usable once its MFA step is done, where the role or the staff member's own enrolment asks for it. */
export function sessionUsable(mfa: SessionMfa, roles: readonly string[]): boolean {
  return mfa === 'verified' || (mfa === 'not_required' && !mfaRequiredFor(roles))
}

/**
 * Ends a session: the staff member's own. A session still waiting for its TOTP code never signed in (no
 * `session.signed_in` leaf names it), so its end is recorded by the sign-in component, not by the staff member.
 */
export async function revokeSession(
  deps: CommandDeps,
  actor: StaffActor,
  sessionId: string,
  action: 'session.signed_out' | 'session.revoked',
) {
  const session = await deps.db
    .selectFrom('sessions')
    .select(['mfa', 'staff_id'])
    .where('id', '=', sessionId)
    .where('staff_id', '=', actor.staffId)
    .executeTakeFirst()
  const pending = session?.mfa === 'pending' || session?.mfa === 'enrolment'
  const recorder: Actor = pending ? { kind: 'system', component: 'sign-in' } : actor
  return runCommand(deps, recorder, async (ctx) => {
    const ended = await ctx.tx
      .updateTable('sessions')
      .set({ revoked_at: ctx.now })
      .where('id', '=', sessionId)
      .where('staff_id', '=', actor.staffId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst()
    if (Number(ended.numUpdatedRows) !== 1) throw new NotFoundError('open session', sessionId)
    const data = pending ? { staff_id: actor.staffId, username: actor.username, mfa: session?.mfa } : undefined
    return audited({ id: sessionId }, [await recordAudit(ctx, { action, after: { session_id: sessionId }, data })])
  })
}

export interface AuthenticateOptions {
  /** The few routes that finish or abandon a sign-in (TOTP step, sign-out, who am I) take a pending session. */
  allowPendingMfa?: boolean
}

/**
 * Resolves a bearer token or cookie to the staff actor. It reads the staff row on every request, so a suspension,
 * a revoked or expired session, or a missing MFA step is a 401 on this very request.
 */
export async function authenticateStaff(
  db: Kysely<DB>,
  now: Date,
  token: string,
  client: ClientInfo,
  options: AuthenticateOptions = {},
): Promise<Actor> {
  const row = await db
    .selectFrom('sessions')
    .innerJoin('staff', 'staff.id', 'sessions.staff_id')
    .select(['sessions.id as session_id', 'sessions.expires_at', 'sessions.revoked_at', 'sessions.last_seen_at'])
    .select(['sessions.mfa'])
    .select(['staff.id', 'staff.username', 'staff.display_name', 'staff.roles', 'staff.shop_id', 'staff.status'])
    .where('sessions.token_hash', '=', hashToken(token))
    .executeTakeFirst()
  if (!row) throw new UnauthenticatedError('This session has ended: sign in again')
  if (row.status !== 'active') throw new StaffSuspendedError()
  if (row.revoked_at || new Date(row.expires_at) <= now) {
    throw new UnauthenticatedError('This session has ended: sign in again')
  }
  if (!sessionUsable(row.mfa, row.roles)) {
    const waiting = row.mfa === 'pending' || row.mfa === 'enrolment'
    if (!waiting) throw new MfaRequiredError('sign_in_again')
    if (!options.allowPendingMfa) throw new MfaRequiredError(row.mfa === 'enrolment' ? 'enrolment' : 'pending')
  }
  if (now.getTime() - new Date(row.last_seen_at).getTime() > 60_000) {
    await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', row.session_id).execute()
  }
  return staffActor(row, row.session_id, client)
}

export function listOwnSessions(db: Kysely<DB>, staffId: string) {
  return db
    .selectFrom('sessions')
    .select(['id', 'created_at', 'expires_at', 'revoked_at', 'last_seen_at', 'client', 'mfa'])
    .where('staff_id', '=', staffId)
    .orderBy('created_at', 'desc')
    .limit(50)
    .execute()
}
