// Role grants and credential resets are requests (DOMAIN: asked by an admin, approved by a compliance officer): the
// admin never changes a role or a credential alone. They run through the request workflow (src/requests/); this
// file files them and registers what executing each does. Both start the 7-day cooling of the staff member as an
// approver (staff.roles_granted_at, staff.credentials_reset_at; src/requests/policies.ts reads them).
import { sql } from 'kysely'
import { can } from '../access/index.ts'
import { type Audited, type CommandContext, recordAudit } from '../audit/index.ts'
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../domain/errors.ts'
import type { RequestKind } from '../domain/requests.ts'
import { approverCoolingUntil, type Role } from '../domain/roles.ts'
import {
  createRequest,
  type ExecutionResult,
  RequestNotExecutableError,
  type RequestRecord,
  registerRequestExecutor,
} from '../requests/index.ts'
import { checkShopForRoles, validRoles } from './staff-rules.ts'

export interface RoleGrantPayload {
  staff_id: string
  username: string
  /** The roles the account will hold: the whole set, not a difference. */
  roles: Role[]
  shop_id: string | null
  reason: string
}

export interface CredentialResetPayload {
  staff_id: string
  username: string
  /** A new password (handed over once, to the admin who executes) and the TOTP enrolment cleared. */
  reset: ['password', 'mfa']
  reason: string
}

function requireAdmin(ctx: CommandContext, action: string) {
  if (ctx.actor.kind !== 'staff' || !can(ctx.actor, 'manage_staff')) throw new ForbiddenError(action)
  return ctx.actor
}

async function targetStaff(ctx: CommandContext, staffId: string) {
  const staff = await ctx.tx.selectFrom('staff').selectAll().where('id', '=', staffId).executeTakeFirst()
  if (!staff) throw new NotFoundError('staff member', staffId)
  if (staff.status !== 'active')
    throw new ConflictError('staff_not_active', `${staff.username} is suspended: nothing is granted or reset`, {
      staff_id: staffId,
    })
  return staff
}

/** One open request of a kind per staff member, as one per number for the number kinds. */
async function refuseDuplicate(ctx: CommandContext, kind: RequestKind, staffId: string) {
  const open = await ctx.tx
    .selectFrom('requests')
    .select('id')
    .where('kind', '=', kind)
    .where('status', 'in', ['pending', 'approved'])
    .where('expires_at', '>', ctx.now)
    .where(sql<string>`payload->>'staff_id'`, '=', staffId)
    .executeTakeFirst()
  if (open) {
    throw new ConflictError('duplicate_request', `This staff member already has an open ${kind} request (${open.id})`, {
      kind,
      staff_id: staffId,
      request_id: open.id,
    })
  }
}

function refuseOwn(actor: { staffId: string; username: string }, staffId: string, action: string) {
  if (actor.staffId !== staffId) return
  throw new ForbiddenError(action, 'Nobody asks for their own roles or credentials').withAlert({
    kind: 'own_access_request',
    severity: 'risk',
    attempt: { action, staff_id: actor.staffId, username: actor.username },
  })
}

export interface RoleGrantInput {
  staffId: string
  roles: readonly string[]
  /** Omitted: the account keeps its shop. */
  shopId?: string | null
  reason?: string
}

/** An admin asks for a staff member's roles (and shop) to become `roles`; a compliance officer approves. */
export async function requestRoleGrant(ctx: CommandContext, input: RoleGrantInput): Promise<Audited<RequestRecord>> {
  const admin = requireAdmin(ctx, 'request_role_grant')
  refuseOwn(admin, input.staffId, 'request_role_grant')
  const staff = await targetStaff(ctx, input.staffId)
  const roles = validRoles(input.roles)
  const shopId = input.shopId === undefined ? staff.shop_id : input.shopId
  await checkShopForRoles(ctx.tx, roles, shopId)
  const same = roles.length === staff.roles.length && roles.every((r) => staff.roles.includes(r))
  if (same && shopId === staff.shop_id)
    throw new ValidationError('roles', `roles: ${staff.username} holds exactly these roles already`)
  await refuseDuplicate(ctx, 'role_grant', staff.id)
  const payload: RoleGrantPayload = {
    staff_id: staff.id,
    username: staff.username,
    roles,
    shop_id: shopId,
    reason: input.reason?.trim() || 'role grant',
  }
  return createRequest(ctx, { kind: 'role_grant', msisdn: null, payload: { ...payload } })
}

/** An admin asks for a staff member's password to be replaced and MFA cleared; a compliance officer approves. */
export async function requestCredentialReset(
  ctx: CommandContext,
  input: { staffId: string; reason: string },
): Promise<Audited<RequestRecord>> {
  const admin = requireAdmin(ctx, 'request_credential_reset')
  refuseOwn(admin, input.staffId, 'request_credential_reset')
  const staff = await targetStaff(ctx, input.staffId)
  await refuseDuplicate(ctx, 'credential_reset', staff.id)
  const payload: CredentialResetPayload = {
    staff_id: staff.id,
    username: staff.username,
    reset: ['password', 'mfa'],
    reason: input.reason.trim(),
  }
  return createRequest(ctx, { kind: 'credential_reset', msisdn: null, payload: { ...payload } })
}

/** Runs inside executeRequest's transaction, after the request row became 'executed'. */
async function executeRoleGrant(ctx: CommandContext, request: RequestRecord): Promise<ExecutionResult> {
  const p = request.payload as unknown as RoleGrantPayload
  const staff = await ctx.tx.selectFrom('staff').selectAll().where('id', '=', p.staff_id).forUpdate().executeTakeFirst()
  if (staff?.status !== 'active') {
    throw new RequestNotExecutableError(
      'staff_not_active',
      'The staff member is suspended or gone: nothing is granted',
      {
        request_id: request.id,
        staff_id: p.staff_id,
      },
    )
  }
  const roles = validRoles(p.roles)
  await checkShopForRoles(ctx.tx, roles, p.shop_id)
  // Only a grant that adds a role starts the cooling; taking roles away makes nobody a new approver.
  const adds = roles.some((r) => !staff.roles.includes(r))
  const grantedAt = adds ? ctx.now : staff.roles_granted_at
  await ctx.tx
    .updateTable('staff')
    .set({ roles, shop_id: p.shop_id, roles_granted_at: grantedAt, updated_at: ctx.now })
    .where('id', '=', staff.id)
    .where('status', '=', 'active')
    .execute()
  const coolingUntil = approverCoolingUntil({
    roles_granted_at: grantedAt,
    credentials_reset_at: staff.credentials_reset_at,
  })
  const receipt = await recordAudit(ctx, {
    action: 'staff.roles_granted',
    basis: request.id,
    before: { roles: staff.roles, shop_id: staff.shop_id },
    after: { staff_id: staff.id, roles, shop_id: p.shop_id },
    data: { request_id: request.id, staff_id: staff.id, cooling_until: coolingUntil },
  })
  return {
    outcome: { staff_id: staff.id, roles, shop_id: p.shop_id, approver_cooling_until: coolingUntil },
    receipts: [receipt],
  }
}

// The new password's hash, set by the route that executes a reset (it shows the password once) for the executor
// running in that same command; a credential reset executed any other way would lose the password, so it refuses.
const newPasswordHashes = new WeakMap<CommandContext, string>()

export function provideNewPasswordHash(ctx: CommandContext, passwordHash: string): void {
  newPasswordHashes.set(ctx, passwordHash)
}

async function executeCredentialReset(ctx: CommandContext, request: RequestRecord): Promise<ExecutionResult> {
  const p = request.payload as unknown as CredentialResetPayload
  const passwordHash = newPasswordHashes.get(ctx)
  if (!passwordHash) {
    throw new RequestNotExecutableError(
      'execute_with_staff_route',
      `A credential reset is executed with POST /api/v1/staff/credential-resets/${request.id}/execute, which shows the new password once`,
      { request_id: request.id },
    )
  }
  const moved = await ctx.tx
    .updateTable('staff')
    .set({
      password_hash: passwordHash,
      mfa_secret: null,
      mfa_pending_secret: null,
      mfa_enrolled_at: null,
      mfa_last_step: null,
      credentials_reset_at: ctx.now,
      updated_at: ctx.now,
    })
    .where('id', '=', p.staff_id)
    .where('status', '=', 'active')
    .executeTakeFirst()
  if (Number(moved.numUpdatedRows) !== 1) {
    throw new RequestNotExecutableError('staff_not_active', 'The staff member is suspended or gone: nothing is reset', {
      request_id: request.id,
      staff_id: p.staff_id,
    })
  }
  const ended = await ctx.tx
    .updateTable('sessions')
    .set({ revoked_at: ctx.now })
    .where('staff_id', '=', p.staff_id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  const coolingUntil = approverCoolingUntil({ credentials_reset_at: ctx.now })
  const receipt = await recordAudit(ctx, {
    action: 'staff.credentials_reset',
    basis: request.id,
    data: {
      request_id: request.id,
      staff_id: p.staff_id,
      reset: p.reset,
      sessions_ended: Number(ended.numUpdatedRows),
      cooling_until: coolingUntil,
    },
  })
  return {
    outcome: { staff_id: p.staff_id, reset: p.reset, approver_cooling_until: coolingUntil },
    receipts: [receipt],
  }
}

export function registerStaffRequestExecutors(): void {
  registerRequestExecutor('role_grant', {
    execute: executeRoleGrant,
    dedicatedRoute: 'POST /api/v1/staff/{id}/role-grants',
  })
  registerRequestExecutor('credential_reset', {
    execute: executeCredentialReset,
    dedicatedRoute: 'POST /api/v1/staff/{id}/credential-resets',
  })
}
