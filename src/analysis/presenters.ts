// What leaves the server of an analysis: each figure's leaves with the link that fetches the leaf with its
// inclusion proof (GET /api/v1/audit/proofs/inclusion?index=N, the audit feature's one-leaf answer).
import type { Signal, StaffSignals } from './score.ts'
import type { AnalysedStaff, NumbersAnalysis, StaffSignalsAnswer } from './signals.ts'

export function leafLink(index: number): string {
  return `/api/v1/audit/proofs/inclusion?index=${index}`
}

function presentSignal<S extends Signal>(s: S) {
  const { leaves, ...rest } = s
  return { ...rest, leaves: leaves.map((index) => ({ index, link: leafLink(index) })) }
}

function presentSignals(s: StaffSignals) {
  return {
    refused_attempts: presentSignal(s.refused_attempts),
    swap_without_reply_then_transfer: presentSignal(s.swap_without_reply_then_transfer),
    repeated_pairs: presentSignal(s.repeated_pairs),
    off_hours: presentSignal(s.off_hours),
    away_from_shop: presentSignal(s.away_from_shop),
    volume: presentSignal(s.volume),
  }
}

export function presentAnalysedStaff(a: AnalysedStaff) {
  return { staff: a.staff, score: a.score, signals: presentSignals(a.signals) }
}

export function presentNumbersAnalysis(a: NumbersAnalysis) {
  return {
    msisdns: a.msisdns,
    since: a.since.toISOString(),
    until: a.until.toISOString(),
    staff: a.staff.map(presentAnalysedStaff),
  }
}

export function presentStaffSignals(a: StaffSignalsAnswer) {
  return { since: a.since.toISOString(), until: a.until.toISOString(), ...presentAnalysedStaff(a) }
}
