// Shapes of the cases API (src/cases/presenters.ts, case-file.ts; src/analysis/presenters.ts) and the small hooks
// every case panel shares. Keep the lists in step with src/domain/cases.ts.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, type RequestOptions } from '../../api'

export const CATEGORIES = [
  { id: 'number_taken', label: 'Number taken', holds: true },
  { id: 'unauthorised_sim_swap', label: 'Unauthorised SIM swap', holds: true },
  { id: 'unwanted_transfer', label: 'Unwanted transfer', holds: true },
  { id: 'missed_warning', label: 'Missed warning', holds: false },
  { id: 'other', label: 'Other', holds: false },
] as const
export type CaseCategory = (typeof CATEGORIES)[number]['id']

export const STATUSES = ['open', 'investigating', 'resolved', 'closed'] as const
export const CONCLUSIONS = ['staff_misconduct', 'no_misconduct', 'unfounded', 'customer_error', 'other'] as const
export const MEASURE_KINDS = ['staff_retrained', 'process_change', 'other'] as const

export type SlaState = 'met' | 'breached' | 'pending' | 'not_required'
export interface SlaClock {
  due_at: string
  done_at: string | null
  state: SlaState
  hours_taken: number | null
}
export interface CaseSla {
  hold: SlaClock
  first_response: SlaClock
  resolution: SlaClock
}

export interface CaseSummary {
  id: string
  reference: string
  kind: 'complaint' | 'investigation'
  category: CaseCategory
  status: (typeof STATUSES)[number]
  market: string
  opened_at: string
  opened_by: string
  opened_in_shop: string | null
  owner_id: string | null
  confirmed_at: string | null
  sla: CaseSla
}

export interface CaseHold {
  id: string
  msisdn: string
  placed_by: string
  placed_at: string
  minutes_after_complaint: number
  reason: string
  active: boolean
  released_at: string | null
  release_request_id: string | null
}

export interface CaseOffer {
  id: string
  kind: 'money' | 'service_credit'
  amount: number | string | null
  currency: string | null
  credit: string | null
  offered_by: string
  offered_at: string
  response: 'accepted' | 'declined' | 'no_answer' | null
  responded_at: string | null
}

export interface CaseDetail extends CaseSummary {
  description: string
  complainant: {
    subscriber_id: string | null
    custody_id: string | null
    method: string | null
    contact: string | null
  } | null
  confirmed_by: string | null
  first_response_at: string | null
  resolved_at: string | null
  closed_at: string | null
  conclusion: string | null
  findings: string | null
  numbers: string[]
  links: {
    kind: 'staff' | 'request' | 'custody'
    ref_id: string
    note: string | null
    linked_by: string
    linked_at: string
  }[]
  holds: CaseHold[]
  requests: {
    id: string
    kind: string
    msisdn: string | null
    status: string
    requested_by: string
    requested_at: string
    executed_at: string | null
    assigned_to: string | null
  }[]
  restorations: {
    request_id: string
    msisdn: string
    wrongful_custody_id: string | null
    rightful_custody_id: string
    executed_at: string | null
    outcome: unknown
  }[]
  compensation_offers: CaseOffer[]
  measures: { id?: string; kind: string; description: string; staff_id: string | null; recorded_at?: string }[]
}

/** POST /api/v1/cases and /api/v1/holds answer the case and the holds they placed. */
export interface OpenedCase extends CaseDetail {
  holds_placed: { id: string; msisdn: string; case_id: string; placed_at: string; suspended_requests: string[] }[]
}

export type ProofCheck = 'verified' | 'awaiting_checkpoint' | 'failed'
export interface CaseFileEntry {
  index: number
  at: string
  action: string
  msisdn: string | null
  staff_id: string | null
  username: string | null
  shop_id: string | null
  session_id: string | null
  request_id: string | null
  approved_by: { staff_id: string; username: string; shop_id: string | null }[]
  leaf_hash: string
  proof: ProofCheck
  link: string
}
export interface CaseFile {
  case_id: string
  reference: string
  checkpoint: { size: number; root: string } | null
  entries: CaseFileEntry[]
  counts: Record<ProofCheck, number>
}

export interface Leaf {
  index: number
  link: string
}
export interface Figure {
  count: number
  leaves: Leaf[]
  ratio?: number
  peer_median?: number
  role?: string | null
  pairs?: { requester_id: string; approver_id: string; requests: number }[]
}
export interface AnalysedStaff {
  staff: { id: string; username: string; display_name: string; roles: string[]; shop_id: string | null; status: string }
  score: number
  signals: Record<string, Figure>
}
export interface CaseAnalysis {
  case_id: string
  reference: string
  msisdns: string[]
  since: string
  until: string
  staff: AnalysedStaff[]
}

export interface NumberHolds {
  held: boolean
  items: { id: string; case_id: string; case_reference: string; placed_at: string; barred_on_network: boolean }[]
}

export const caseKeys = {
  list: (status: string) => ['cases', 'list', status] as const,
  one: (ref: string) => ['cases', 'one', ref] as const,
  all: ['cases'] as const,
  holdsOf: (msisdn: string) => ['number-holds', msisdn] as const,
}

/**
 * A change to a case: sends `path` with `body`, then refreshes every case view (and the holds and requests the change
 * may have touched). The page shows the mutation's error where the form is.
 */
export function useCaseChange<T, V = void>(
  request: (vars: V) => { path: string; method?: RequestOptions['method']; body?: unknown },
  onDone?: (result: T) => void,
) {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (vars: V) => {
      const r = request(vars)
      return api<T>(r.path, { method: r.method ?? 'POST', body: r.body ?? {} })
    },
    onSuccess: (result) => {
      qc.invalidateQueries({ queryKey: caseKeys.all })
      qc.invalidateQueries({ queryKey: ['number-holds'] })
      qc.invalidateQueries({ queryKey: ['requests'] })
      onDone?.(result)
    },
  })
}
