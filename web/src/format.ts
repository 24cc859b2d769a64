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
