// Row types of activity ingestion and the provisioning outbox (migration 007); the activity feature keeps this file in step.
import type { ColumnType, Generated } from 'kysely'
import type { Json, Timestamp } from './types.ts'

type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>

export interface ActivityBatchesTable {
  id: string
  received_at: Timestamp
  actor: Json
  input_sha256: string
  counts: Json
  rejections: ColumnType<unknown, string | undefined, string>
}
export interface ActivityEventsTable {
  source: string
  external_id: string
  msisdn: string
  kind: 'topup' | 'payment' | 'usage'
  /** numeric: pg returns it as a string, to keep every digit. */
  amount: ColumnType<string | null, string | null | undefined, string | null>
  currency: string | null
  occurred_at: Timestamp
  received_at: Timestamp
  batch_id: string
  custody_id: string
}
export interface ActivitySourcesTable {
  source: string
  first_seen_at: Timestamp
  last_event_at: NullableTimestamp
  last_received_at: Timestamp
  retired_at: NullableTimestamp
}

export type ProvisioningKind =
  | 'bar_outgoing'
  | 'unbar'
  | 'withdraw'
  | 'restore'
  | 'sim_change'
  | 'hold_bar'
  | 'hold_unbar'

export interface ProvisioningEventsTable {
  id: string
  /** bigint: the order in which a number's events must be applied. */
  seq: ColumnType<string, never, never>
  msisdn: string
  kind: ProvisioningKind
  payload: Json
  created_at: Timestamp
  attempts: Generated<number>
  next_attempt_at: Timestamp
  claimed_by: string | null
  claimed_until: NullableTimestamp
  acked_at: NullableTimestamp
  dead_at: NullableTimestamp
  last_error: string | null
}

export interface ActivityTables {
  activity_batches: ActivityBatchesTable
  activity_events: ActivityEventsTable
  activity_sources: ActivitySourcesTable
  provisioning_events: ProvisioningEventsTable
}
