// Row types of inactivity recycling (migrations 006, 008) and its markets (034); the recycling feature keeps this file in step.
import type { ColumnType, Generated } from 'kysely'
import type { Json, Timestamp } from './types.ts'

type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>

export interface RecyclingPoliciesTable {
  /** The global id every policy_version names. */
  version: number
  /** 034: the market whose series this version belongs to, and its place in that series. */
  market: string
  market_version: number
  params: Json
  effective_from: Timestamp
  approved_at: Timestamp
  request_id: string | null
}
export interface RecyclingStateTable {
  custody_id: string
  msisdn: string
  account_type: 'prepaid' | 'postpaid'
  cycle_started_at: Timestamp
  cycle_no: Generated<number>
  last_usage_at: NullableTimestamp
  policy_version: number
  stage: Generated<'in_cycle' | 'aging' | 'closed'>
  step: Generated<string>
  waiting_reason: string | null
  withdrawn_at: NullableTimestamp
  next_due_at: NullableTimestamp
  updated_at: Timestamp
  /** 008: the cycle whose policy_version, step and warnings this row describes (NULL: not set up yet). */
  seen_cycle_no: number | null
  warnings_queued: Generated<number>
  alerted_cycle_no: number | null
  alerted_reasons: ColumnType<string[], string[] | undefined, string[]>
  /** The worker claim that owns the row until next_due_at. */
  lease_id: string | null
  /** A compliance officer's decision to withdraw despite the usage veto: for this cycle, up to this usage. */
  usage_veto_override_cycle_no: number | null
  usage_veto_overridden_by: string | null
  usage_veto_overridden_at: NullableTimestamp
  usage_veto_override_usage_at: NullableTimestamp
}
export interface RecyclingNoticesTable {
  custody_id: string
  cycle_no: number
  purpose: 'inactivity_warning' | 'suspension' | 'withdrawal'
  stage: number
  /** 0: the step's own notice; n > 0: the replacement of attempt n - 1 (a warning that ended failed or unknown). */
  attempt: Generated<number>
  replaces_notice_id: string | null
  notice_id: string
  queued_at: Timestamp
}

/** 034: a market's floors, SIM-swap cooling and time zone; read-only to the application. */
export interface MarketsTable {
  code: string
  name: string
  calling_code: string
  time_zone: string
  min_warnings: number
  min_withdrawal_day: number
  min_evidence_days: number
  min_aging_days: number
  max_aging_days: number
  max_business_aging_days: number
  swap_cooling_days: number
  sim_tenure_days: number
  /** 042: a case's service levels, in hours from the complaint. */
  case_hold_hours: number
  case_first_response_hours: number
  case_resolution_hours: number
}

export interface RecyclingTables {
  markets: MarketsTable
  recycling_policies: RecyclingPoliciesTable
  recycling_state: RecyclingStateTable
  recycling_notices: RecyclingNoticesTable
}
