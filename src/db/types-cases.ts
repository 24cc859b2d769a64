// Row types of cases, holds, restorations and compensation (migration 042, src/cases).
import type { ColumnType } from 'kysely'
import type { CaseCategory, CaseConclusion, CaseStatus } from '../domain/cases.ts'
import type { Timestamp } from './types.ts'

type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
type NullableText = ColumnType<string | null, string | null | undefined, string | null>

export type CaseKind = 'complaint' | 'investigation'
export type ComplainantMethod = 'id_document' | 'alt_contact_code'
export type CaseLinkKind = 'staff' | 'request' | 'custody'
export type OfferKind = 'money' | 'service_credit'
export type OfferResponse = 'accepted' | 'declined' | 'no_answer'
export type MeasureKind = 'staff_suspended' | 'staff_retrained' | 'process_change' | 'other'

export interface CasesTable {
  id: string
  reference: string
  kind: CaseKind
  category: CaseCategory
  description: string
  status: CaseStatus
  market: string
  opened_by: string
  opened_in_shop: NullableText
  opened_at: Timestamp
  owner_id: NullableText
  complainant_subscriber_id: NullableText
  complainant_custody_id: NullableText
  complainant_method: ColumnType<
    ComplainantMethod | null,
    ComplainantMethod | null | undefined,
    ComplainantMethod | null
  >
  complainant_contact: NullableText
  hold_due_at: Timestamp
  first_response_due_at: Timestamp
  resolution_due_at: Timestamp
  first_response_at: NullableTimestamp
  confirmed_at: NullableTimestamp
  confirmed_by: NullableText
  resolved_at: NullableTimestamp
  closed_at: NullableTimestamp
  conclusion: ColumnType<CaseConclusion | null, CaseConclusion | null | undefined, CaseConclusion | null>
  findings: NullableText
}

export interface CaseNumbersTable {
  case_id: string
  msisdn: string
}

export interface CaseLinksTable {
  case_id: string
  link_kind: CaseLinkKind
  ref_id: string
  note: NullableText
  linked_by: NullableText
  linked_at: Timestamp
}

export interface ComplainantCodesTable {
  id: string
  msisdn: string
  custody_id: string
  subscriber_id: string
  staff_id: string
  session_id: string
  code_salt: Buffer
  code_hash: Buffer
  created_at: Timestamp
  expires_at: Timestamp
  attempts: ColumnType<number, number | undefined, number>
  used_at: NullableTimestamp
}

export interface HoldsTable {
  id: string
  msisdn: string
  case_id: string
  placed_by: string
  placed_at: Timestamp
  reason: string
  released_at: NullableTimestamp
  release_request_id: NullableText
}

export interface RestorationsTable {
  request_id: string
  case_id: string
  msisdn: string
  wrongful_custody_id: NullableText
  rightful_custody_id: string
  /** Stamped by the database with the writing transaction. */
  txid: ColumnType<string, never, never>
}

export interface CompensationOffersTable {
  id: string
  case_id: string
  kind: OfferKind
  amount: ColumnType<string | null, string | number | null | undefined, string | null>
  currency: NullableText
  credit: NullableText
  offered_by: string
  offered_at: Timestamp
  response: ColumnType<OfferResponse | null, OfferResponse | null | undefined, OfferResponse | null>
  responded_at: NullableTimestamp
  recorded_by: NullableText
}

export interface CaseMeasuresTable {
  id: string
  case_id: string
  kind: MeasureKind
  staff_id: NullableText
  description: string
  recorded_by: string
  recorded_at: Timestamp
}

export interface CaseTables {
  cases: CasesTable
  case_numbers: CaseNumbersTable
  case_links: CaseLinksTable
  complainant_codes: ComplainantCodesTable
  holds: HoldsTable
  restorations: RestorationsTable
  compensation_offers: CompensationOffersTable
  case_measures: CaseMeasuresTable
}
