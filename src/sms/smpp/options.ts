// Options of the SMPP client, their defaults, and the rebind backoff.
import type { ConnectionOptions } from 'node:tls'
import type { Clock } from '../../domain/clock.ts'
import type { SchedulerTimers } from './scheduler.ts'

export interface SmppTransportOptions {
  /** Most submit_sm awaiting their response at once (default 10). */
  window?: number
  /** Send-rate limit in messages per second (default 50). */
  ratePerSecond?: number
  burst?: number
  /** Wait for a submit_sm_resp before the outcome is called unknown ('timeout'; default 10 s). */
  submitTimeoutMs?: number
  bindTimeoutMs?: number
  /** enquire_link period (default 30 s) and how long its response may take before the link is called dead. */
  enquireLinkMs?: number
  enquireLinkTimeoutMs?: number
  /** Rebind backoff: initial delay, cap, growth factor; each delay gets ±50 % jitter. */
  backoff?: { initialMs?: number; maxMs?: number; factor?: number }
  /** Queued parts beyond this are refused as 'throttled' (default 10,000). */
  maxQueue?: number
  /** smpps:// only: extra trusted CA(s). Certificate checks are always on unless rejectUnauthorized is false. */
  ca?: ConnectionOptions['ca']
  servername?: string
  rejectUnauthorized?: boolean
  /** How the SMSC expects data_coding 0x00 bodies: packed septets (default) or one septet per octet. */
  gsm7Packing?: 'packed' | 'unpacked'
  /** UTC offset of the SMSC clock that writes receipt dates (minutes, default 0). */
  receiptUtcOffsetMinutes?: number
  moReassemblyTimeoutMs?: number
  clock?: Clock
  random?: () => number
  timers?: SchedulerTimers
}

export const DEFAULTS = {
  window: 10,
  ratePerSecond: 50,
  submitTimeoutMs: 10_000,
  bindTimeoutMs: 10_000,
  enquireLinkMs: 30_000,
  enquireLinkTimeoutMs: 10_000,
  maxQueue: 10_000,
  moReassemblyTimeoutMs: 60_000,
}

/** The delay before rebind attempt `attempt` (0-based): exponential, capped, with ±50 % jitter. */
export function backoffDelay(
  attempt: number,
  backoff: SmppTransportOptions['backoff'] = {},
  random: () => number = Math.random,
): number {
  const initial = backoff.initialMs ?? 1_000
  const max = backoff.maxMs ?? 60_000
  const factor = backoff.factor ?? 2
  const base = Math.min(max, initial * factor ** Math.min(attempt, 50))
  return Math.round(base * (0.5 + random()))
}
