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
  kyc_doc_last4: string
}

export interface Custody {
  id: string
  subscriber: SubscriberSummary
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
}

export interface NumberDetail {
  msisdn: string
  state: NumberState
  category: string
  range: { id: string; first: string; last: string }
  state_changed_at: string
  reservation: { by: string; until: string } | null
  current_custody: Custody | null
  custodies: Custody[]
  sim_bindings: { id: string; iccid: string; started_at: string; ended_at: string | null; end_reason: string | null }[]
  history: HistoryEntry[]
  abilities: Abilities
}

export interface Sim {
  iccid: string
  imsi: string
  state: string
  shop_id: string | null
}

export interface SimDetail extends Sim {
  bindings: { msisdn: string; started_at: string; ended_at: string | null; end_reason: string | null }[]
}

export interface SubscriberDetail extends SubscriberSummary {
  alt_contact_masked: string | null
  /** True when the caller sees each MSISDN masked to its last 3 digits (an agent without a customer session). */
  msisdns_masked: boolean
  custodies: { msisdn: string; basis: string; started_at: string; ended_at: string | null; end_reason: string | null }[]
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
