// Row types of the tamper-evident audit log (migration 020); the owner of that feature keeps this file in step.
import type { ColumnType, Generated } from 'kysely'
import type { Timestamp } from './types.ts'

type Bytes = ColumnType<Buffer, Buffer | Uint8Array, never>
type NullableUuid = ColumnType<string | null, string | null | undefined, never>
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>

/** The queue recordAudit writes (the application role may only INSERT; the trigger fills the derived columns). */
export interface AuditQueueTable {
  seq: Generated<number>
  event_id: string
  txid: Generated<number>
  recorded_at: Timestamp
  action: string
  msisdn: string | null
  leaf: Bytes
  basis: ColumnType<string | null, never, never>
  staff_id: NullableUuid
  session_id: NullableUuid
  request_id: NullableUuid
}

export interface AuditLogStateTable {
  id: boolean
  size: number
  root: Buffer
  updated_at: Date
}

export interface AuditLeavesTable {
  index: number
  event_id: string
  seq: number
  txid: number
  at: Date
  action: string
  msisdn: string | null
  basis: string | null
  staff_id: string | null
  session_id: string | null
  request_id: string | null
  leaf: Buffer
  leaf_hash: Buffer
  integrated_at: Date
}

export interface AuditTreeNodesTable {
  level: number
  index: number
  hash: Buffer
}

export interface AuditTreeHeadsTable {
  size: number
  root: Buffer
  integrated_at: Date
}

export interface AuditCheckpointsTable {
  size: number
  note: string
  signed_at: Timestamp
}

export interface AuditCosignaturesTable {
  size: number
  witness: string
  key_id: string
  cosigned_at: Timestamp
  line: string
  received_at: Timestamp
}

export interface AuditPersonalDataTable {
  event_id: string
  field: string
  salt: Bytes
  value: string
  recorded_at: Timestamp
}

export interface LogWitnessesTable {
  url: string
  name: string
  key_id: string
  accepted_size: ColumnType<number | null, number | null | undefined, number | null>
  failing_since: NullableTimestamp
  last_error: ColumnType<string | null, string | null | undefined, string | null>
  next_attempt_at: NullableTimestamp
  updated_at: Timestamp
}

export interface AuditLogTables {
  audit_queue: AuditQueueTable
  audit_log_state: AuditLogStateTable
  audit_leaves: AuditLeavesTable
  audit_tree_nodes: AuditTreeNodesTable
  audit_tree_heads: AuditTreeHeadsTable
  audit_checkpoints: AuditCheckpointsTable
  audit_cosignatures: AuditCosignaturesTable
  audit_personal_data: AuditPersonalDataTable
  log_witnesses: LogWitnessesTable
}
