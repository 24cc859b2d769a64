import { seg } from '../../api'
import { Link } from '../../components/Link'
import { StateBadge } from '../../components/StateBadge'
import { fmtJson, fmtTime, label } from '../../format'
import type { Alert } from '../../types'

/** Alerts with severity colours (risk red, warning amber, info grey). */
export function AlertsTable({ items, testId = 'alerts-table' }: { items: Alert[]; testId?: string }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid={testId}>
        <thead>
          <tr>
            <th>Raised</th>
            <th>Severity</th>
            <th>Kind</th>
            <th>Staff</th>
            <th>Number</th>
            <th>Attempt</th>
          </tr>
        </thead>
        <tbody>
          {items.map((a) => (
            <tr key={a.id} className={`sev-row sev-row-${a.severity}`} data-testid="alert-row" data-kind={a.kind}>
              <td className="nowrap">{fmtTime(a.raised_at)}</td>
              <td>
                <StateBadge state={a.severity} kind="severity" testId="alert-severity" />
              </td>
              <td>{label(a.kind)}</td>
              <td>{a.staff_username ?? (a.staff_id ? <code>{a.staff_id}</code> : '—')}</td>
              <td className="mono nowrap">
                {a.msisdn ? <Link to={`/numbers/${seg(a.msisdn)}`}>{a.msisdn}</Link> : '—'}
              </td>
              <td className="attempt">
                <code title={fmtJson(a.attempt)}>{fmtJson(a.attempt)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
