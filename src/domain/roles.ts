// Roles and what each may do. Deny by default: an action not listed for a role is refused.
// The access issue adds four eyes, MFA and customer sessions on top of these coarse grants.

export const ROLES = ['agent', 'supervisor', 'inventory_manager', 'compliance_officer', 'auditor', 'admin'] as const
export type Role = (typeof ROLES)[number]

export const PERMISSIONS = {
  view_numbers: ['agent', 'supervisor', 'inventory_manager', 'compliance_officer', 'auditor'],
  view_subscribers: ['agent', 'supervisor', 'compliance_officer', 'auditor'],
  reserve_number: ['agent'],
  // Customer sessions (invariant 10): an agent authenticates the customer before seeing their details. Locks on an
  // agent × number are listed for those who watch alerts and released by a supervisor (of another shop) or compliance.
  open_customer_sessions: ['agent'],
  view_customer_auth_locks: ['supervisor', 'compliance_officer', 'auditor'],
  release_customer_auth_locks: ['supervisor', 'compliance_officer'],
  sell_number: ['agent'],
  import_ranges: ['inventory_manager'],
  import_sims: ['inventory_manager'],
  allocate_sims: ['inventory_manager'],
  view_alerts: ['supervisor', 'compliance_officer', 'auditor'],
  view_audit: ['compliance_officer', 'auditor'],
  // Personal data committed by audit leaves: revealed (with its salt) and erased after retention by compliance only.
  manage_personal_data: ['compliance_officer'],
  view_staff: ['admin', 'compliance_officer', 'auditor'],
  // Accounts, shops and machine clients; role grants and credential resets are requests a compliance officer approves.
  manage_staff: ['admin'],
  // Staff suspension takes effect at once (DOMAIN: compliance officers suspend staff).
  suspend_staff: ['compliance_officer'],
  // Requests (four eyes): who may ask is refined per kind by src/domain/requests.ts; deciding needs the kind's
  // approver role and the system's assignment on top.
  view_requests: ['agent', 'supervisor', 'inventory_manager', 'compliance_officer', 'auditor', 'admin'],
  create_requests: ['agent', 'inventory_manager', 'compliance_officer', 'admin'],
  decide_requests: ['supervisor', 'compliance_officer'],
  request_reclaim: ['agent'],
  // Transfers, SIM swaps, terminations, KYC changes and the holder's SIM-swap lock in a shop (src/changes): agents;
  // legal-order withdrawals: compliance officers. Consent codes are never typed by anyone: only an SMS reply counts.
  request_changes: ['agent'],
  request_legal_orders: ['compliance_officer'],
  // The permanent-disconnection register: read by compliance and auditors, written (a monthly file) by compliance.
  view_reports: ['compliance_officer', 'auditor'],
  // Who asked partner (CAMARA) questions about which number, and what they were told (src/partner).
  view_partner_access: ['compliance_officer'],
  generate_reports: ['compliance_officer'],
  // Demo only: what a holder's phone received from the embedded SMSC, and replying from it.
  demo_phone: ['agent', 'supervisor', 'inventory_manager', 'compliance_officer', 'auditor'],
  // Charging feed health and batches; the network provisioning outbox. Retiring a source stops it counting for
  // feed health, which gates withdrawals: a compliance decision.
  view_activity: ['inventory_manager', 'compliance_officer', 'auditor'],
  retire_activity_source: ['compliance_officer'],
  view_provisioning: ['inventory_manager', 'compliance_officer', 'auditor'],
  requeue_provisioning: ['inventory_manager', 'compliance_officer'],
  // Recycling policy versions: readable by whoever works numbers or audits; a change is a policy_change request.
  view_policies: ['agent', 'supervisor', 'inventory_manager', 'compliance_officer', 'auditor'],
  // Which numbers stand where in their inactivity cycle (a holder's last top-up, warnings, withdrawal date) is the
  // holders' account (invariant 10): the recycling overview lists them to these roles; agents get the counts only.
  view_recycling_lists: ['supervisor', 'inventory_manager', 'compliance_officer', 'auditor'],
  propose_policy: ['inventory_manager'],
  // Where DOMAIN says a person decides a waiting withdrawal: the usage veto (keep the holder, or withdraw despite
  // usage — never despite missing evidence or a silent feed) is compliance's; a replacement for a warning that
  // ended failed or unknown may also be sent by a supervisor.
  decide_usage_veto: ['compliance_officer'],
  replace_warnings: ['supervisor', 'compliance_officer'],
  // Cases (issue 11): agents in a shop or the call centre open complaints; compliance officers run cases, place
  // holds, and file restorations and hold releases (requests another compliance officer approves).
  open_cases: ['agent', 'compliance_officer'],
  view_cases: ['compliance_officer', 'auditor'],
  manage_cases: ['compliance_officer'],
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

/** Roles whose sessions need TOTP MFA (DOMAIN: supervisors, compliance officers and admins); others may enrol. */
export const MFA_ROLES: readonly Role[] = ['supervisor', 'compliance_officer', 'admin']

export function mfaRequiredFor(roles: readonly string[]): boolean {
  return roles.some((r) => (MFA_ROLES as readonly string[]).includes(r))
}

/** DOMAIN: new or reset approvers cannot approve for 7 days (counted from the role grant or credential reset). */
export const APPROVER_COOLING_DAYS = 7

export interface GrantTimes {
  roles_granted_at?: Date | string | null
  credentials_reset_at?: Date | string | null
}

/** The latest role grant or credential reset of a staff member, or null (none since this release, or seeded). */
export function lastGrantOrReset(staff: GrantTimes): Date | null {
  const times = [staff.roles_granted_at, staff.credentials_reset_at]
    .filter((t): t is Date | string => t !== null && t !== undefined)
    .map((t) => new Date(t).getTime())
  return times.length === 0 ? null : new Date(Math.max(...times))
}

/** Until when a staff member may not decide any request, or null when they may (never granted or reset since). */
export function approverCoolingUntil(staff: GrantTimes): Date | null {
  const since = lastGrantOrReset(staff)
  return since && new Date(since.getTime() + APPROVER_COOLING_DAYS * 86_400_000)
}
