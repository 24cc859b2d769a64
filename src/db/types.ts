// Row types of the tables the application reads and writes, written by hand to match migrations/*.sql
// (kept small enough to review beside each migration; no code generator runs at install time).

import type { ColumnType, Generated } from 'kysely'
import type { ActivityTables } from './types-activity.ts'
import type { AuditLogTables } from './types-audit-log.ts'
import type { CaseTables } from './types-cases.ts'
import type { ConsentTables } from './types-consent.ts'
import type { CustomerTables, SubscriberKycChangeColumns } from './types-customers.ts'
import type { RecyclingTables } from './types-recycling.ts'
import type { RequestAssignmentColumns, RequestTables } from './types-requests.ts'
import type { SignInTables } from './types-sign-in.ts'
import type { SmsTables } from './types-sms.ts'

export type Timestamp = ColumnType<Date, Date | string, Date | string>
export type Json = ColumnType<unknown, string, string>

export interface SettingsTable {
  key: string
  value: Json
}
export interface ShopsTable {
  id: string
  name: string
  created_at: Timestamp
}
export interface StaffTable {
  id: string
  username: string
  display_name: string
  password_hash: string
  roles: string[]
  shop_id: string | null
  status: 'active' | 'suspended'
  is_demo: Generated<boolean>
  created_at: Timestamp
  updated_at: Timestamp
  // Migration 011 (src/access): sealed TOTP secrets, the approver cooling clock, suspension.
  mfa_secret: ColumnType<Buffer | null, Buffer | null | undefined, Buffer | null>
  mfa_pending_secret: ColumnType<Buffer | null, Buffer | null | undefined, Buffer | null>
  mfa_enrolled_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  mfa_last_step: ColumnType<number | null, number | null | undefined, number | null>
  roles_granted_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  credentials_reset_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  suspended_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  suspended_by: ColumnType<string | null, string | null | undefined, string | null>
  suspension_reason: ColumnType<string | null, string | null | undefined, string | null>
}
export interface SessionsTable {
  id: string
  staff_id: string
  token_hash: Buffer
  created_at: Timestamp
  expires_at: Timestamp
  revoked_at: Timestamp | null
  last_seen_at: Timestamp
  client: Json
  /** Migration 011: 'enrolment' and 'pending' sessions may only finish MFA or sign out. */
  mfa: ColumnType<
    'not_required' | 'enrolment' | 'pending' | 'verified',
    'not_required' | 'enrolment' | 'pending' | 'verified' | undefined,
    'not_required' | 'enrolment' | 'pending' | 'verified'
  >
}
export interface MachineClientsTable {
  id: string
  name: string
  secret_hash: string
  scopes: string[]
  status: ColumnType<'active' | 'disabled', 'active' | 'disabled' | undefined, 'active' | 'disabled'>
  is_demo: Generated<boolean>
  created_at: Timestamp
}
export interface MachineTokensTable {
  id: string
  client_id: string
  token_hash: Buffer
  scopes: string[]
  issued_at: Timestamp
  expires_at: Timestamp
  revoked_at: Timestamp | null
}
export interface NumberRangesTable {
  id: string
  first_msisdn: string
  last_msisdn: string
  first_value: ColumnType<number, string, string>
  last_value: ColumnType<number, string, string>
  size: number
  category: string
  input_sha256: string
  imported_at: Timestamp
  imported_by: string | null
  /** 034: the market the range belongs to (its numbers carry its calling code). */
  market: string
}
export interface NumbersTable {
  msisdn: string
  range_id: string
  category: string
  state: string
  state_changed_at: Timestamp
  reserved_by: string | null
  reserved_until: Timestamp | null
}
export interface SubscribersTable extends SubscriberKycChangeColumns {
  id: string
  /** 042: the case whose restoration took a number back from this subscriber (the record is kept). */
  flagged_by_case: ColumnType<string | null, string | null | undefined, string | null>
  party_kind: 'person' | 'organisation'
  account_type: 'prepaid' | 'postpaid'
  name: string
  kyc_doc_kind: string
  kyc_doc_hash: string
  kyc_doc_last4: string
  language: 'km' | 'en'
  alt_contact: string | null
  created_at: Timestamp
}
export interface SimsTable {
  iccid: string
  imsi: string
  state: string
  shop_id: string | null
  imported_at: Timestamp
}
export interface RequestsTable extends RequestAssignmentColumns {
  id: string
  kind: string
  msisdn: string | null
  status: string
  payload: Json
  payload_sha256: string
  requested_by: string
  requested_at: Timestamp
  expires_at: Timestamp
  not_before: Timestamp | null
  decided_at: Timestamp | null
  executed_at: Timestamp | null
}
export interface CustodiesTable {
  id: string
  msisdn: string
  subscriber_id: string
  basis: string
  request_id: string | null
  migration_batch_id: string | null
  started_at: Timestamp
  ended_at: Timestamp | null
  end_reason: string | null
}
export interface SimBindingsTable {
  id: string
  msisdn: string
  iccid: string
  custody_id: string
  request_id: string | null
  started_at: Timestamp
  ended_at: Timestamp | null
  end_reason: string | null
}
export interface AlertsTable {
  id: string
  kind: string
  severity: 'info' | 'warning' | 'risk'
  staff_id: string | null
  session_id: string | null
  client_id: string | null
  msisdn: string | null
  attempt: Json
  raised_at: Timestamp
  /** What identical alerts share beside kind and person (migration 022): repeats of it within a window count here. */
  subject: string | null
  repeats: Generated<number>
  last_seen_at: ColumnType<Date, Date | string | undefined, Date | string>
}
export interface AuditRecordsTable {
  seq: Generated<number>
  event_id: string
  txid: Generated<number>
  recorded_at: Timestamp
  action: string
  msisdn: string | null
  envelope: Json
  /** Since migration 020 a view over the log's leaves and queue: the basis a whole-set record carries, its leaf index. */
  basis: ColumnType<string | null, never, never>
  leaf_index: ColumnType<number | null, never, never>
}

/** Each issue's tables live in their own file beside this one, so features evolve without editing one list. */
export interface DB
  extends ActivityTables,
    RecyclingTables,
    SmsTables,
    RequestTables,
    AuditLogTables,
    CustomerTables,
    ConsentTables,
    SignInTables,
    CaseTables {
  settings: SettingsTable
  shops: ShopsTable
  staff: StaffTable
  sessions: SessionsTable
  machine_clients: MachineClientsTable
  machine_tokens: MachineTokensTable
  number_ranges: NumberRangesTable
  numbers: NumbersTable
  subscribers: SubscribersTable
  sims: SimsTable
  requests: RequestsTable
  custodies: CustodiesTable
  sim_bindings: SimBindingsTable
  alerts: AlertsTable
  audit_records: AuditRecordsTable
}
