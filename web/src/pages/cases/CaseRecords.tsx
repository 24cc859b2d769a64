import { seg } from '../../api'
import { Link } from '../../components/Link'
import { ShortId } from '../../components/ShortId'
import { fmtTime, label } from '../../format'
import type { CaseDetail } from './caseTypes'

/** What the case names (staff, requests, custodies) and the requests it filed: restorations and hold releases. */
export function CaseRecords({ c, who }: { c: CaseDetail; who: (id: string) => string }) {
  return (
    <div className="grid two">
      <section className="card" data-testid="case-links">
        <h2>Linked</h2>
        {c.links.length === 0 ? (
          <p className="muted">Nothing linked yet.</p>
        ) : (
          <ul>
            {c.links.map((l) => (
              <li key={`${l.kind}-${l.ref_id}`} data-testid="case-linked" data-kind={l.kind}>
                {label(l.kind)} {l.kind === 'staff' ? <strong>{who(l.ref_id)}</strong> : <ShortId value={l.ref_id} />}
                {l.note && <span className="muted"> — {l.note}</span>}{' '}
                <span className="muted">
                  ({who(l.linked_by)}, {fmtTime(l.linked_at)})
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="card" data-testid="case-requests">
        <h2>Restorations and releases</h2>
        {c.requests.length === 0 ? (
          <p className="muted">No restoration or hold release filed.</p>
        ) : (
          <ul>
            {c.requests.map((r) => (
              <li key={r.id} data-testid="case-request" data-kind={r.kind} data-status={r.status}>
                {label(r.kind)} of <span className="mono">{r.msisdn}</span>:{' '}
                <span className={`badge request-status status-${r.status}`}>{label(r.status)}</span>{' '}
                <span className="muted">
                  filed {fmtTime(r.requested_at)} by {who(r.requested_by)}
                  {r.assigned_to && `, assigned to ${who(r.assigned_to)}`}
                  {r.executed_at && `, executed ${fmtTime(r.executed_at)}`}
                </span>{' '}
                <Link to="/requests">decide on Requests</Link>
              </li>
            ))}
          </ul>
        )}
        {c.restorations.map((r) => (
          <p key={r.request_id} className={r.executed_at ? 'ok-note' : 'muted'} data-testid="case-restoration">
            {r.executed_at
              ? `${r.msisdn} restored ${fmtTime(r.executed_at)} to custody `
              : `${r.msisdn} to be restored to custody `}
            <ShortId value={r.rightful_custody_id} />
          </p>
        ))}
        {c.numbers.map((n) => (
          <p key={n} className="muted">
            <Link to={`/numbers/${seg(n)}`}>{n}</Link>: its custodies on the number page
          </p>
        ))}
      </section>
    </div>
  )
}
