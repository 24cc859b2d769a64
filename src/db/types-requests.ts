// Row types of request workflows beyond the core tables (migration 010); the requests feature keeps this file in step.
// Columns 010 adds to `requests` (assigned_to, outcome) are declared here and merged into DB's `requests` below.
import type { ColumnType } from 'kysely'
import type { Timestamp } from './types.ts'

type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
type NullableText = ColumnType<string | null, string | null | undefined, string | null>
type NullableJson = ColumnType<unknown, string | null | undefined, string | null>

/** The columns migration 010 adds to `requests`. */
export interface RequestAssignmentColumns {
  assigned_to: NullableText
  outcome: NullableJson
}

export interface RequestApprovalsTable {
  request_id: string
  approver_id: string
  payload_sha256: string
  decision: 'approved' | 'rejected'
  decided_at: Timestamp
  voided_at: NullableTimestamp
}

export interface RequestKindRulesTable {
  kind: string
  approver_role: string | null
  other_shop: boolean
  needs_consent: boolean
}

export interface DisconnectionsTable {
  id: string
  msisdn: string
  custody_id: string
  /** `YYYY-MM-DD` (date columns are parsed as strings). */
  disconnected_on: string
  recorded_at: Timestamp
  cancelled_at: NullableTimestamp
  cancel_reason: ColumnType<
    'reclaim' | 'reinstatement' | 'restoration' | null,
    'reclaim' | 'reinstatement' | 'restoration' | null | undefined,
    'reclaim' | 'reinstatement' | 'restoration' | null
  >
  cancel_basis: NullableText
  reported_in: NullableText
  cancellation_reported_in: NullableText
}

export interface DisconnectionReportsTable {
  id: string
  month: string
  cutoff_on: string
  file_name: string
  content: string
  file_sha256: string
  disconnections: number
  cancellations: number
  generated_at: Timestamp
  generated_by: string | null
}

export interface RequestTables {
  request_approvals: RequestApprovalsTable
  request_kind_rules: RequestKindRulesTable
  disconnections: DisconnectionsTable
  disconnection_reports: DisconnectionReportsTable
}
