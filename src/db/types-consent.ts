// Row types of holder consent, consent codes and the SIM-swap lock (migration 013, src/consent, src/changes).
import type { ColumnType } from 'kysely'
import type { Timestamp } from './types.ts'

type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
type NullableBytes = ColumnType<Buffer | null, Buffer | null | undefined, Buffer | null>
type NullableText = ColumnType<string | null, string | null | undefined, string | null>

export type ConsentPartyColumn = 'holder' | 'former_holder' | 'new_holder'
export type ConsentMethodColumn = 'mo_code' | 'id_check'
export type ConsentCodeState = 'pending' | 'used' | 'expired' | 'void' | 'superseded'

export interface RequestKindConsentsTable {
  kind: string
  party: ConsentPartyColumn
  method: ConsentMethodColumn
}

export interface RequestConsentsTable {
  id: string
  request_id: string
  party: ConsentPartyColumn
  method: ConsentMethodColumn
  recorded_at: Timestamp
  evidence: ColumnType<unknown, string, never>
}

export interface ConsentCodesTable {
  id: string
  request_id: string
  msisdn: string
  party: 'holder'
  purpose: string
  code_salt: NullableBytes
  code_hash: NullableBytes
  state: ConsentCodeState
  attempts: ColumnType<number, number | undefined, number>
  notice_id: NullableText
  created_at: Timestamp
  expires_at: Timestamp
  closed_at: NullableTimestamp
}

export interface SimSwapLocksTable {
  custody_id: string
  msisdn: string
  locked_at: Timestamp
  locked_via: 'sms' | 'shop'
  unlock_requested_at: NullableTimestamp
  unlocks_at: NullableTimestamp
  updated_at: Timestamp
  /** The unlocks_at whose taking effect the holder was told of (by the worker). */
  unlock_noticed_for: NullableTimestamp
}

/** The worker's memory of a due change that could not execute (retry back-off; one alert per reason). */
export interface ChangeExecutionFailuresTable {
  request_id: string
  reason: string
  attempts: number
  first_failed_at: Timestamp
  last_failed_at: Timestamp
  next_attempt_at: Timestamp
  alert_id: string | null
}

export interface SimSwapsView {
  msisdn: string
  swapped_at: Date
  new_iccid: string
  old_iccid: string | null
  custody_id: string
  request_id: string
  kind: 'sim_swap' | 'sim_swap_lost'
}

export interface ConsentTables {
  request_kind_consents: RequestKindConsentsTable
  request_consents: RequestConsentsTable
  consent_codes: ConsentCodesTable
  sim_swap_locks: SimSwapLocksTable
  sim_swaps: SimSwapsView
  change_execution_failures: ChangeExecutionFailuresTable
}
