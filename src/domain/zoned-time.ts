// Calendar days and wall-clock times in a time zone (the operator's: DOMAIN counts days there). Pure: Intl only.

/** A calendar day, `YYYY-MM-DD`. */
export type LocalDate = string

const formatters = new Map<string, Intl.DateTimeFormat>()
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
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

function wallClock(instant: Date, timeZone: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const p of formatter(timeZone).formatToParts(instant)) if (p.type !== 'literal') out[p.type] = Number(p.value)
  return out
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/** The local calendar date and minute of the day of an instant in a time zone. */
export function localTime(instant: Date, timeZone: string): { date: LocalDate; minutes: number; seconds: number } {
  const w = wallClock(instant, timeZone)
  return { date: localDate(instant, timeZone), minutes: w.hour * 60 + w.minute, seconds: w.second }
}

/** The calendar day an instant falls on in `timeZone`. */
export function localDate(instant: Date, timeZone: string): LocalDate {
  const w = wallClock(instant, timeZone)
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`
}

function utcMidnight(date: LocalDate): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
  if (!m) throw new RangeError(`not a YYYY-MM-DD date: ${date}`)
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
}

export function addDays(date: LocalDate, days: number): LocalDate {
  return new Date(utcMidnight(date) + days * 86_400_000).toISOString().slice(0, 10)
}

/** Whole calendar days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: LocalDate, to: LocalDate): number {
  return Math.round((utcMidnight(to) - utcMidnight(from)) / 86_400_000)
}

/** How far `timeZone`'s wall clock is ahead of UTC at `instant`, in milliseconds. */
function offsetMs(instant: number, timeZone: string): number {
  const w = wallClock(new Date(instant), timeZone)
  const wall = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second)
  return wall - Math.floor(instant / 1000) * 1000
}

/** The instant `time` (HH:MM, default midnight) of local day `date` happens in `timeZone`. */
export function localInstant(date: LocalDate, timeZone: string, time = '00:00'): Date {
  const [h, min] = time.split(':').map(Number)
  const wall = utcMidnight(date) + (h * 60 + min) * 60_000
  let guess = wall - offsetMs(wall, timeZone)
  // Around a DST change the offset at the guess can differ from the offset at the wall time; one more step settles it.
  const second = wall - offsetMs(guess, timeZone)
  if (second !== guess) guess = second
  return new Date(guess)
}
