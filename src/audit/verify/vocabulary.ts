// What the verifier knows of numguard's rules, copied here so it depends on nothing but Node and the tlog core.
// vocabulary.test.ts checks these against the database's request_kind_rules and src/domain so they cannot drift.

export const LEAF_VERSION = 'numguard-leaf/1'
export const BUNDLE_FORMAT = 'numguard-audit-bundle/1'

export interface KindRule {
  /** The role an approver must hold; null: the kind needs no approval (the holder's consent decides). */
  approverRole: string | null
  /** The approver must work at another shop than the requester. */
  otherShop: boolean
  /** The holder's consent (an MO reply) must be recorded before execution. */
  needsConsent: boolean
}

/** docs/DOMAIN.md's request table, as migration 005's request_kind_rules holds it. */
export const REQUEST_KINDS: Readonly<Record<string, KindRule>> = {
  transfer: { approverRole: 'supervisor', otherShop: true, needsConsent: true },
  sim_swap: { approverRole: null, otherShop: false, needsConsent: true },
  sim_swap_lost: { approverRole: 'supervisor', otherShop: true, needsConsent: false },
  termination: { approverRole: null, otherShop: false, needsConsent: true },
  reclaim: { approverRole: 'supervisor', otherShop: true, needsConsent: false },
  kyc_change: { approverRole: 'supervisor', otherShop: true, needsConsent: true },
  legal_order: { approverRole: 'compliance_officer', otherShop: false, needsConsent: false },
  restoration: { approverRole: 'compliance_officer', otherShop: false, needsConsent: false },
  hold_release: { approverRole: 'compliance_officer', otherShop: false, needsConsent: false },
  policy_change: { approverRole: 'compliance_officer', otherShop: false, needsConsent: false },
  retirement: { approverRole: 'compliance_officer', otherShop: false, needsConsent: false },
  migration_batch: { approverRole: 'compliance_officer', otherShop: false, needsConsent: false },
  role_grant: { approverRole: 'compliance_officer', otherShop: false, needsConsent: false },
  credential_reset: { approverRole: 'compliance_officer', otherShop: false, needsConsent: false },
  port_in: { approverRole: 'supervisor', otherShop: true, needsConsent: false },
}

/** docs/DOMAIN.md's floor: the last warning's final delivery receipt at least 5 days before the withdrawal. */
export const MIN_WARNINGS = 2
export const FINAL_WARNING_LEAD_MS = 5 * 24 * 3_600_000

/** The audit actions the rules read (names fixed by the audit log contract). */
export const RULE_ACTIONS = {
  signedIn: 'session.signed_in',
  signedOut: 'session.signed_out',
  revoked: 'session.revoked',
  staffCreated: 'staff.created',
  staffSuspended: 'staff.suspended',
  requestCreated: 'request.created',
  requestApproved: 'request.approved',
  consentRecorded: 'request.consent_recorded',
  requestExecuted: 'request.executed',
  noticeEvidenced: 'sms.notice_evidenced',
  numberWithdrawn: 'number.withdrawn',
} as const
