// Shapes of the numguard API responses the console reads (see /docs for the full OpenAPI).

export type NumberState = 'available' | 'reserved' | 'active' | 'suspended' | 'aging' | 'retired' | 'ported_out'
export const NUMBER_STATES: NumberState[] = [
  'available',
  'reserved',
  'active',
  'suspended',
  'aging',
  'retired',
  'ported_out',
]

export interface Staff {
  id: string
  username: string
  display_name: string
  roles: string[]
  shop_id: string | null
}

export interface Session {
  id: string
  expires_at: string
  /** 'pending' / 'enrolment': the session waits for its TOTP code and can do nothing else yet. */
  mfa?: 'not_required' | 'enrolment' | 'pending' | 'verified'
}

export interface Me {
  staff: Staff
  session: Session
}

export interface Meta {
  mode: 'demo' | 'production'
  now: string
  clock_movable: boolean
  version: string
}

export interface Abilities {
  reserve: boolean
  release: boolean
  sell: boolean
}

export interface NumberItem {
  msisdn: string
  state: NumberState
  category: string
  state_changed_at: string
  reserved_by: string | null
  reserved_until: string | null
  abilities: Abilities
}

export interface Page<T> {
  items: T[]
  next_after?: string | null
}

export interface SubscriberSummary {
  id: string
  name_masked: string
  party_kind: string
  account_type: string
  language: string
  kyc_doc_kind: string
  /** The ID document's last 4 characters: null where a number is looked up (shown on the subscriber page). */
  kyc_doc_last4: string | null
  /** In clear only to an agent inside a customer session for this subscriber. */
  name?: string
  alt_contact?: string | null
}

export interface Custody {
  id: string
  /** null: a holder whose account the caller may not see (a former holder, for an agent inside a session). */
  subscriber: SubscriberSummary | null
  basis: string
  request_id: string | null
  migration_batch_id: string | null
  started_at: string
  ended_at: string | null
  end_reason: string | null
}

export interface Actor {
  kind: string
  username?: string
  staff_id?: string
  client_id?: string
  /** For a system actor: the part of numguard that acted (demo-seed, worker, cli, …). */
  component?: string
}

export interface HistoryEntry {
  seq: number
  event_id: string
  at: string
  action: string
  actor: Actor
  before: unknown
  after: unknown
  basis: unknown
  /** Whom or which SIM the record concerned is the account's and was left out (invariant 10). */
  details_withheld?: boolean
}

/**
 * How much of the account behind a number the caller sees (invariant 10): `work` (supervisors, compliance,
 * auditors), `holder` (an agent inside a customer session for the current holder), `restricted` (the number only).
 */
export interface AccountView {
  view: 'work' | 'holder' | 'restricted'
  held: boolean
  customer_session: { id: string; expires_at: string } | null
  withheld: string[]
  verify_customer: boolean
  message: string | null
}

export interface NumberDetail {
  msisdn: string
  state: NumberState
  category: string
  range: { id: string; first: string; last: string }
  state_changed_at: string
  reservation: { by: string; until: string } | null
  account: AccountView
  current_custody: Custody | null
  custodies: Custody[]
  sim_bindings: { id: string; iccid: string; started_at: string; ended_at: string | null; end_reason: string | null }[]
  history: HistoryEntry[]
  abilities: Abilities & { verify_customer?: boolean; view_account?: boolean }
}

export interface Sim {
  iccid: string
  imsi: string
  state: string
  shop_id: string | null
}

export interface SimDetail extends Sim {
  /** `withheld`: the number is masked, its holder's account being outside the caller's view (invariant 10). */
  bindings: {
    msisdn: string
    started_at: string
    ended_at: string | null
    end_reason: string | null
    withheld?: boolean
  }[]
}

export interface SubscriberDetail extends SubscriberSummary {
  alt_contact_masked: string | null
  /** `full`: an agent inside a customer session; `work`: a supervisor's, compliance officer's or auditor's view. */
  view: 'full' | 'work'
  /** In clear only inside a customer session. */
  name?: string
  alt_contact?: string | null
  customer_session: { id: string; expires_at: string } | null
  /** Always false now: an agent without a customer session is refused the page (customer_session_required). */
  msisdns_masked: boolean
  custodies: { msisdn: string; basis: string; started_at: string; ended_at: string | null; end_reason: string | null }[]
  /** The SIMs serving the numbers held now, inside a customer session only. */
  sims: { msisdn: string; iccid: string; started_at: string }[] | null
}

/** A customer session, or a code awaiting the customer (POST /api/v1/customer-sessions). */
export interface CustomerSession {
  id: string
  method: 'sms_code' | 'id_document'
  state: 'awaiting_code' | 'open' | 'closed' | 'failed' | 'expired'
  msisdn: string
  subscriber_id: string
  code_expires_at: string | null
  code_attempts_left: number | null
  opened_at: string | null
  expires_at: string | null
}

export interface Stats {
  by_state: Partial<Record<NumberState, number>>
  by_category: Record<string, number>
  total: number
}

export interface Alert {
  id: string
  kind: string
  severity: 'risk' | 'warning' | 'info' | string
  staff_id: string | null
  staff_username: string | null
  msisdn: string | null
  attempt: unknown
  raised_at: string
  /** Identical alerts (kind, person, subject) within 10 minutes are counted on one: how many, and the latest. */
  repeats?: number
  last_seen_at?: string
}

export interface Range {
  id: string
  first: string
  last: string
  size: number
  category: string
  imported_at: string
}

export interface Shop {
  id: string
  name: string
}
