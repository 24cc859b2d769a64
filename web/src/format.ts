// Display helpers. Times are shown in the operator's time zone with the zone named.
const TZ = 'Asia/Phnom_Penh'

const dateTime = new Intl.DateTimeFormat('en-GB', {
  timeZone: TZ,
  year: 'numeric',
  month: 'short',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
})

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return dateTime.format(d)
}

export const TZ_LABEL = 'Phnom Penh time'

const dateOnly = new Intl.DateTimeFormat('en-GB', { timeZone: TZ, year: 'numeric', month: 'short', day: 'numeric' })

/** A date without the time ("12 Mar 2026"), in the operator's time zone. */
export function fmtDate(iso: string | null | undefined): string {
  if (!iso) return '—'
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : dateOnly.format(d)
}

/** A long identifier shortened for a table cell (UUIDs to their first 8 characters, hashes and ICCIDs to both ends). */
export function shortId(s: string): string {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)) return `${s.slice(0, 8)}…`
  return s.length > 16 ? `${s.slice(0, 8)}…${s.slice(-4)}` : s
}

/** True for a value that reads as an ISO timestamp. */
export const isIsoTime = (v: unknown): v is string =>
  typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v) && !Number.isNaN(Date.parse(v))

export function fmtJson(v: unknown): string {
  if (v === null || v === undefined) return '—'
  if (typeof v === 'string') return v
  try {
    return JSON.stringify(v)
  } catch {
    return String(v)
  }
}

export const label = (s: string | null | undefined): string => (s ? s.replaceAll('_', ' ') : '—')

/** A count with thousands separators; tolerates a missing value. */
export const fmtCount = (n: number | null | undefined): string =>
  typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString('en') : '—'
