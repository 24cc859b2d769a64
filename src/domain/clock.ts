// All time comes from an injected clock that never goes backwards (exclusion ranges rely on it).

export interface Clock {
  now(): Date
}

/** Wall time, made monotonic: a step back of the system clock repeats the last instant instead. */
export class SystemClock implements Clock {
  #last = 0
  now(): Date {
    this.#last = Math.max(this.#last, Date.now())
    return new Date(this.#last)
  }
}

/** Demo and test clock: wall time plus an offset that only grows. */
export class MovableClock implements Clock {
  #base: Clock
  #offsetMs: number

  constructor(offsetMs = 0, base: Clock = new SystemClock()) {
    this.#base = base
    this.#offsetMs = offsetMs
  }

  get offsetMs(): number {
    return this.#offsetMs
  }

  now(): Date {
    return new Date(this.#base.now().getTime() + this.#offsetMs)
  }

  advance(ms: number): Date {
    if (!Number.isFinite(ms) || ms <= 0) throw new RangeError('the clock only moves forward')
    this.#offsetMs += ms
    return this.now()
  }
}

/** A clock frozen at an instant that tests move on purpose. */
export class ManualClock implements Clock {
  #t: number
  constructor(start: Date | string) {
    this.#t = new Date(start).getTime()
  }
  now(): Date {
    return new Date(this.#t)
  }
  advance(ms: number): Date {
    if (ms < 0) throw new RangeError('the clock only moves forward')
    this.#t += ms
    return this.now()
  }
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** Parses durations such as `30d`, `12h`, `90m`, `45s`. */
export function parseDuration(text: string): number | null {
  const m = /^\s*(\d{1,6})\s*([smhd])\s*$/.exec(text)
  return m ? Number(m[1]) * UNITS[m[2]] : null
}
