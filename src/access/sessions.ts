import { randomUUID } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import { raiseAlert } from '../alerts/commands.ts'
import type { Actor, ClientInfo } from '../audit/actor.ts'
import { type AuditReceipt, audited, recordAudit } from '../audit/record.ts'
import { type CommandDeps, runCommand } from '../audit/run-command.ts'
import type { DB } from '../db/types.ts'
import { DomainError, NotFoundError, UnauthenticatedError } from '../domain/errors.ts'
import type { Role } from '../domain/roles.ts'
import type { StaffActor } from './policies.ts'
import { hashToken, newToken, verifyPassword } from './secrets.ts'

export interface SignInInput {
  username: string
  password: string
  client: ClientInfo
  ttlHours: number
}

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

export const SIGN_IN_ATTEMPTS = 5
export const SIGN_IN_LOCK_MINUTES = 15

export async function signIn(deps: CommandDeps, input: SignInInput) {
  const staff = await deps.db.selectFrom('staff').selectAll().where('username', '=', input.username).executeTakeFirst()
  const passwordOk = await verifyPassword(staff?.password_hash ?? null, input.password)
  const now = deps.clock.now()
  const locked = staff?.locked_until != null && new Date(staff.locked_until) > now
  if (!staff || !passwordOk || staff.status !== 'active' || locked) {
    const reason = !staff ? 'unknown_user' : locked ? 'locked' : !passwordOk ? 'wrong_password' : 'suspended'
    const lockedUntil = await recordFailedSignIn(deps, input, staff?.id ?? null, reason)
    if (lockedUntil) {
      const retryAfter = Math.ceil((lockedUntil.getTime() - now.getTime()) / 1000)
      throw new DomainError(
        'sign_in_locked',
        429,
        `Too many failed sign-ins: try again in ${Math.ceil(retryAfter / 60)} minutes`,
        {
          retry_after_seconds: retryAfter,
        },
      )
    }
    throw new UnauthenticatedError('Wrong username or password, or the account is suspended')
  }
  const token = newToken('ngs')
  const sessionId = randomUUID()
  return runCommand(deps, staffActor(staff, sessionId, input.client), async (ctx) => {
    const expiresAt = new Date(ctx.now.getTime() + input.ttlHours * 3_600_000)
    if (staff.failed_sign_ins > 0 || staff.locked_until) {
      await ctx.tx
        .updateTable('staff')
        .set({ failed_sign_ins: 0, locked_until: null })
        .where('id', '=', staff.id)
        .execute()
    }
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
    return audited({ token, session: { id: sessionId, expires_at: expiresAt }, staff: presentStaff(staff) }, [receipt])
  })
}

/**
 * Records a failed sign-in; a wrong password for a known account counts towards its lock, and the attempt that
 * locks it raises an alert naming the account. Returns when the account is locked until, if it is.
 */
async function recordFailedSignIn(deps: CommandDeps, input: SignInInput, staffId: string | null, reason: string) {
  return runCommand(deps, { kind: 'system', component: 'sign-in' }, async (ctx) => {
    let lockedUntil: Date | null = null
    const receipts: [AuditReceipt, ...AuditReceipt[]] = [
      await recordAudit(ctx, {
        action: 'session.sign_in_failed',
        data: { username: input.username, reason, ip: input.client.ip ?? null },
      }),
    ]
    if (staffId && reason === 'wrong_password') {
      const counted = await ctx.tx
        .updateTable('staff')
        .set((eb) => ({
          failed_sign_ins: eb('failed_sign_ins', '+', 1),
          locked_until: sql<Date | null>`CASE WHEN failed_sign_ins + 1 >= ${SIGN_IN_ATTEMPTS}
            THEN ${new Date(ctx.now.getTime() + SIGN_IN_LOCK_MINUTES * 60_000)}::timestamptz END`,
        }))
        .where('id', '=', staffId)
        .returning(['failed_sign_ins', 'locked_until'])
        .executeTakeFirstOrThrow()
      if (counted.locked_until) {
        lockedUntil = new Date(counted.locked_until)
        const alert = await raiseAlert(ctx, {
          kind: 'staff_sign_in_locked',
          severity: 'warning',
          staffId,
          attempt: { username: input.username, failed_sign_ins: counted.failed_sign_ins, ip: input.client.ip ?? null },
        })
        receipts.push(alert.receipt)
      }
    } else if (staffId && reason === 'locked') {
      const row = await ctx.tx
        .selectFrom('staff')
        .select('locked_until')
        .where('id', '=', staffId)
        .executeTakeFirstOrThrow()
      lockedUntil = row.locked_until ? new Date(row.locked_until) : null
    }
    return audited(lockedUntil, receipts)
  })
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
