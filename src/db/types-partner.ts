// Row types of the partner APIs (migration 030, src/partner).
import type { ColumnType, Generated } from 'kysely'
import type { Json, Timestamp } from './types.ts'

type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
type NullableText = ColumnType<string | null, string | null | undefined, string | null>
type NullableNumber = ColumnType<number | null, number | null | undefined, number | null>

export type PartnerOperation =
  | 'number_recycling_check'
  | 'sim_swap_retrieve_date'
  | 'sim_swap_check'
  | 'sim_swap_subscription_create'

export interface PartnerClientsTable {
  client_id: string
  purpose: string
  requests_per_minute: Generated<number>
  created_at: Timestamp
}

export interface PartnerAccessLogTable {
  id: Generated<string>
  client_id: string
  msisdn: string
  operation: PartnerOperation
  question: Json
  status: number
  answer: Json
  correlator: NullableText
  asked_at: Timestamp
}

export type SubscriptionStatus = 'ACTIVE' | 'EXPIRED' | 'INACTIVE' | 'DELETED'
export type SubscriptionEndReason =
  | 'SUBSCRIPTION_EXPIRED'
  | 'MAX_EVENTS_REACHED'
  | 'SUBSCRIPTION_DELETED'
  | 'ACCESS_TOKEN_EXPIRED'

export interface PartnerSubscriptionsTable {
  id: string
  client_id: string
  msisdn: string
  types: string[]
  sink: string
  sink_token: NullableText
  sink_token_expires_at: NullableTimestamp
  max_events: NullableNumber
  events_sent: Generated<number>
  starts_at: Timestamp
  expires_at: NullableTimestamp
  status: SubscriptionStatus
  ended_at: NullableTimestamp
  end_reason: ColumnType<
    SubscriptionEndReason | null,
    SubscriptionEndReason | null | undefined,
    SubscriptionEndReason | null
  >
  created_at: Timestamp
}

export interface PartnerEventsTable {
  id: string
  subscription_id: string
  type: string
  event: Json
  state: 'pending' | 'delivered' | 'dead'
  attempts: Generated<number>
  next_attempt_at: Timestamp
  last_error: NullableText
  created_at: Timestamp
  delivered_at: NullableTimestamp
  dedupe_key: string
}

export interface PartnerTables {
  partner_clients: PartnerClientsTable
  partner_access_log: PartnerAccessLogTable
  partner_subscriptions: PartnerSubscriptionsTable
  partner_events: PartnerEventsTable
}
