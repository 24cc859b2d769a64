import { useQuery } from '@tanstack/react-query'
import { api, qs } from '../../api'
import { Empty, QueryView } from '../../components/Status'
import { navigate, useLocation } from '../../router'
import type { Alert, Page } from '../../types'
import { AlertsTable } from './AlertsTable'

const SEVERITIES = ['', 'risk', 'warning', 'info']

export function AlertsPage() {
  const { query } = useLocation()
  const severity = query.get('severity') ?? ''
  const q = useQuery({
    queryKey: ['alerts', severity],
    queryFn: ({ signal }) => api<Page<Alert>>(`/api/v1/alerts${qs({ severity, limit: 200 })}`, { signal }),
    refetchInterval: 30_000,
  })
  return (
    <div className="page" data-testid="page-alerts">
      <h1>Alerts</h1>
      <p className="muted">
        Refused attempts and signals for a person to look at. <span className="sev-key risk">risk</span> needs action,{' '}
        <span className="sev-key warning">warning</span> needs a look, <span className="sev-key info">info</span> is for
        the record.
      </p>
      <div className="filters">
        <label className="field inline">
          <span className="field-label">Severity</span>
          <select
            value={severity}
            onChange={(e) => navigate(`/alerts${qs({ severity: e.target.value })}`, { replace: true })}
            data-testid="alerts-severity"
          >
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s || 'all'}
              </option>
            ))}
          </select>
        </label>
      </div>
      <QueryView q={q} what="alerts">
        {(p) =>
          p.items.length === 0 ? (
            <Empty title={severity ? `No ${severity} alerts` : 'No alerts'}>
              Nothing has been raised{severity ? ' at this severity; choose “all” to see the rest' : ' yet'}. Alerts
              appear here when an attempt is refused or a rule needs a person to decide.
            </Empty>
          ) : (
            <AlertsTable items={p.items} />
          )
        }
      </QueryView>
    </div>
  )
}
