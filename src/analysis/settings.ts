// The figures internal analysis applies (issue 11, item 4), in one place: each is documented where it is declared.

/** The window an analysis covers by default: the last 180 days up to the injected clock's now. */
export const DEFAULT_ANALYSIS_DAYS = 180
export const MAX_ANALYSIS_DAYS = 730

/**
 * Shop hours, local time of the market of the number acted on (the operator's market when a leaf names no number).
 * numguard has no shop-hours column: every shop is taken to open 08:00–20:00, the send window's default.
 */
export const SHOP_HOURS = { openMinute: 8 * 60, closeMinute: 20 * 60 } as const

/**
 * A transfer "follows" a swap the holder never replied to when it is filed within this many days of the swap's
 * execution: the market's 30-day swap cooling refuses any transfer before day 30, so the window covers the cooling
 * and 30 days after it (the incident's transfer came right after the cooling ended).
 */
export const SWAP_THEN_TRANSFER_DAYS = 60

/** A requester and approver pair is "repeated" when it appears on at least this many approved requests. */
export const REPEATED_PAIR_MIN = 3

/** A volume up to this multiple of the peers' median is ordinary; only the excess counts in the score. */
export const VOLUME_FREE_RATIO = 2

/**
 * Points per unit of each signal. A swap without the holder's reply followed by a transfer is the incident's own
 * pattern and alone reaches the alert threshold; the other signals add up to it only when several agree.
 */
export const SIGNAL_WEIGHTS = {
  refused_attempts: 2,
  swap_without_reply_then_transfer: 10,
  repeated_pairs: 2,
  off_hours: 0.5,
  away_from_shop: 1,
  volume: 2,
} as const

/** The score at or above which the periodic job raises a `staff_risk_signal` alert naming the staff member. */
export const ALERT_THRESHOLD = 10

export interface AnalysisOptions {
  pairMin: number
  followDays: number
  volumeFreeRatio: number
  weights: Readonly<Record<keyof typeof SIGNAL_WEIGHTS, number>>
}

export const DEFAULT_OPTIONS: AnalysisOptions = {
  pairMin: REPEATED_PAIR_MIN,
  followDays: SWAP_THEN_TRANSFER_DAYS,
  volumeFreeRatio: VOLUME_FREE_RATIO,
  weights: SIGNAL_WEIGHTS,
}
