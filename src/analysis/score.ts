// The risk score: a weighted sum of the signals (weights in settings.ts), pure so it is tested on its own.
import { type AnalysisOptions, DEFAULT_OPTIONS } from './settings.ts'

/** One figure and the audit leaves behind it (their indexes in the log). */
export interface Signal {
  count: number
  leaves: number[]
}

export interface RepeatedPair {
  requester_id: string
  approver_id: string
  requests: number
}

export interface StaffSignals {
  /** Refusals (alerts of warning or risk) naming the staff member, repeats included. */
  refused_attempts: Signal
  /** SIM swaps executed without the holder's code reply and followed by a transfer, that they requested or approved. */
  swap_without_reply_then_transfer: Signal
  /** Approved requests of every requester–approver pair of theirs seen at least `pairMin` times. */
  repeated_pairs: Signal & { pairs: RepeatedPair[] }
  /** Their actions outside shop hours (local time of the number's market). */
  off_hours: Signal
  /** Their actions recorded in a shop other than their own. */
  away_from_shop: Signal
  /** Number requests they filed or approved, against the median of peers of their role. */
  volume: Signal & { role: string | null; peer_median: number; ratio: number }
}

/** The score of one staff member's signals: Σ weight × count, the volume counting only its ratio above the free one. */
export function riskScore(s: StaffSignals, options: AnalysisOptions = DEFAULT_OPTIONS): number {
  const w = options.weights
  const sum =
    w.refused_attempts * s.refused_attempts.count +
    w.swap_without_reply_then_transfer * s.swap_without_reply_then_transfer.count +
    w.repeated_pairs * s.repeated_pairs.count +
    w.off_hours * s.off_hours.count +
    w.away_from_shop * s.away_from_shop.count +
    w.volume * Math.max(0, s.volume.ratio - options.volumeFreeRatio)
  return Math.round(sum * 100) / 100
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** A staff member's count against their peers' median; a median of 0 counts as 1 (a first request is no outlier). */
export function volumeRatio(count: number, peerMedian: number): number {
  return Math.round((count / Math.max(peerMedian, 1)) * 100) / 100
}

/** The newest leaf behind a figure that scores: an alert names it, so only new evidence raises a new alert. */
export function newestLeaf(s: StaffSignals, options: AnalysisOptions = DEFAULT_OPTIONS): number | null {
  const scoring = [
    s.refused_attempts,
    s.swap_without_reply_then_transfer,
    s.repeated_pairs,
    s.off_hours,
    s.away_from_shop,
    ...(s.volume.ratio > options.volumeFreeRatio ? [s.volume] : []),
  ]
  const all = scoring.flatMap((x) => x.leaves)
  return all.length === 0 ? null : Math.max(...all)
}
