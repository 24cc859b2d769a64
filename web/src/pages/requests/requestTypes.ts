// Shapes of the request and recycling endpoints the console reads (see /docs).

export interface Person {
  id: string
  username: string | null
  display_name: string | null
  shop_id: string | null
}

export interface RequestView {
  id: string
  kind: string
  kind_label: string
  msisdn: string | null
  status: 'pending' | 'approved' | 'executed' | 'rejected' | 'cancelled' | 'expired'
  /** null when `payload_withheld`: it names a subscriber outside the caller's view (invariant 10). */
  payload: Record<string, unknown> | null
  payload_withheld: PayloadWithheld | null
  payload_sha256: string
  requested_by: Person
  /** On a lost-SIM swap: the requester's SIM swaps filed and alerts raised in their name lately. */
  requester_record?: RequesterRecord | null
  requested_at: string
  expires_at: string
  not_before: string | null
  decided_at: string | null
  executed_at: string | null
  assigned_to: Person | null
  approvals: {
    approver: Person
    decision: string
    payload_sha256: string
    decided_at: string
    voided_at: string | null
  }[]
  outcome: Record<string, unknown> | null
  rule: {
    approver_role: string | null
    approver_other_shop: boolean
    wait_hours: number
    /** The consents DOMAIN's table asks of this kind (the holder's SMS reply, an ID check in the shop). */
    consents?: { party: string; method: string }[]
  }
  abilities: { approve: boolean; reject: boolean; execute: boolean; cancel: boolean }
}

export interface RequesterRecord {
  since: string
  swaps: { id: string; kind: string; status: string; requested_at: string }[]
  refusals: { kind: string; severity: string; raised_at: string; repeats: number }[]
}

export interface PayloadWithheld {
  reason: 'customer_session_required' | 'not_in_your_view'
  /** Verifying the number's holder (a customer session) would show it. */
  verify_customer: boolean
  message: string
}

export interface CycleStep {
  what: string
  stage?: number
  on: string
  past: boolean
}

export interface CycleView {
  msisdn: string
  custody_id: string
  group: 'counting' | 'warned' | 'suspended' | 'waiting' | 'aging' | 'closed' | 'postpaid'
  stage: string
  step: string
  state: string
  cycle_no: number
  cycle_started_at: string
  day_of_cycle: number | null
  policy_version: number
  waiting_reason: string | null
  withdrawn_at: string | null
  reclaim_until: string | null
  reclaimable: boolean
  next: { what: string; stage?: number; on: string | null }
  steps: CycleStep[]
}

export type GroupKey = 'counting' | 'warned' | 'suspended' | 'waiting' | 'aging' | 'due_soon'

export interface RecyclingOverview {
  now: string
  counts: Record<GroupKey, number>
  waiting_reasons: Record<string, number>
  /** null: the caller sees the counts only (which number is where is its holder's account). */
  lists: Record<GroupKey, CycleView[]> | null
  lists_withheld: { reason: string; message: string } | null
}

export interface Notice {
  id: string
  /** null: sent to an alternate contact the caller may not see (invariant 10). */
  to: string | null
  to_alternate_contact: boolean
  purpose: string
  /** null when `withheld`: the text is the holder's account, shown only inside a customer session. */
  body: string | null
  withheld?: boolean
  state: string
  created_at: string
  submitted_at: string | null
  last_final_at: string | null
  parts: { index: number; count: number; state: string; receipt_state: string | null }[]
}

/** "warning 2 on 12 May", "withdrawal on 2 Jun" */
export function stepLabel(s: { what: string; stage?: number }): string {
  if (s.what === 'warning') return `warning ${s.stage ?? ''}`.trim()
  if (s.what === 'aging_ends') return 'aging ends'
  return s.what.replaceAll('_', ' ')
}

/** A `YYYY-MM-DD` calendar day (operator time zone) as "12 May 2026". */
export function fmtDay(day: string | null | undefined): string {
  if (!day) return '—'
  const d = new Date(`${day}T00:00:00Z`)
  return Number.isNaN(d.getTime())
    ? day
    : new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' }).format(d)
}
