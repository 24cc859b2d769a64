// Row types of SMS notices, parts, receipts and MO messages (migration 009); the SMS feature keeps this file in step.
import type { ColumnType, Generated } from 'kysely'
import type { Json, Timestamp } from './types.ts'

type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>

export type NoticeState = 'queued' | 'submitting' | 'submitted' | 'evidenced' | 'failed' | 'unknown' | 'cancelled'
export type PartState = 'submitting' | 'submitted' | 'final' | 'submit_failed' | 'unknown'

export interface SmsNoticesTable {
  id: string
  msisdn: string
  to_address: string
  purpose: string
  dedupe_key: string
  custody_id: string | null
  language: 'km' | 'en'
  template: string
  params: Json
  sealed_secrets: Buffer | null
  body_masked: string
  priority: 'otp' | 'bulk'
  respect_send_window: boolean
  not_before: Timestamp
  expires_at: NullableTimestamp
  state: ColumnType<NoticeState, NoticeState | undefined, NoticeState>
  state_reason: string | null
  part_count: number | null
  concat_ref: number
  attempts: Generated<number>
  claimed_by: string | null
  claimed_until: NullableTimestamp
  created_at: Timestamp
  updated_at: Timestamp
  submitted_at: NullableTimestamp
  last_final_at: NullableTimestamp
  evidenced_at: NullableTimestamp
  receipt_alerted_at: NullableTimestamp
}

export interface SmsNoticePartsTable {
  id: string
  notice_id: string
  part_index: number
  part_count: number
  attempt: number
  state: PartState
  data_coding: number
  submitting_at: Timestamp
  message_id: string | null
  message_key: string | null
  submitted_at: NullableTimestamp
  error: string | null
  receipt_state: string | null
  receipt_at: NullableTimestamp
  receipt_raw: string | null
}

export interface SmsReceiptsTable {
  id: string
  message_id: string
  message_key: string
  state: string
  final: boolean
  done_at: NullableTimestamp
  error: string | null
  raw: string
  received_at: Timestamp
  part_id: string | null
  matched_at: NullableTimestamp
}

export interface SmsMoMessagesTable {
  id: string
  from_msisdn: string
  to_address: string
  text_masked: string
  received_at: Timestamp
  keyword: string | null
  routed_to: string | null
  handled_at: NullableTimestamp
  outcome: string | null
  reply_notice_id: string | null
}

export interface SmsTables {
  sms_notices: SmsNoticesTable
  sms_notice_parts: SmsNoticePartsTable
  sms_receipts: SmsReceiptsTable
  sms_mo_messages: SmsMoMessagesTable
}
