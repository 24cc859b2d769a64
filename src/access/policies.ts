import type { Actor } from '../audit/actor.ts'
import { ForbiddenError, UnauthenticatedError } from '../domain/errors.ts'
import { hasPermission, type Permission } from '../domain/roles.ts'

export type StaffActor = Extract<Actor, { kind: 'staff' }>
export type MachineActor = Extract<Actor, { kind: 'machine' }>

/** Deny by default: a staff actor needs a role that grants the permission. */
export function can(actor: Actor | undefined, permission: Permission): boolean {
  return actor?.kind === 'staff' && hasPermission(actor.roles, permission)
}

export function authorize(actor: Actor | undefined, permission: Permission): StaffActor {
  if (!actor) throw new UnauthenticatedError()
  if (actor.kind !== 'staff' || !hasPermission(actor.roles, permission)) throw new ForbiddenError(permission)
  return actor
}

export function authorizeScope(actor: Actor | undefined, scope: string): MachineActor {
  if (!actor) throw new UnauthenticatedError()
  if (actor.kind !== 'machine' || !actor.scopes.includes(scope)) throw new ForbiddenError(`use scope ${scope}`)
  return actor
}
