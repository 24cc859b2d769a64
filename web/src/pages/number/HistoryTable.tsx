import { Empty } from '../../components/Status'
import { fmtTime, label } from '../../format'
import type { HistoryEntry } from '../../types'
import { ActorText, DiffSummary, Value } from './historyDiff'

/** A recorded value in full: objects as key/value tables (nested as needed), never shortened. */
function Full({ v }: { v: unknown }) {
  if (v === null || v === undefined || v === '') return <span className="muted">—</span>
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x !== 'object' || x === null)) return <span className="mono">{v.join(', ')}</span>
    return (
      <ol className="record-list">
        {v.map((x, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a recorded list never reorders
          <li key={i}>
            <Full v={x} />
          </li>
        ))}
      </ol>
    )
  }
  if (typeof v === 'object')
    return (
      <table className="record-kv">
        <tbody>
          {Object.entries(v as Record<string, unknown>).map(([k, x]) => (
            <tr key={k}>
              <th>{k}</th>
              <td>
                <Full v={x} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    )
  return <span className="mono">{String(v)}</span>
}

/** The whole leaf, for the reader who needs every field: before, after, basis and actor as recorded. */
function FullRecord({ h }: { h: HistoryEntry }) {
  return (
    <details className="record" data-testid="history-details">
      <summary>Full record</summary>
      <dl>
        <dt>Before</dt>
        <dd>
          <Full v={h.before} />
        </dd>
        <dt>After</dt>
        <dd>
          <Full v={h.after} />
        </dd>
        <dt>Basis</dt>
        <dd>
          <Full v={h.basis} />
        </dd>
        <dt>Actor</dt>
        <dd>
          <Full v={h.actor} />
        </dd>
        <dt>Event</dt>
        <dd>
          <code>{h.event_id}</code>
        </dd>
      </dl>
    </details>
  )
}

/** The number's audit leaves, as recorded in the tamper-evident log: what changed, by whom, on what basis. */
export function HistoryTable({ history }: { history: HistoryEntry[] }) {
  if (history.length === 0) return <Empty title="No history">Nothing has been recorded for this number yet.</Empty>
  return (
    <div className="table-wrap">
      <table className="table history" data-testid="history-table">
        <colgroup>
          <col className="c-seq" />
          <col className="c-when" />
          <col className="c-action" />
          <col className="c-actor" />
          <col />
          <col className="c-basis" />
        </colgroup>
        <thead>
          <tr>
            <th>#</th>
            <th>When</th>
            <th>Action</th>
            <th>Actor</th>
            <th>Before → after</th>
            <th>Basis</th>
          </tr>
        </thead>
        <tbody>
          {history.map((h) => (
            <tr key={h.event_id} data-testid="history-row" data-action={h.action}>
              <td className="mono">{h.seq}</td>
              <td className="nowrap">{fmtTime(h.at)}</td>
              <td title={h.action}>{label(h.action.replaceAll('.', '_'))}</td>
              <td data-testid="history-actor">
                <ActorText a={h.actor} />
              </td>
              <td className="wrap">
                <DiffSummary before={h.before} after={h.after} />
                {h.details_withheld && (
                  <span className="muted" data-testid="history-withheld" title="Whom or which SIM it concerned">
                    {' '}
                    (details not shown)
                  </span>
                )}
                <FullRecord h={h} />
              </td>
              <td className="wrap">
                <Value v={h.basis} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
