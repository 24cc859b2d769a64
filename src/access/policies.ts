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

/** The staff member an administrative action is about. */
export interface StaffTarget {
  id: string
  status: string
}

const isSelf = (actor: Actor | undefined, target: StaffTarget) => actor?.kind === 'staff' && actor.staffId === target.id

/** A compliance officer suspends another active staff member (DOMAIN: staff suspension). */
export function canSuspend(actor: Actor | undefined, target: StaffTarget): boolean {
  return can(actor, 'suspend_staff') && target.status === 'active' && !isSelf(actor, target)
}

/** An admin asks for another active staff member's role grant or credential reset; a compliance officer approves. */
export function canRequestStaffChange(actor: Actor | undefined, target: StaffTarget): boolean {
  return can(actor, 'manage_staff') && target.status === 'active' && !isSelf(actor, target)
}

/** What the caller may do about a staff account: the console shows only these buttons; the server checks again. */
export function staffAbilities(actor: Actor | undefined, target: StaffTarget) {
  const change = canRequestStaffChange(actor, target)
  return { suspend: canSuspend(actor, target), request_role_grant: change, request_credential_reset: change }
}
