// Which roles may use which part of the console. Mirrors src/domain/roles.ts (PERMISSIONS);
// the server enforces the real rules, this only hides what a role cannot use.
const CAN = {
  numbers: ['agent', 'supervisor', 'inventory_manager', 'compliance_officer', 'auditor'],
  lookup: ['agent', 'supervisor', 'compliance_officer', 'auditor'],
  alerts: ['supervisor', 'compliance_officer', 'auditor'],
  inventory: ['inventory_manager'],
  sell: ['agent'],
  /** advance_clock: the demo clock is moved by staff who work on numbers, not by auditors or admins. */
  clock: ['agent', 'supervisor', 'inventory_manager', 'compliance_officer'],
  /** view_staff: the Administration page, read-only unless the role may also manage staff. */
  staff: ['admin', 'compliance_officer', 'auditor'],
  /** manage_staff: create staff, shops and machine clients. */
  manageStaff: ['admin'],
} as const

export type Area = keyof typeof CAN

export function can(roles: readonly string[] | undefined, area: Area): boolean {
  if (!roles) return false
  const allowed: readonly string[] = CAN[area]
  return roles.some((r) => allowed.includes(r))
}
