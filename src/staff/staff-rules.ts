// What makes a staff account well-formed: identifiers, names, roles and shops. Checked before the database (which
// CHECKs the same patterns) so a refusal is a 400 that names the field.
import type { Transaction } from 'kysely'
import type { DB } from '../db/types.ts'
import { DomainError, ValidationError } from '../domain/errors.ts'
import { ROLES, type Role, rolesConflict } from '../domain/roles.ts'

export const SHOP_ID_PATTERN = '^[a-z0-9-]{2,40}$'
export const ACCOUNT_ID_PATTERN = '^[a-z0-9._-]{2,64}$'
export const MIN_PASSWORD_LENGTH = 12
export const MAX_NAME_LENGTH = 200
/** Roles that work at a shop, so an account holding one needs a shop_id. */
export const SHOP_ROLES: readonly Role[] = ['agent', 'supervisor']

export function matching(field: string, value: string, pattern: string, what: string): string {
  if (typeof value !== 'string' || !new RegExp(pattern).test(value))
    throw new ValidationError(field, `${field}: ${what}`)
  return value
}

export function requiredName(field: string, value: string): string {
  const name = typeof value === 'string' ? value.trim() : ''
  if (name === '' || name.length > MAX_NAME_LENGTH)
    throw new ValidationError(field, `${field}: give 1 to ${MAX_NAME_LENGTH} characters`)
  return name
}

/** Known, distinct roles; an admin holds no role that acts on numbers. `allowEmpty`: an account created without. */
export function validRoles(roles: readonly string[] | undefined, allowEmpty = false): Role[] {
  if (!Array.isArray(roles) || (roles.length === 0 && !allowEmpty))
    throw new ValidationError('roles', 'roles: give at least one role')
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

/** Agents and supervisors work at a shop, which must exist. */
export async function checkShopForRoles(tx: Transaction<DB>, roles: readonly Role[], shopId: string | null) {
  if (!shopId && roles.some((r) => SHOP_ROLES.includes(r)))
    throw new ValidationError('shop_id', 'shop_id: agents and supervisors work at a shop; give its id')
  if (shopId) {
    matching('shop_id', shopId, SHOP_ID_PATTERN, 'a shop id is 2 to 40 lowercase letters, digits or dashes')
    if (!(await tx.selectFrom('shops').select('id').where('id', '=', shopId).executeTakeFirst()))
      throw new ValidationError('shop_id', `shop_id: there is no shop ${shopId}; create it first`)
  }
}
