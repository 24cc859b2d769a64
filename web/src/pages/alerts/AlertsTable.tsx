import { seg } from '../../api'
import { Link } from '../../components/Link'
import { ShortId } from '../../components/ShortId'
import { StateBadge } from '../../components/StateBadge'
import { fmtTime } from '../../format'
import type { Alert } from '../../types'
import { AttemptText, kindLabel } from './attempt'

/** Alerts with severity colours (risk red, warning amber, info grey); each attempt in words. */
export function AlertsTable({ items, testId = 'alerts-table' }: { items: Alert[]; testId?: string }) {
  return (
    <div className="table-wrap">
      <table className="table alerts" data-testid={testId}>
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
              <td className="nowrap">
                {fmtTime(a.raised_at)}
                {(a.repeats ?? 1) > 1 && (
                  // A loop of identical refusals is one row: how often it came, and when last.
                  <div className="muted" data-testid="alert-repeats" title={`last at ${fmtTime(a.last_seen_at)}`}>
                    ×{a.repeats}, last {fmtTime(a.last_seen_at)}
                  </div>
                )}
              </td>
              <td>
                <StateBadge state={a.severity} kind="severity" testId="alert-severity" />
              </td>
              <td className="alert-kind" title={a.kind}>
                {kindLabel(a.kind)}
              </td>
              <td className="nowrap" data-testid="alert-staff">
                {a.staff_username ?? (a.staff_id ? <ShortId value={a.staff_id} /> : '—')}
              </td>
              <td className="mono nowrap">
                {a.msisdn ? <Link to={`/numbers/${seg(a.msisdn)}`}>{a.msisdn}</Link> : '—'}
              </td>
              <td className="attempt">
                <AttemptText alert={a} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
