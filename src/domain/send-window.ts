// The SMS send window (policy `send_window`, e.g. 08:00–20:00) in the operator's time zone. Pure: Intl only.
import { ValidationError } from './errors.ts'

export interface SendWindow {
  /** Local wall-clock time the window opens, `HH:MM`. */
  from: string
  /** Local wall-clock time it closes (exclusive), `HH:MM`; before `from` means the window spans midnight. */
  to: string
}

export const DEFAULT_SEND_WINDOW: SendWindow = { from: '08:00', to: '20:00' }
export const DEFAULT_TIME_ZONE = 'Asia/Phnom_Penh'

const HHMM = /^([01][0-9]|2[0-3]):([0-5][0-9])$/

function minutesOf(text: string, field: string): number {
  const m = HHMM.exec(text)
  if (!m) throw new ValidationError(field, `${field} must be a time such as 08:00`)
  return Number(m[1]) * 60 + Number(m[2])
}

/** Checks a window read from a policy; an empty window (from = to) would never let a notice out. */
export function parseSendWindow(input: unknown): SendWindow {
  const w = (input ?? {}) as Partial<SendWindow>
  const from = minutesOf(String(w.from ?? ''), 'send_window.from')
  const to = minutesOf(String(w.to ?? ''), 'send_window.to')
  if (from === to) throw new ValidationError('send_window', 'send_window must not be empty (from equals to)')
  return { from: String(w.from), to: String(w.to) }
}

const formatters = new Map<string, Intl.DateTimeFormat>()
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    formatters.set(timeZone, f)
  }
  return f
}

/** The local calendar date (`YYYY-MM-DD`) and minute of the day of an instant in a time zone. */
export function localTime(at: Date, timeZone: string): { date: string; minutes: number; seconds: number } {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  )
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
    seconds: Number(parts.second),
  }
}

/** Adds calendar days to a `YYYY-MM-DD` date. */
export function addDays(date: string, days: number): string {
  const t = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000
  return new Date(t).toISOString().slice(0, 10)
}

/** The instant a local wall-clock time occurs in a time zone (the later one in a DST gap, the earlier in an overlap). */
export function zonedInstant(date: string, minutes: number, timeZone: string): Date {
  const wall = Date.parse(`${date}T00:00:00Z`) + minutes * 60_000
  const offsetAt = (t: number) => {
    const l = localTime(new Date(t), timeZone)
    return Date.parse(`${l.date}T00:00:00Z`) + l.minutes * 60_000 + l.seconds * 1000 - Math.floor(t / 1000) * 1000
  }
  let guess = wall - offsetAt(wall)
  const second = wall - offsetAt(guess)
  if (second !== guess) guess = Math.max(guess, second)
  return new Date(guess)
}

export function isWithinSendWindow(at: Date, window: SendWindow, timeZone: string): boolean {
  const from = minutesOf(window.from, 'send_window.from')
  const to = minutesOf(window.to, 'send_window.to')
  const { minutes } = localTime(at, timeZone)
  return from < to ? minutes >= from && minutes < to : minutes >= from || minutes < to
}

/**
 * When a notice queued at `now` may go out: `now` inside the window, else the window's next opening
 * (later today when it has not opened yet, tomorrow when it has already closed).
 */
export function nextSendTime(now: Date, window: SendWindow, timeZone: string): Date {
  if (isWithinSendWindow(now, window, timeZone)) return now
  const from = minutesOf(window.from, 'send_window.from')
  const local = localTime(now, timeZone)
  const day = local.minutes < from ? local.date : addDays(local.date, 1)
  return zonedInstant(day, from, timeZone)
}
