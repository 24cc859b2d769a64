// The SMS send window (policy `send_window`, e.g. 08:00–20:00) in the operator's time zone. Pure: Intl only.
import { ValidationError } from './errors.ts'
import { addDays, localInstant, localTime } from './zoned-time.ts'

export { addDays, localTime } from './zoned-time.ts'

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

/** The instant a local wall-clock time (minutes after midnight) occurs on `date` in a time zone. */
export function zonedInstant(date: string, minutes: number, timeZone: string): Date {
  const hhmm = `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`
  return localInstant(date, timeZone, hhmm)
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
