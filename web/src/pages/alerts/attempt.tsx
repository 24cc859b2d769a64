// What an alert's `attempt` says, in words: known kinds as a sentence, anything else as a compact key: value list.
import type { ReactNode } from 'react'
import { ShortId } from '../../components/ShortId'
import { fmtDate, fmtTime, isIsoTime, label } from '../../format'
import type { Alert } from '../../types'

const KINDS: Record<string, string> = {
  attempt_on_active_number: 'Attempt on an active number',
  race_lost: 'Lost a race (another agent was first)',
  staff_sign_in_locked: 'Sign-in locked after failed passwords',
  database_guard_refused: "Refused by the database's guards",
  kyc_mismatch: 'ID document did not match',
  permission_denied: 'Refused: not allowed for this role',
  customer_session_required: 'No customer session for the holder',
  filing_limit_reached: 'Too many filings on one number',
}

/** A readable name for an alert kind; unknown kinds fall back to their words. */
export function kindLabel(kind: string): string {
  const known = KINDS[kind]
  if (known) return known
  const words = label(kind)
  return words.charAt(0).toUpperCase() + words.slice(1)
}

type Obj = Record<string, unknown>
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

function handOver(a: Obj, msisdn: string | null): ReactNode | null {
  const action = str(a.action)
  if (!action) return null
  const since = isIsoTime(a.state_changed_at) ? (
    <span className="nowrap"> (since {fmtDate(a.state_changed_at)})</span>
  ) : null
  const state = str(a.state)
  return (
    <>
      <strong>{label(action)}</strong> of <span className="mono">{msisdn ?? 'the number'}</span>
      {state && (
        <>
          {' '}
          while {label(state)}
          {since}
        </>
      )}
    </>
  )
}

function signInLocked(a: Obj): ReactNode {
  const who = str(a.username) ? (
    <strong>{str(a.username)}</strong>
  ) : str(a.username_sha256) ? (
    <>
      an unknown username (SHA-256 <ShortId value={String(a.username_sha256)} />)
    </>
  ) : (
    'an account'
  )
  const n = typeof a.failed_sign_ins === 'number' ? `${a.failed_sign_ins} failed passwords` : 'Failed passwords'
  return (
    <>
      {n} in a row for {who}
      {str(a.ip) && (
        <>
          {' '}
          from <span className="mono">{str(a.ip)}</span>
        </>
      )}
      ; sign-in was locked
    </>
  )
}

function guardRefused(a: Obj): ReactNode {
  const why = str(a.reason) ?? (str(a.constraint) ? `constraint ${a.constraint}` : undefined)
  return (
    <>
      The database refused the change{str(a.error) && <> ({label(str(a.error))})</>}
      {why && <>: {why}</>}
      {str(a.sqlstate) && (
        <>
          {' '}
          · SQLSTATE <code>{str(a.sqlstate)}</code>
        </>
      )}
    </>
  )
}

function kycMismatch(a: Obj, msisdn: string | null): ReactNode {
  return (
    <>
      {label(str(a.action) ?? 'sell')} of <span className="mono">{msisdn ?? 'a number'}</span> to subscriber{' '}
      {str(a.subscriber_id) ? <ShortId value={String(a.subscriber_id)} /> : '—'} with a document number that does not
      match theirs
    </>
  )
}

function value(v: unknown): ReactNode {
  if (v === null || v === undefined || v === '') return '—'
  if (isIsoTime(v)) return <span className="nowrap">{fmtTime(v)}</span>
  if (typeof v === 'string') return v.length > 24 ? <ShortId value={v} /> : v
  if (Array.isArray(v)) return v.every((x) => typeof x !== 'object') ? v.join(', ') : `${v.length} items`
  if (typeof v === 'object') return `${Object.keys(v).length} fields`
  return String(v)
}

/** Any attempt as "key: value · key: value" — never raw JSON. */
export function KeyValues({ obj }: { obj: Obj }) {
  const entries = Object.entries(obj)
  if (entries.length === 0) return <span className="muted">no details</span>
  return (
    <span className="kv">
      {entries.map(([k, v], i) => (
        <span key={k}>
          {i > 0 && ' · '}
          <span className="kv-key">{label(k)}</span> {value(v)}
        </span>
      ))}
    </span>
  )
}

/** The alert's attempt as a sentence (or a key: value list for kinds this console does not know). */
export function AttemptText({ alert }: { alert: Alert }) {
  const raw = alert.attempt
  const a: Obj = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Obj) : { value: raw }
  let text: ReactNode | null = null
  if (alert.kind === 'attempt_on_active_number' || alert.kind === 'race_lost') text = handOver(a, alert.msisdn)
  else if (alert.kind === 'staff_sign_in_locked') text = signInLocked(a)
  else if (alert.kind === 'database_guard_refused') text = guardRefused(a)
  else if (alert.kind === 'kyc_mismatch') text = kycMismatch(a, alert.msisdn)
  return <span data-testid="alert-attempt">{text ?? <KeyValues obj={a} />}</span>
}
