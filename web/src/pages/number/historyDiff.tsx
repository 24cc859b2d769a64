// An audit leaf's before → after as a short readable diff, its actor and its basis, without raw JSON in the cell.
import type { ReactNode } from 'react'
import { ShortId } from '../../components/ShortId'
import { fmtCount, fmtTime, isIsoTime, label } from '../../format'
import type { Actor } from '../../types'

const KEY_LABELS: Record<string, string> = {
  iccid: 'SIM',
  custody_id: 'custody',
  subscriber_id: 'subscriber',
  shop_id: 'shop',
  alert_id: 'alert',
  request_id: 'request',
  migration_batch_id: 'migration batch',
  input_sha256: 'input SHA-256',
  reserved_by: 'reserved by',
  reserved_until: 'reserved until',
  state_changed_at: 'state since',
}

/** How many changes the cell shows before "+N more" (the rest is in the expanded record). */
const MAX_ITEMS = 5

const keyLabel = (k: string): string => KEY_LABELS[k] ?? label(k)
const isId = (s: string): boolean =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(s) || /^[0-9a-f]{32,}$/i.test(s) || /^\d{15,}$/.test(s)

export function Value({ v }: { v: unknown }): ReactNode {
  if (v === null || v === undefined || v === '') return '—'
  if (isIsoTime(v)) return <span className="nowrap">{fmtTime(v)}</span>
  if (typeof v === 'string') {
    if (isId(v)) return <ShortId value={v} />
    return /^\+\d{6,15}$/.test(v) ? <span className="mono">{v}</span> : label(v)
  }
  if (typeof v === 'number') return fmtCount(v)
  if (typeof v === 'boolean') return v ? 'yes' : 'no'
  if (Array.isArray(v))
    return v.every((x) => typeof x !== 'object') ? v.join(', ') : `${v.length} ${v.length === 1 ? 'item' : 'items'}`
  return `${Object.keys(v as object).length} fields`
}

type Obj = Record<string, unknown>
const asObj = (v: unknown): Obj | null =>
  v === null || v === undefined ? null : typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : { value: v }
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b)

interface Change {
  key: string
  before?: unknown
  after?: unknown
  kind: 'changed' | 'added' | 'removed'
}

/** The keys that differ between before and after, `state` first. */
export function changes(before: unknown, after: unknown): Change[] {
  const b = asObj(before) ?? {}
  const a = asObj(after) ?? {}
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])]
  keys.sort((x, y) => (x === 'state' ? -1 : y === 'state' ? 1 : 0))
  const out: Change[] = []
  for (const key of keys) {
    const inB = Object.hasOwn(b, key)
    const inA = Object.hasOwn(a, key)
    if (inB && inA && same(b[key], a[key])) continue
    out.push({ key, before: b[key], after: a[key], kind: inB && inA ? 'changed' : inA ? 'added' : 'removed' })
  }
  return out
}

/** "state: available → active; SIM 8985…3621; custody 45fd56f2…" */
export function DiffSummary({ before, after }: { before: unknown; after: unknown }) {
  const list = changes(before, after)
  if (list.length === 0) return <span className="muted">no change recorded</span>
  const shown = list.slice(0, MAX_ITEMS)
  return (
    <span className="diff" data-testid="history-diff">
      {shown.map((c, i) => (
        <span key={c.key} className={`diff-item diff-${c.kind}`}>
          {i > 0 && '; '}
          <span className="diff-key">{keyLabel(c.key)}</span>
          {c.kind === 'added' ? (
            <>
              {' '}
              <Value v={c.after} />
            </>
          ) : (
            <>
              : <Value v={c.before} /> → {c.kind === 'removed' ? '—' : <Value v={c.after} />}
            </>
          )}
        </span>
      ))}
      {list.length > shown.length && <span className="muted"> +{list.length - shown.length} more</span>}
    </span>
  )
}

/** A staff member by username, numguard itself by its component, a machine by its client id. */
export function ActorText({ a }: { a: Actor }) {
  if (a.kind === 'staff')
    return <span title={a.staff_id}>{a.username ?? (a.staff_id ? <ShortId value={a.staff_id} /> : 'staff')}</span>
  if (a.kind === 'system') return <span>system{a.component ? ` (${a.component})` : ''}</span>
  if (a.kind === 'machine')
    return (
      <span title="machine client">
        <code>{a.client_id ?? 'unknown client'}</code> <span className="pill">machine</span>
      </span>
    )
  return <span>{a.username ?? a.client_id ?? a.kind}</span>
}
