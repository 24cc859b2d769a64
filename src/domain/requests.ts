// docs/DOMAIN.md's request table as data: who may ask, whose word is needed, who approves, what is announced and how long
// it waits. The request workflow (src/requests/) and its tests read this table; migration 005's request_kind_rules
// holds the approver columns for the database, and a test keeps the two in step.
import { APPROVER_COOLING_DAYS, type Role } from './roles.ts'

export const REQUEST_KINDS = [
  'transfer',
  'sim_swap',
  'sim_swap_lost',
  'termination',
  'reclaim',
  'kyc_change',
  'legal_order',
  'restoration',
  'hold_release',
  'policy_change',
  'retirement',
  'migration_batch',
  'role_grant',
  'credential_reset',
  'port_in',
] as const
export type RequestKind = (typeof REQUEST_KINDS)[number]

export const REQUEST_STATUSES = ['pending', 'approved', 'executed', 'rejected', 'cancelled', 'expired'] as const
export type RequestStatus = (typeof REQUEST_STATUSES)[number]
/** A request in one of these still blocks another of its kind on the same number. */
export const OPEN_STATUSES: readonly RequestStatus[] = ['pending', 'approved']

export type ConsentParty = 'holder' | 'former_holder' | 'new_holder'
/** `mo_code`: a one-time code returned by SMS reply from the number; `id_check`: a document checked against the KYC hash. */
export type ConsentMethod = 'mo_code' | 'id_check'
export type NoticeTarget = 'number' | 'alt_contact'

export interface RequestKindRule {
  kind: RequestKind
  label: string
  requesterRoles: readonly Role[]
  /** The requester must be attached to a shop (the customer stands in front of them). */
  requesterInShop: boolean
  consents: readonly { party: ConsentParty; method: ConsentMethod }[]
  /** null: no approver (the holder's own consent is the second pair of eyes). */
  approverRole: Role | null
  /** The approver belongs to another shop than the requester. */
  approverOtherShop: boolean
  /** Restoration: the approver is not the owner of the case that orders it. */
  approverNotCaseOwner: boolean
  /** SMS sent when the request is made. */
  noticeAtRequest: readonly NoticeTarget[]
  /** Earliest execution, counted from the request. */
  waitHours: number
  /** An SMS reply `NO` from the number cancels it during the wait. */
  cancelledByNo: boolean
  /** A request not executed within this many hours expires. */
  expiresAfterHours: number
  /** Approvers whose role was granted or credentials reset less than this many days ago may not approve it. */
  newApproverCoolingDays: number
  /** What else docs/DOMAIN.md says about it, for people (the code enforces what it can). */
  notes: string
}

const AGENTS: readonly Role[] = ['agent']
const day = 24

function rule(
  kind: RequestKind,
  r: Omit<RequestKindRule, 'kind' | 'approverNotCaseOwner' | 'newApproverCoolingDays'> &
    Partial<Pick<RequestKindRule, 'approverNotCaseOwner' | 'newApproverCoolingDays'>>,
): RequestKindRule {
  // DOMAIN: new or reset approvers cannot approve (anything) for 7 days.
  return { kind, approverNotCaseOwner: false, newApproverCoolingDays: APPROVER_COOLING_DAYS, ...r }
}

const other = { approverRole: 'supervisor', approverOtherShop: true } as const
const compliance = { approverRole: 'compliance_officer', approverOtherShop: false } as const
const none = { approverRole: null, approverOtherShop: false } as const
const noWait = { waitHours: 0, cancelledByNo: false } as const

export const REQUEST_TABLE: Readonly<Record<RequestKind, RequestKindRule>> = {
  transfer: rule('transfer', {
    label: 'Transfer of an active number',
    requesterRoles: AGENTS,
    requesterInShop: false,
    consents: [
      { party: 'holder', method: 'mo_code' },
      { party: 'new_holder', method: 'id_check' },
    ],
    ...other,
    noticeAtRequest: ['number'],
    waitHours: day,
    cancelledByNo: true,
    expiresAfterHours: 7 * day,
    notes: 'Refused within 7 days of a SIM swap.',
  }),
  sim_swap: rule('sim_swap', {
    label: 'SIM swap, holder has the SIM',
    requesterRoles: AGENTS,
    requesterInShop: false,
    consents: [{ party: 'holder', method: 'mo_code' }],
    ...none,
    noticeAtRequest: ['number'],
    ...noWait,
    expiresAfterHours: day,
    notes: 'Refused while the SIM-swap lock is on, except in a shop with an ID check.',
  }),
  sim_swap_lost: rule('sim_swap_lost', {
    label: 'SIM swap, SIM lost or stolen',
    requesterRoles: AGENTS,
    requesterInShop: true,
    consents: [{ party: 'holder', method: 'id_check' }],
    ...other,
    noticeAtRequest: ['number', 'alt_contact'],
    waitHours: day,
    cancelledByNo: true,
    expiresAfterHours: 7 * day,
    notes: '',
  }),
  termination: rule('termination', {
    label: 'Termination by the holder',
    requesterRoles: AGENTS,
    requesterInShop: false,
    consents: [{ party: 'holder', method: 'mo_code' }],
    ...none,
    noticeAtRequest: ['number'],
    waitHours: day,
    cancelledByNo: true,
    expiresAfterHours: 7 * day,
    notes: '',
  }),
  reclaim: rule('reclaim', {
    label: 'Reclaim during aging',
    requesterRoles: AGENTS,
    requesterInShop: true,
    consents: [{ party: 'former_holder', method: 'id_check' }],
    ...other,
    noticeAtRequest: ['alt_contact'],
    ...noWait,
    expiresAfterHours: 2 * day,
    notes: 'Only while the number ages after a withdrawal for inactivity, for the holder of that custody.',
  }),
  kyc_change: rule('kyc_change', {
    label: 'KYC identity change',
    requesterRoles: AGENTS,
    requesterInShop: false,
    consents: [{ party: 'holder', method: 'mo_code' }],
    ...other,
    noticeAtRequest: [],
    ...noWait,
    expiresAfterHours: 7 * day,
    notes: 'ID-only authentication is refused for 30 days after.',
  }),
  legal_order: rule('legal_order', {
    label: 'Legal-order withdrawal',
    requesterRoles: ['compliance_officer'],
    requesterInShop: false,
    consents: [],
    ...compliance,
    noticeAtRequest: ['number'],
    waitHours: 7 * day,
    cancelledByNo: false,
    expiresAfterHours: 30 * day,
    notes: 'The SHA-256 of the order document is in the record; no notice and no wait if the order forbids notice.',
  }),
  restoration: rule('restoration', {
    label: 'Restoration (from a case)',
    requesterRoles: ['compliance_officer'],
    requesterInShop: false,
    consents: [],
    ...compliance,
    approverNotCaseOwner: true,
    noticeAtRequest: [],
    ...noWait,
    expiresAfterHours: 7 * day,
    notes: "Target is a former holder whose custody the case names; allowed under the case's own hold.",
  }),
  hold_release: rule('hold_release', {
    label: 'Hold release',
    requesterRoles: ['compliance_officer'],
    requesterInShop: false,
    consents: [],
    ...compliance,
    noticeAtRequest: [],
    ...noWait,
    expiresAfterHours: 7 * day,
    notes: '',
  }),
  policy_change: rule('policy_change', {
    label: 'Recycling policy change',
    requesterRoles: ['inventory_manager'],
    requesterInShop: false,
    consents: [],
    ...compliance,
    noticeAtRequest: [],
    ...noWait,
    expiresAfterHours: 14 * day,
    notes: 'Applies only to cycles that start at least 30 days after approval.',
  }),
  retirement: rule('retirement', {
    label: 'Retirement of numbers',
    requesterRoles: ['inventory_manager'],
    requesterInShop: false,
    consents: [],
    ...compliance,
    noticeAtRequest: [],
    ...noWait,
    expiresAfterHours: 14 * day,
    notes: 'Never from active or suspended.',
  }),
  migration_batch: rule('migration_batch', {
    label: 'Migration batch',
    requesterRoles: ['inventory_manager'],
    requesterInShop: false,
    consents: [],
    ...compliance,
    noticeAtRequest: [],
    ...noWait,
    expiresAfterHours: 14 * day,
    notes: '',
  }),
  role_grant: rule('role_grant', {
    label: 'Staff role grant',
    requesterRoles: ['admin'],
    requesterInShop: false,
    consents: [],
    ...compliance,
    noticeAtRequest: [],
    ...noWait,
    expiresAfterHours: 7 * day,
    newApproverCoolingDays: 7,
    notes: 'New or reset approvers cannot approve for 7 days.',
  }),
  credential_reset: rule('credential_reset', {
    label: 'Staff credential reset',
    requesterRoles: ['admin'],
    requesterInShop: false,
    consents: [],
    ...compliance,
    noticeAtRequest: [],
    ...noWait,
    expiresAfterHours: 7 * day,
    newApproverCoolingDays: 7,
    notes: 'New or reset approvers cannot approve for 7 days.',
  }),
  port_in: rule('port_in', {
    label: 'Port-in',
    requesterRoles: AGENTS,
    requesterInShop: true,
    consents: [{ party: 'new_holder', method: 'id_check' }],
    ...other,
    noticeAtRequest: [],
    ...noWait,
    expiresAfterHours: 7 * day,
    notes: 'Later release.',
  }),
}

export function isRequestKind(text: string): text is RequestKind {
  return (REQUEST_KINDS as readonly string[]).includes(text)
}

/** Kinds whose consent is an SMS reply from the number: they cannot execute until the access release records it. */
export function needsHolderCodeConsent(kind: RequestKind): boolean {
  return REQUEST_TABLE[kind].consents.some((c) => c.method === 'mo_code')
}

export function requestExpiry(kind: RequestKind, requestedAt: Date): Date {
  return new Date(requestedAt.getTime() + REQUEST_TABLE[kind].expiresAfterHours * 3_600_000)
}

export function earliestExecution(kind: RequestKind, requestedAt: Date): Date | null {
  const hours = REQUEST_TABLE[kind].waitHours
  return hours > 0 ? new Date(requestedAt.getTime() + hours * 3_600_000) : null
}
