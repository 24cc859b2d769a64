// Administration: shops, staff accounts and machine clients, each one audited transaction. Deny by default: only a
// staff member who may manage_staff, or numguard itself (the CLI's bootstrap of the first admin), creates them.
import { randomBytes, randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import type { Actor } from '../audit/actor.ts'
import { type Audited, audited, type CommandContext, recordAudit } from '../audit/record.ts'
import { ConflictError, DomainError, ForbiddenError, ValidationError } from '../domain/errors.ts'
import { ROLES, type Role, rolesConflict } from '../domain/roles.ts'
import { can } from './policies.ts'
import { hashPassword } from './secrets.ts'
import { presentStaff } from './sessions.ts'

/** The scopes a machine client may hold: the one list the commands, the API schemas and /openapi.json use. */
export const MACHINE_SCOPES = {
  'activity:ingest': 'send top-up, payment and usage events (charging system)',
  provisioning: 'consume and acknowledge bar / unbar / SIM-change events (HLR/HSS provisioning)',
  'partner:number-recycling': 'ask whether a number changed hands since a date (CAMARA number recycling)',
  'partner:sim-swap': 'ask whether a number changed SIM since a date (CAMARA SIM swap)',
} as const
export type MachineScope = keyof typeof MACHINE_SCOPES
export const MACHINE_SCOPE_NAMES = Object.keys(MACHINE_SCOPES) as MachineScope[]

// The database CHECKs the same patterns; checking first gives a 400 that names the field.
export const SHOP_ID_PATTERN = '^[a-z0-9-]{2,40}$'
export const ACCOUNT_ID_PATTERN = '^[a-z0-9._-]{2,64}$'
export const MIN_PASSWORD_LENGTH = 12
export const MAX_NAME_LENGTH = 200
/** Roles that work at a shop, so an account holding one needs a shop_id. */
const SHOP_ROLES: readonly Role[] = ['agent', 'supervisor']

function authorizeAdministration(actor: Actor): void {
  if (actor.kind !== 'system' && !can(actor, 'manage_staff')) throw new ForbiddenError('manage_staff')
}

function matching(field: string, value: string, pattern: string, what: string): string {
  if (typeof value !== 'string' || !new RegExp(pattern).test(value))
    throw new ValidationError(field, `${field}: ${what}`)
  return value
}

function requiredName(field: string, value: string): string {
  const name = typeof value === 'string' ? value.trim() : ''
  if (name === '' || name.length > MAX_NAME_LENGTH)
    throw new ValidationError(field, `${field}: give 1 to ${MAX_NAME_LENGTH} characters`)
  return name
}

function validRoles(roles: readonly string[]): Role[] {
  if (!Array.isArray(roles) || roles.length === 0) throw new ValidationError('roles', 'roles: give at least one role')
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r))
  if (unknown.length > 0)
    throw new ValidationError('roles', `roles: unknown ${unknown.join(', ')} (roles are ${ROLES.join(', ')})`)
  const unique = [...new Set(roles)] as Role[]
  if (rolesConflict(unique)) {
    throw new DomainError('roles_conflict', 400, 'An admin holds no role that acts on numbers: give admin alone', {
      field: 'roles',
      roles: unique,
    })
  }
  return unique
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
  roles: readonly string[]
  shop_id?: string | null
  password: string
}

const usernameTaken = (username: string) =>
  new ConflictError('username_taken', `The username ${username} is taken`, { field: 'username', username })

/** A staff account with an argon2id password hash; the audit record names the account, never the password. */
export async function createStaff(ctx: CommandContext, input: NewStaff) {
  authorizeAdministration(ctx.actor)
  const username = matching(
    'username',
    input.username,
    ACCOUNT_ID_PATTERN,
    'a username is 2 to 64 lowercase letters, digits, dots, dashes or underscores',
  )
  const displayName = requiredName('display_name', input.display_name)
  const roles = validRoles(input.roles)
  const shopId = input.shop_id ?? null
  if (!shopId && roles.some((r) => SHOP_ROLES.includes(r)))
    throw new ValidationError('shop_id', 'shop_id: agents and supervisors work at a shop; give its id')
  if (typeof input.password !== 'string' || input.password.length < MIN_PASSWORD_LENGTH)
    throw new ValidationError('password', `password: give at least ${MIN_PASSWORD_LENGTH} characters`)
  if (shopId && !(await ctx.tx.selectFrom('shops').select('id').where('id', '=', shopId).executeTakeFirst()))
    throw new ValidationError('shop_id', `shop_id: there is no shop ${shopId}; create it first`)
  if (await ctx.tx.selectFrom('staff').select('id').where('username', '=', username).executeTakeFirst())
    throw usernameTaken(username)
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
    })
    .onConflict((oc) => oc.column('username').doNothing())
    .returning('id')
    .executeTakeFirst()
  if (!inserted) throw usernameTaken(username)
  const staff = presentStaff({ id, username, display_name: displayName, roles, shop_id: shopId, status: 'active' })
  const { id: staffId, ...rest } = staff
  return audited(staff, [await recordAudit(ctx, { action: 'staff.created', after: { staff_id: staffId, ...rest } })])
}

/**
 * The first admin of a database (`numguard staff bootstrap-admin`, straight on the database): refused while any
 * active admin exists, so it cannot be used to mint a second admin past the API.
 */
export async function bootstrapAdmin(
  ctx: CommandContext,
  input: Omit<NewStaff, 'roles' | 'shop_id'>,
): Promise<Audited<ReturnType<typeof presentStaff>>> {
  if (ctx.actor.kind !== 'system') throw new ForbiddenError('bootstrap_admin')
  // Two bootstraps at once on PostgreSQL would both see no admin; the second waits here, then sees the first's.
  await sql`SELECT pg_advisory_xact_lock(hashtext('numguard.bootstrap-admin'))`.execute(ctx.tx)
  const admin = await ctx.tx
    .selectFrom('staff')
    .select('username')
    .where(sql<boolean>`'admin' = ANY (roles)`)
    .where('status', '=', 'active')
    .executeTakeFirst()
  if (admin) {
    throw new ConflictError(
      'admin_exists',
      `An active admin (${admin.username}) already exists: sign in as an admin and use \`numguard staff add\``,
      { username: admin.username },
    )
  }
  return createStaff(ctx, { ...input, roles: ['admin'], shop_id: null })
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
