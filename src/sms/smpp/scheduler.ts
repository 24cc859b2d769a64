// Decides when a queued part may go out: a window (submits awaiting submit_sm_resp), a send-rate limit (token
// bucket) and two lanes, so a one-time code never waits behind a warning sweep. With a window of 2 or more, one
// slot is kept for 'otp' so bulk alone can never fill the window.
import type { SmsPriority } from '../transport.ts'

export interface SchedulerTimers {
  now(): number
  setTimer(fn: () => void, ms: number): () => void
}

export const realTimers: SchedulerTimers = {
  now: () => performance.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms)
    return () => clearTimeout(t)
  },
}

export interface SchedulerOptions {
  /** Most submits in flight at once. */
  window: number
  /** Messages per second. */
  ratePerSecond: number
  /** Tokens the bucket holds (how many may go back to back after a quiet spell). */
  burst?: number
  timers?: SchedulerTimers
}

interface Entry {
  priority: SmsPriority
  dispatch(release: () => void): void
  drop(reason: Error): void
}

export class SendScheduler {
  private readonly window: number
  private readonly rate: number
  private readonly burst: number
  private readonly timers: SchedulerTimers
  private readonly lanes: Record<SmsPriority, Entry[]> = { otp: [], bulk: [] }
  private tokens: number
  private lastRefill: number
  private cancelTimer: (() => void) | null = null
  private open = false
  inFlight = 0

  constructor(options: SchedulerOptions) {
    if (!Number.isInteger(options.window) || options.window < 1) throw new RangeError('window must be an integer ≥ 1')
    if (!(options.ratePerSecond > 0)) throw new RangeError('ratePerSecond must be > 0')
    this.window = options.window
    this.rate = options.ratePerSecond
    this.burst = Math.max(1, options.burst ?? 1)
    this.timers = options.timers ?? realTimers
    this.tokens = this.burst
    this.lastRefill = this.timers.now()
  }

  get queued(): number {
    return this.lanes.otp.length + this.lanes.bulk.length
  }

  /** Queues a part; `dispatch` runs when it may go out and must call `release` once its response (or timeout) is in. */
  enqueue(priority: SmsPriority, dispatch: Entry['dispatch'], drop: Entry['drop']): void {
    this.lanes[priority].push({ priority, dispatch, drop })
    this.pump()
  }

  /** Starts (bound) or stops (unbound) dispatching; queued entries stay queued. */
  setOpen(open: boolean): void {
    this.open = open
    if (open) this.pump()
    else this.stopTimer()
  }

  /** Drops every queued entry (never-sent parts) with the given reason. */
  dropAll(reason: Error): void {
    const all = [...this.lanes.otp, ...this.lanes.bulk]
    this.lanes.otp = []
    this.lanes.bulk = []
    this.stopTimer()
    for (const e of all) e.drop(reason)
  }

  /** The SMSC said we are too fast: spend `ms` worth of tokens so sending pauses about that long. */
  penalise(ms: number): void {
    this.refill()
    this.tokens -= (ms * this.rate) / 1000
  }

  private limitFor(priority: SmsPriority): number {
    return priority === 'bulk' && this.window >= 2 ? this.window - 1 : this.window
  }

  private refill(): void {
    const now = this.timers.now()
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.lastRefill) * this.rate) / 1000)
    this.lastRefill = now
  }

  private stopTimer(): void {
    this.cancelTimer?.()
    this.cancelTimer = null
  }

  private pump(): void {
    if (!this.open || this.cancelTimer) return
    while (this.queued > 0) {
      const lane: SmsPriority = this.lanes.otp.length > 0 ? 'otp' : 'bulk'
      if (this.inFlight >= this.limitFor(lane)) return
      this.refill()
      if (this.tokens < 1) {
        const wait = Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.rate))
        this.cancelTimer = this.timers.setTimer(() => {
          this.cancelTimer = null
          this.pump()
        }, wait)
        return
      }
      const entry = this.lanes[lane].shift()
      if (!entry) return
      this.tokens -= 1
      this.inFlight++
      let released = false
      entry.dispatch(() => {
        if (released) return
        released = true
        this.inFlight--
        this.pump()
      })
    }
  }
}
