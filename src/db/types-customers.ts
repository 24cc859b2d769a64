// Row types of customer sessions (migration 012, src/customers); kept in step with the migration by hand.
import type { ColumnType } from 'kysely'
import type { Timestamp } from './types.ts'

type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
type NullableText = ColumnType<string | null, string | null | undefined, string | null>
type NullableBytes = ColumnType<Buffer | null, Buffer | null | undefined, Buffer | null>

export type CustomerAuthMethod = 'sms_code' | 'id_document'
export type CustomerSessionState = 'awaiting_code' | 'open' | 'closed' | 'failed' | 'expired'

/** The column migration 012 adds to `subscribers`: when the KYC identity last changed (ID-only auth waits 30 days). */
export interface SubscriberKycChangeColumns {
  kyc_changed_at: NullableTimestamp
}

export interface CustomerSessionsTable {
  id: string
  staff_id: string
  staff_session_id: string
  subscriber_id: string
  msisdn: string
  custody_id: string
  method: CustomerAuthMethod
  state: CustomerSessionState
  code_salt: NullableBytes
  code_hash: NullableBytes
  code_expires_at: NullableTimestamp
  code_attempts: ColumnType<number, number | undefined, number>
  notice_id: NullableText
  created_at: Timestamp
  opened_at: NullableTimestamp
  expires_at: NullableTimestamp
  closed_at: NullableTimestamp
  close_reason: NullableText
}

export interface CustomerAuthFailuresTable {
  id: string
  staff_id: string
  msisdn: string
  subscriber_id: string | null
  customer_session_id: string | null
  method: CustomerAuthMethod
  reason: string
  failed_at: Timestamp
}

export interface CustomerAuthLocksTable {
  id: string
  staff_id: string
  msisdn: string
  failures: number
  locked_at: Timestamp
  locked_until: Timestamp
  released_at: NullableTimestamp
  released_by: NullableText
  release_reason: NullableText
}

export interface CustomerTables {
  customer_sessions: CustomerSessionsTable
  customer_auth_failures: CustomerAuthFailuresTable
  customer_auth_locks: CustomerAuthLocksTable
}
