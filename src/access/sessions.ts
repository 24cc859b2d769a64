import type { Kysely } from 'kysely'
import type { Actor, ClientInfo } from '../audit/actor.ts'
import { audited, recordAudit } from '../audit/record.ts'
import { type CommandDeps, runCommand } from '../audit/run-command.ts'
import type { DB } from '../db/types.ts'
import { NotFoundError, UnauthenticatedError } from '../domain/errors.ts'
import type { Role } from '../domain/roles.ts'
import type { StaffActor } from './policies.ts'
import { hashToken } from './secrets.ts'

export interface StaffRow {
  id: string
  username: string
  display_name: string
  roles: string[]
  shop_id: string | null
  status: string
}

export function presentStaff(s: StaffRow) {
  return {
    id: s.id,
    username: s.username,
    display_name: s.display_name,
    roles: s.roles,
    shop_id: s.shop_id,
    status: s.status,
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

/** Ends a session: the staff member's own, or (later, with the access issue) one an admin revokes. */
export async function revokeSession(
  deps: CommandDeps,
  actor: StaffActor,
  sessionId: string,
  action: 'session.signed_out' | 'session.revoked',
) {
  return runCommand(deps, actor, async (ctx) => {
    const ended = await ctx.tx
      .updateTable('sessions')
      .set({ revoked_at: ctx.now })
      .where('id', '=', sessionId)
      .where('staff_id', '=', actor.staffId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst()
    if (Number(ended.numUpdatedRows) !== 1) throw new NotFoundError('open session', sessionId)
    return audited({ id: sessionId }, [await recordAudit(ctx, { action, after: { session_id: sessionId } })])
  })
}

/** Resolves a bearer token or cookie to the staff actor; revoked, expired or suspended means 401 on this very request. */
export async function authenticateStaff(db: Kysely<DB>, now: Date, token: string, client: ClientInfo): Promise<Actor> {
  const row = await db
    .selectFrom('sessions')
    .innerJoin('staff', 'staff.id', 'sessions.staff_id')
    .select(['sessions.id as session_id', 'sessions.expires_at', 'sessions.revoked_at', 'sessions.last_seen_at'])
    .select(['staff.id', 'staff.username', 'staff.display_name', 'staff.roles', 'staff.shop_id', 'staff.status'])
    .where('sessions.token_hash', '=', hashToken(token))
    .executeTakeFirst()
  if (!row || row.revoked_at || new Date(row.expires_at) <= now || row.status !== 'active') {
    throw new UnauthenticatedError('This session has ended: sign in again')
  }
  if (now.getTime() - new Date(row.last_seen_at).getTime() > 60_000) {
    await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', row.session_id).execute()
  }
  return staffActor(row, row.session_id, client)
}

export function listOwnSessions(db: Kysely<DB>, staffId: string) {
  return db
    .selectFrom('sessions')
    .select(['id', 'created_at', 'expires_at', 'revoked_at', 'last_seen_at', 'client'])
    .where('staff_id', '=', staffId)
    .orderBy('created_at', 'desc')
    .limit(50)
    .execute()
}
