import type { Actor } from '../domain/actor.ts'
import { ForbiddenError, type Severity, UnauthenticatedError } from '../domain/errors.ts'
import { hasPermission, type Permission } from '../domain/roles.ts'

export type StaffActor = Extract<Actor, { kind: 'staff' }>
export type MachineActor = Extract<Actor, { kind: 'machine' }>

/** Deny by default: a staff actor needs a role that grants the permission. */
export function can(actor: Actor | undefined, permission: Permission): boolean {
  return actor?.kind === 'staff' && hasPermission(actor.roles, permission)
}

/**
 * How much a refused permission says about the caller (invariant 8): reaching for four eyes, staff, a holder's
 * number or personal data without the role is a risk; other changes a warning; a read outside one's role is info.
 */
const RISKY: readonly Permission[] = [
  'decide_requests',
  'manage_staff',
  'suspend_staff',
  'request_changes',
  'request_legal_orders',
  'request_reclaim',
  'sell_number',
  'manage_personal_data',
  'release_customer_auth_locks',
  'decide_usage_veto',
  'retire_activity_source',
]

export function refusalSeverity(permission: Permission): Severity {
  if (RISKY.includes(permission)) return 'risk'
  return permission.startsWith('view_') ? 'info' : 'warning'
}

export function authorize(actor: Actor | undefined, permission: Permission): StaffActor {
  if (!actor) throw new UnauthenticatedError()
  if (actor.kind !== 'staff' || !hasPermission(actor.roles, permission)) {
    const roles = actor.kind === 'staff' ? actor.roles : []
    throw new ForbiddenError(permission, undefined, {
      severity: refusalSeverity(permission),
      attempt: { permission, roles },
    })
  }
  return actor
}

export function authorizeScope(actor: Actor | undefined, scope: string): MachineActor {
  if (!actor) throw new UnauthenticatedError()
  if (actor.kind !== 'machine' || !actor.scopes.includes(scope)) {
    const scopes = actor.kind === 'machine' ? actor.scopes : []
    throw new ForbiddenError(`use scope ${scope}`, undefined, { severity: 'warning', attempt: { scope, scopes } })
  }
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
