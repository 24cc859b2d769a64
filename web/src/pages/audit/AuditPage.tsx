import { useQuery } from '@tanstack/react-query'
import { type FormEvent, useEffect, useState } from 'react'
import { api, qs } from '../../api'
import { Empty, QueryView } from '../../components/Status'
import { fmtCount, fmtTime } from '../../format'
import { navigate, useLocation } from '../../router'
import { ReconcileCard } from './ReconcileCard'
import { parseCheckpointNote, verifyLeafInclusion, verifyNoteSignature } from './verify'

interface Checkpoint {
  size: number
  root_hash: string
  signed_at: string
  note: string
  cosignatures: { witness: string; key_id: string; cosigned_at: string }[]
}
interface TimelineItem {
  index: number
  event_id: string
  at: string
  action: string
  msisdn: string | null
  leaf: string
  envelope: { actor?: { kind?: string; username?: string; component?: string; client_id?: string } }
  proof: string[] | null
  proof_status: 'in_checkpoint' | 'awaiting_checkpoint'
}
interface Timeline {
  checkpoint: Checkpoint | null
  items: TimelineItem[]
}
interface PublicKey {
  origin: string
  vkey: string
  witnesses: string[]
}

const FILTERS = [
  { key: 'msisdn', label: 'Number' },
  { key: 'staff_id', label: 'Staff id' },
  { key: 'session_id', label: 'Session id' },
  { key: 'request_id', label: 'Request id' },
] as const

/** The audit log: its latest signed checkpoint, and the timeline of a number, staff member, session or request. */
export function AuditPage() {
  const { query } = useLocation()
  const by = FILTERS.find((f) => query.get(f.key))?.key
  const value = by ? (query.get(by) ?? '') : ''
  const key = useQuery({ queryKey: ['audit-key'], queryFn: () => api<PublicKey>('/api/v1/audit/public-key') })
  const cp = useQuery({
    queryKey: ['audit-checkpoint'],
    queryFn: ({ signal }) => api<Checkpoint>('/api/v1/audit/checkpoint', { signal }),
    refetchInterval: 30_000,
  })
  return (
    <div className="page" data-testid="page-audit">
      <h1>Audit log</h1>
      <p className="muted">
        Every action is a leaf of a Merkle tree whose head is signed and cosigned by witnesses outside the operator.
        Proofs below are checked in this browser against the signed checkpoint.
      </p>
      <QueryView q={cp} what="the checkpoint">
        {(c) => <CheckpointCard c={c} vkey={key.data?.vkey} />}
      </QueryView>
      <ReconcileCard />
      <TimelineForm by={by ?? 'msisdn'} value={value} />
      {by && value ? <TimelineView by={by} value={value} /> : null}
    </div>
  )
}

function CheckpointCard({ c, vkey }: { c: Checkpoint; vkey?: string }) {
  const [signature, setSignature] = useState<boolean | null | undefined>(undefined)
  useEffect(() => {
    if (vkey) verifyNoteSignature(c.note, vkey).then(setSignature, () => setSignature(false))
  }, [c.note, vkey])
  const sig =
    signature === undefined
      ? 'checking…'
      : signature === null
        ? 'checked by the server (this browser has no Ed25519)'
        : signature
          ? 'verified here ✓'
          : 'DOES NOT VERIFY ✗'
  return (
    <div className="card" data-testid="audit-checkpoint">
      <div className="card-head">
        <strong>
          Checkpoint: {fmtCount(c.size)} leaves, signed {fmtTime(c.signed_at)}
        </strong>
        <span data-testid="audit-signature">signature {sig}</span>
      </div>
      <p className="mono small">root {c.root_hash}</p>
      <p>
        {c.cosignatures.length === 0
          ? 'No witness cosignature yet.'
          : c.cosignatures.map((w) => `cosigned by ${w.witness} at ${fmtTime(w.cosigned_at)}`).join('; ')}
      </p>
    </div>
  )
}

function TimelineForm({ by, value }: { by: string; value: string }) {
  const [kind, setKind] = useState(by)
  const [text, setText] = useState(value)
  function submit(e: FormEvent) {
    e.preventDefault()
    if (text.trim()) navigate(`/audit${qs({ [kind]: text.trim() })}`)
  }
  return (
    <form className="filters" onSubmit={submit} data-testid="audit-timeline-form">
      <label className="field inline">
        <span className="field-label">Timeline of</span>
        <select value={kind} onChange={(e) => setKind(e.target.value)} data-testid="audit-timeline-kind">
          {FILTERS.map((f) => (
            <option key={f.key} value={f.key}>
              {f.label}
            </option>
          ))}
        </select>
      </label>
      <label className="field inline">
        <span className="field-label">Value</span>
        <input value={text} onChange={(e) => setText(e.target.value)} data-testid="audit-timeline-value" />
      </label>
      <button type="submit" className="btn" data-testid="audit-timeline-show">
        Show
      </button>
    </form>
  )
}

function TimelineView({ by, value }: { by: string; value: string }) {
  const q = useQuery({
    queryKey: ['audit-timeline', by, value],
    queryFn: ({ signal }) => api<Timeline>(`/api/v1/audit/timeline${qs({ [by]: value, limit: 500 })}`, { signal }),
  })
  return (
    <QueryView q={q} what="the timeline">
      {(t) =>
        t.items.length === 0 ? (
          <Empty title="No leaves">Nothing in the log names this {by.replace('_id', '')} yet.</Empty>
        ) : (
          <TimelineTable t={t} />
        )
      }
    </QueryView>
  )
}

function TimelineTable({ t }: { t: Timeline }) {
  const [checked, setChecked] = useState<Record<number, boolean>>({})
  useEffect(() => {
    const head = t.checkpoint ? parseCheckpointNote(t.checkpoint.note) : null
    if (!head) return
    let live = true
    Promise.all(
      t.items.map(async (i) =>
        i.proof ? [i.index, await verifyLeafInclusion(i.leaf, i.index, head.size, i.proof, head.root)] : null,
      ),
    ).then((pairs) => {
      if (live) setChecked(Object.fromEntries(pairs.filter((p) => p !== null)))
    })
    return () => {
      live = false
    }
  }, [t])
  return (
    <div className="table-wrap">
      <table className="table" data-testid="audit-timeline">
        <thead>
          <tr>
            <th>Leaf</th>
            <th>When</th>
            <th>Action</th>
            <th>Who</th>
            <th>Number</th>
            <th>Proof</th>
          </tr>
        </thead>
        <tbody>
          {t.items.map((i) => {
            const a = i.envelope.actor ?? {}
            const status =
              i.proof_status === 'awaiting_checkpoint'
                ? 'awaiting the next checkpoint'
                : checked[i.index] === undefined
                  ? 'checking…'
                  : checked[i.index]
                    ? 'verified ✓'
                    : 'FAILS ✗'
            return (
              <tr key={i.index} data-testid="audit-leaf">
                <td className="mono">{i.index}</td>
                <td>{fmtTime(i.at)}</td>
                <td>{i.action}</td>
                <td>{a.username ?? a.component ?? a.client_id ?? a.kind ?? '—'}</td>
                <td className="mono">{i.msisdn ?? '—'}</td>
                <td data-testid="audit-proof-status">{status}</td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </div>
  )
}
