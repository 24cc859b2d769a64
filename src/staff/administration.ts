// Administration: shops, staff accounts and machine clients, each one audited transaction. Deny by default: only a
// staff member who may manage_staff, or numguard itself (the CLI's bootstraps), creates them. Roles come by request.
import { randomBytes, randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { can, hashPassword, presentStaff } from '../access/index.ts'
import { type Audited, audited, type CommandContext, recordAudit } from '../audit/index.ts'
import type { Actor } from '../domain/actor.ts'
import { ConflictError, ForbiddenError, ValidationError } from '../domain/errors.ts'
import { requestRoleGrant } from './staff-requests.ts'
import {
  ACCOUNT_ID_PATTERN,
  checkShopForRoles,
  MIN_PASSWORD_LENGTH,
  matching,
  requiredName,
  SHOP_ID_PATTERN,
  validRoles,
} from './staff-rules.ts'

/** The scopes a machine client may hold: the one list the commands, the API schemas and /openapi.json use. */
export const MACHINE_SCOPES = {
  'activity:ingest': 'send top-up, payment and usage events (charging system)',
  provisioning: 'consume and acknowledge bar / unbar / SIM-change events (HLR/HSS provisioning)',
  // Partner APIs (src/partner): CAMARA's own scope names, so a partner's client library asks for what it knows.
  'number-recycling:check': 'ask whether a number changed hands since a date (CAMARA Number Recycling 0.2)',
  'sim-swap:check': 'ask whether a number changed SIM within the last hours (CAMARA SIM Swap 2.1)',
  'sim-swap:retrieve-date': 'ask when a number last changed SIM (CAMARA SIM Swap 2.1)',
  'sim-swap': 'both SIM Swap operations (CAMARA SIM Swap legacy scope)',
  'sim-swap-subscriptions:org.camaraproject.sim-swap-subscriptions.v0.swapped:create':
    'subscribe to a number’s SIM swaps (CAMARA SIM Swap Subscriptions 0.3)',
  'sim-swap-subscriptions:read': 'read its SIM swap subscriptions (CAMARA SIM Swap Subscriptions 0.3)',
  'sim-swap-subscriptions:delete': 'delete its SIM swap subscriptions (CAMARA SIM Swap Subscriptions 0.3)',
} as const
export type MachineScope = keyof typeof MACHINE_SCOPES
export const MACHINE_SCOPE_NAMES = Object.keys(MACHINE_SCOPES) as MachineScope[]

export { ACCOUNT_ID_PATTERN, MAX_NAME_LENGTH, MIN_PASSWORD_LENGTH, SHOP_ID_PATTERN } from './staff-rules.ts'

function authorizeAdministration(actor: Actor): void {
  if (actor.kind !== 'system' && !can(actor, 'manage_staff')) throw new ForbiddenError('manage_staff')
}

export interface NewShop {
  id: string
  name: string
}

export async function createShop(ctx: CommandContext, input: NewShop) {
  authorizeAdministration(ctx.actor)
  const id = matching('id', input.id, SHOP_ID_PATTERN, 'a shop id is 2 to 40 lowercase letters, digits or dashes')
  const name = requiredName('name', input.name)
  const inserted = await ctx.tx
    .insertInto('shops')
    .values({ id, name, created_at: ctx.now })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst()
  if (!inserted) throw new ConflictError('shop_exists', `There is already a shop ${id}`, { id })
  const shop = { id, name, created_at: ctx.now }
  return audited(shop, [await recordAudit(ctx, { action: 'shop.created', after: shop })])
}

export interface NewStaff {
  username: string
  display_name: string
  /** Asked for with the account: granted when a compliance officer's approved role_grant request executes. */
  roles?: readonly string[]
  shop_id?: string | null
  password: string
}

const usernameTaken = (username: string) =>
  new ConflictError('username_taken', `The username ${username} is taken`, { field: 'username', username })

export type CreatedStaff = ReturnType<typeof presentStaff> & {
  /** The role_grant request filed with the account, when roles were asked for. */
  role_grant_request: { id: string; status: string; assigned_to: string | null } | null
}

/**
 * A staff account with an argon2id password hash; the audit record names the account, never the password. An
 * admin creates it without roles: the roles asked for become a role_grant request a compliance officer approves,
 * filed in the same transaction. Only numguard itself (the bootstrap of the first admin or compliance officer)
 * creates an account with its roles.
 */
export async function createStaff(ctx: CommandContext, input: NewStaff): Promise<Audited<CreatedStaff>> {
  authorizeAdministration(ctx.actor)
  const username = matching(
    'username',
    input.username,
    ACCOUNT_ID_PATTERN,
    'a username is 2 to 64 lowercase letters, digits, dots, dashes or underscores',
  )
  const displayName = requiredName('display_name', input.display_name)
  const asked = validRoles(input.roles ?? [], true)
  const shopId = input.shop_id ?? null
  if (typeof input.password !== 'string' || input.password.length < MIN_PASSWORD_LENGTH)
    throw new ValidationError('password', `password: give at least ${MIN_PASSWORD_LENGTH} characters`)
  await checkShopForRoles(ctx.tx, asked, shopId)
  if (await ctx.tx.selectFrom('staff').select('id').where('username', '=', username).executeTakeFirst())
    throw usernameTaken(username)
  const direct = ctx.actor.kind === 'system'
  const roles = direct ? asked : []
  // argon2 takes tens of milliseconds inside the transaction: acceptable for an account created by hand.
  const passwordHash = await hashPassword(input.password)
  const id = randomUUID()
  const inserted = await ctx.tx
    .insertInto('staff')
    .values({
      id,
      username,
      display_name: displayName,
      password_hash: passwordHash,
      roles,
      shop_id: shopId,
      status: 'active',
      created_at: ctx.now,
      updated_at: ctx.now,
      // The bootstraps (the only direct path) are the installation's root of trust: no 7-day wait, or a fresh
      // installation could grant no role for a week. Every later role comes by an approved request, and cools.
      roles_granted_at: null,
    })
    .onConflict((oc) => oc.column('username').doNothing())
    .returning('id')
    .executeTakeFirst()
  if (!inserted) throw usernameTaken(username)
  const staff = presentStaff({ id, username, display_name: displayName, roles, shop_id: shopId, status: 'active' })
  const { id: staffId, mfa_enrolled: _, ...rest } = staff
  const created = await recordAudit(ctx, {
    action: 'staff.created',
    after: { staff_id: staffId, ...rest },
    data: direct ? undefined : { roles_requested: asked },
  })
  if (direct || asked.length === 0) return audited({ ...staff, role_grant_request: null }, [created])
  const grant = await requestRoleGrant(ctx, {
    staffId: id,
    roles: asked,
    shopId,
    reason: `roles asked for with the new account ${username}`,
  })
  const request = { id: grant.result.id, status: grant.result.status, assigned_to: grant.result.assigned_to }
  return audited({ ...staff, role_grant_request: request }, [created, ...grant.receipts])
}

type BootstrapRole = 'admin' | 'compliance_officer'

/**
 * The first admin of a database (`numguard staff bootstrap-admin`), and the first compliance officer (`numguard
 * staff bootstrap-compliance`), straight on the database: each refused while an active staff member of that role
 * exists, so neither can mint a second one past the API and its approvals. A role grant needs a compliance
 * officer's approval, so an installation needs its first one this way.
 */
export async function bootstrapStaff(
  ctx: CommandContext,
  role: BootstrapRole,
  input: Omit<NewStaff, 'roles' | 'shop_id'>,
): Promise<Audited<CreatedStaff>> {
  if (ctx.actor.kind !== 'system') throw new ForbiddenError(`bootstrap_${role}`)
  // Two bootstraps at once on PostgreSQL would both see no holder; the second waits here, then sees the first's.
  await sql`SELECT pg_advisory_xact_lock(hashtext(${`numguard.bootstrap-${role}`}))`.execute(ctx.tx)
  const holder = await ctx.tx
    .selectFrom('staff')
    .select('username')
    .where(sql<boolean>`${role} = ANY (roles)`)
    .where('status', '=', 'active')
    .executeTakeFirst()
  if (holder) {
    const what = role === 'admin' ? 'admin' : 'compliance officer'
    throw new ConflictError(
      role === 'admin' ? 'admin_exists' : 'compliance_officer_exists',
      `An active ${what} (${holder.username}) already exists: sign in as an admin and use \`numguard staff add\``,
      { username: holder.username },
    )
  }
  return createStaff(ctx, { ...input, roles: [role], shop_id: null })
}

export function bootstrapAdmin(ctx: CommandContext, input: Omit<NewStaff, 'roles' | 'shop_id'>) {
  return bootstrapStaff(ctx, 'admin', input)
}

export interface NewMachineClient {
  id: string
  name: string
  scopes: readonly string[]
}

const clientExists = (id: string) =>
  new ConflictError('client_exists', `There is already a machine client ${id}`, { field: 'id', id })

/** A machine client with a fresh secret: returned once in the result, stored only as an argon2 hash, never audited. */
export async function createMachineClient(ctx: CommandContext, input: NewMachineClient) {
  authorizeAdministration(ctx.actor)
  const id = matching('id', input.id, ACCOUNT_ID_PATTERN, 'a client id is 2 to 64 lowercase letters, digits, . _ or -')
  const name = requiredName('name', input.name)
  if (!Array.isArray(input.scopes) || input.scopes.length === 0)
    throw new ValidationError('scopes', 'scopes: give at least one scope')
  const unknown = input.scopes.filter((s) => !Object.hasOwn(MACHINE_SCOPES, s))
  if (unknown.length > 0)
    throw new ValidationError(
      'scopes',
      `scopes: unknown ${unknown.join(', ')} (scopes are ${MACHINE_SCOPE_NAMES.join(', ')})`,
    )
  const scopes = [...new Set(input.scopes)]
  if (await ctx.tx.selectFrom('machine_clients').select('id').where('id', '=', id).executeTakeFirst())
    throw clientExists(id)
  const secret = `ngc_${randomBytes(32).toString('base64url')}`
  const inserted = await ctx.tx
    .insertInto('machine_clients')
    .values({ id, name, secret_hash: await hashPassword(secret), scopes, created_at: ctx.now })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst()
  if (!inserted) throw clientExists(id)
  const client = { id, name, scopes, status: 'active' as const, created_at: ctx.now }
  const receipt = await recordAudit(ctx, { action: 'machine_client.created', after: client })
  return audited({ ...client, client_secret: secret }, [receipt])
}
