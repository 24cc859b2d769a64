// Which roles may use which part of the console. Mirrors src/domain/roles.ts (PERMISSIONS);
// the server enforces the real rules, this only hides what a role cannot use.
const CAN = {
  numbers: ['agent', 'supervisor', 'inventory_manager', 'compliance_officer', 'auditor'],
  lookup: ['agent', 'supervisor', 'compliance_officer', 'auditor'],
  alerts: ['supervisor', 'compliance_officer', 'auditor'],
  inventory: ['inventory_manager'],
  sell: ['agent'],
  /** open_customer_sessions: authenticate a customer to see their account (invariant 10). */
  customerSession: ['agent'],
  /** request_changes: transfers, SIM swaps, terminations, KYC changes, the swap lock (inside a customer session). */
  requestChanges: ['agent'],
  /** request_legal_orders: a legal-order withdrawal, approved by another compliance officer. */
  legalOrders: ['compliance_officer'],
  /** advance_clock: the demo clock is moved by staff who work on numbers, not by auditors or admins. */
  clock: ['agent', 'supervisor', 'inventory_manager', 'compliance_officer'],
  /** view_staff: the Administration page, read-only unless the role may also manage staff. */
  staff: ['admin', 'compliance_officer', 'auditor'],
  /** manage_staff: create staff, shops and machine clients; ask for role grants and credential resets. */
  manageStaff: ['admin'],
  /** suspend_staff: a compliance officer suspends a staff member at once. */
  suspendStaff: ['compliance_officer'],
  /** view_requests: requests and their approvals (deciding needs the kind's approver role and the assignment). */
  requests: ['agent', 'supervisor', 'inventory_manager', 'compliance_officer', 'auditor', 'admin'],
  /** view_numbers: the recycling overview. */
  recycling: ['agent', 'supervisor', 'inventory_manager', 'compliance_officer', 'auditor'],
  /** view_audit: the audit log's checkpoint and timelines with their proofs. */
  audit: ['compliance_officer', 'auditor'],
  /** view_reports: the monthly report, the disconnection register and its monthly files. */
  reports: ['compliance_officer', 'auditor'],
  /** view_partner_access: the partner access log (CAMARA questions and answers). */
  partnerAccess: ['compliance_officer'],
  /** open_cases: open a complaint from a number's page (in a shop or the call centre). */
  openCases: ['agent', 'compliance_officer'],
  /** view_cases: the cases list and each case's page (its file, analysis and clocks). */
  cases: ['compliance_officer', 'auditor'],
  /** manage_cases: take, confirm, hold, link, restore, compensate and conclude a case. */
  manageCases: ['compliance_officer'],
  /** demo_phone: a holder's phone in demo mode (the embedded SMSC's inbox). */
  phone: ['agent', 'supervisor', 'inventory_manager', 'compliance_officer', 'auditor'],
} as const

export type Area = keyof typeof CAN

export function can(roles: readonly string[] | undefined, area: Area): boolean {
  if (!roles) return false
  const allowed: readonly string[] = CAN[area]
  return roles.some((r) => allowed.includes(r))
}
