import { Empty } from '../../components/Status'
import { fmtJson, fmtTime, label } from '../../format'
import type { Actor, HistoryEntry } from '../../types'

function actorText(a: Actor): string {
  if (a.kind === 'staff') return a.username ?? a.staff_id ?? 'staff'
  if (a.kind === 'machine') return `machine ${a.client_id ?? ''}`.trim()
  return a.username ?? a.client_id ?? a.kind
}

function Json({ v }: { v: unknown }) {
  const s = fmtJson(v)
  return (
    <code className="json" title={s}>
      {s}
    </code>
  )
}

/** The number's audit leaves, as recorded in the tamper-evident log. */
export function HistoryTable({ history }: { history: HistoryEntry[] }) {
  if (history.length === 0) return <Empty title="No history">Nothing has been recorded for this number yet.</Empty>
  return (
    <div className="table-wrap">
      <table className="table history" data-testid="history-table">
        <thead>
          <tr>
            <th>#</th>
            <th>When</th>
            <th>Action</th>
            <th>Actor</th>
            <th>Before</th>
            <th>After</th>
            <th>Basis</th>
          </tr>
        </thead>
        <tbody>
          {history.map((h) => (
            <tr key={h.event_id} data-testid="history-row">
              <td className="mono">{h.seq}</td>
              <td className="nowrap">{fmtTime(h.at)}</td>
              <td>{label(h.action)}</td>
              <td>
                <span className="pill">{h.actor.kind}</span> {actorText(h.actor)}
              </td>
              <td>
                <Json v={h.before} />
              </td>
              <td>
                <Json v={h.after} />
              </td>
              <td>
                <Json v={h.basis} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
