// What this process knows of its SMSC link, for /healthz, /metrics and the bind-down alert: whether it is bound,
// since when it is not (on the app clock, so the alert threshold follows the injected clock), and counts of submits,
// receipts and link failures by outcome. Counts are this process's since it started (Prometheus counters).
import { sql } from 'kysely'
import type { App } from '../app.ts'
import { audited, raiseAlert, runCommand, unchanged } from '../audit/index.ts'
import type { Actor } from '../domain/actor.ts'
import type { Clock } from '../domain/clock.ts'
import { FINAL_RECEIPT_STATES, type ReceiptState, type SmppSubmitErrorCode } from './transport.ts'

export const SMSC_MONITOR_ACTOR: Actor = { kind: 'system', component: 'smsc-monitor' }
export const DEFAULT_DOWN_ALERT_SECONDS = 300

export type SubmitOutcome = 'accepted' | SmppSubmitErrorCode | 'error'
export const SUBMIT_OUTCOMES: readonly SubmitOutcome[] = [
  'accepted',
  'not_bound',
  'timeout',
  'rejected',
  'throttled',
  'error',
]
export const RECEIPT_OUTCOMES: readonly ReceiptState[] = [...FINAL_RECEIPT_STATES, 'ACCEPTD', 'ENROUTE', 'UNKNOWN']
export const FAILURE_OUTCOMES = [
  'connection_refused',
  'connection_lost',
  'unreachable',
  'tls',
  'bind_refused',
  'bind_timeout',
  'enquire_link_timeout',
  'unbound_by_smsc',
  'other',
] as const
export type FailureOutcome = (typeof FAILURE_OUTCOMES)[number]

/** A transport's failure reason (an errno code, 'bind_refused:0x0d' …) as one of a few stable label values. */
export function failureOutcome(reason: string): FailureOutcome {
  if (reason === 'ECONNREFUSED') return 'connection_refused'
  if (['ECONNRESET', 'EPIPE', 'connection_closed'].includes(reason)) return 'connection_lost'
  if (['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(reason)) return 'unreachable'
  if (/^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED)/.test(reason)) return 'tls'
  if (reason.startsWith('bind_refused')) return 'bind_refused'
  const known = FAILURE_OUTCOMES as readonly string[]
  return known.includes(reason) ? (reason as FailureOutcome) : 'other'
}

export interface SmscState {
  bound: boolean
  /** When the link was last seen going down (or the process started unbound); null while bound. */
  downSince: Date | null
  reason: string | null
}

export class SmscHealth {
  readonly submits = new Map<SubmitOutcome, number>()
  readonly receipts = new Map<ReceiptState, number>()
  readonly failures = new Map<FailureOutcome, number>()
  #clock: Clock
  #state: SmscState
  /** The outage (its downSince) an alert was raised for: one alert per outage, not one per worker pass. */
  #alertedFor: Date | null = null

  constructor(clock: Clock, bound: boolean) {
    this.#clock = clock
    this.#state = { bound, downSince: bound ? null : clock.now(), reason: bound ? null : 'not_yet_bound' }
  }

  state(): SmscState {
    return { ...this.#state }
  }

  /** From the transport's onStatus: a new outage starts at the first unbound status after a bound one. */
  status(s: { bound: boolean; reason?: string }): void {
    if (s.bound) this.#state = { bound: true, downSince: null, reason: null }
    else
      this.#state = {
        bound: false,
        downSince: this.#state.downSince ?? this.#clock.now(),
        reason: s.reason ?? this.#state.reason,
      }
  }

  failure(reason: string): void {
    bump(this.failures, failureOutcome(reason))
  }

  submit(outcome: SubmitOutcome): void {
    bump(this.submits, outcome)
  }

  receipt(state: ReceiptState): void {
    bump(this.receipts, state)
  }

  /** The outage that has lasted longer than `thresholdMs` at `now` and has not been alerted yet, if any. */
  outageToAlert(now: Date, thresholdMs: number): Date | null {
    const since = this.#state.downSince
    if (!since || this.#alertedFor?.getTime() === since.getTime()) return null
    return now.getTime() - since.getTime() > thresholdMs ? since : null
  }

  markAlerted(since: Date): void {
    this.#alertedFor = since
  }
}

function bump<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1)
}

/**
 * The worker's check: an `smsc_bind_down` alert (risk: warnings and one-time codes cannot go out) once the bind has
 * been down longer than SMPP_DOWN_ALERT_SECONDS on the app clock; once per outage, and not again when another
 * process already raised one for it.
 */
export async function alertIfSmscDown(app: App): Promise<boolean> {
  const health = app.sms?.health
  if (!health) return false
  const now = app.clock.now()
  const thresholdSeconds = app.config.sms?.downAlertSeconds ?? DEFAULT_DOWN_ALERT_SECONDS
  const since = health.outageToAlert(now, thresholdSeconds * 1000)
  if (!since) return false
  const { reason } = health.state()
  const raised = await runCommand(app.deps, SMSC_MONITOR_ACTOR, async (ctx) => {
    // Several workers see the same outage: one alert between them.
    await sql`SELECT pg_advisory_xact_lock(hashtext('numguard.smsc_bind_down.' || current_schema()))`.execute(ctx.tx)
    const earlier = await ctx.tx
      .selectFrom('alerts')
      .select('id')
      .where('raised_at', '>=', since)
      .where('kind', '=', 'smsc_bind_down')
      .limit(1)
      .executeTakeFirst()
    if (earlier) return unchanged(false)
    const { receipt } = await raiseAlert(ctx, {
      kind: 'smsc_bind_down',
      severity: 'risk',
      attempt: {
        down_since: since.toISOString(),
        down_seconds: Math.floor((ctx.now.getTime() - since.getTime()) / 1000),
        threshold_seconds: thresholdSeconds,
        reason,
      },
    })
    return audited(true, [receipt])
  })
  health.markAlerted(since)
  return raised
}
