// Roles and what each may do. Deny by default: an action not listed for a role is refused.
// The access issue adds four eyes, MFA and customer sessions on top of these coarse grants.

export const ROLES = ['agent', 'supervisor', 'inventory_manager', 'compliance_officer', 'auditor', 'admin'] as const
export type Role = (typeof ROLES)[number]

export const PERMISSIONS = {
  view_numbers: ['agent', 'supervisor', 'inventory_manager', 'compliance_officer', 'auditor'],
  view_subscribers: ['agent', 'supervisor', 'compliance_officer', 'auditor'],
  reserve_number: ['agent'],
  sell_number: ['agent'],
  import_ranges: ['inventory_manager'],
  import_sims: ['inventory_manager'],
  allocate_sims: ['inventory_manager'],
  view_alerts: ['supervisor', 'compliance_officer', 'auditor'],
  view_audit: ['compliance_officer', 'auditor'],
  view_staff: ['admin', 'compliance_officer', 'auditor'],
  manage_staff: ['admin'],
  // The demo clock is a demo tool for people who work numbers; read-only roles and the admin do not move it.
  advance_clock: ['agent', 'supervisor', 'inventory_manager', 'compliance_officer'],
} as const satisfies Record<string, readonly Role[]>

export type Permission = keyof typeof PERMISSIONS

export function hasPermission(roles: readonly string[], permission: Permission): boolean {
  const allowed: readonly string[] = PERMISSIONS[permission]
  return roles.some((r) => allowed.includes(r))
}

/** Roles that act on numbers; an admin may hold none of them (DOMAIN: admin holds no role that acts on numbers). */
export const NUMBER_ROLES: readonly Role[] = ['agent', 'supervisor', 'inventory_manager', 'compliance_officer']

export function rolesConflict(roles: readonly Role[]): boolean {
  return roles.includes('admin') && roles.some((r) => NUMBER_ROLES.includes(r))
}
