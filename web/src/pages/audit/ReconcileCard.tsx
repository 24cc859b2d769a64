import { useQuery } from '@tanstack/react-query'
import { api } from '../../api'
import { Link } from '../../components/Link'
import { QueryView } from '../../components/Status'
import { fmtCount, fmtTime } from '../../format'

interface ReconcileRun {
  id: string
  at: string
  trigger: 'cli' | 'worker' | 'api'
  leaves_read: number
  numbers_checked: number
  differences: number
  details: { msisdn: string; fields: { field: string }[] }[]
}

/**
 * The last reconciliation (GET /api/v1/audit/reconcile): when every number's holder, SIM and state were last rebuilt
 * from the leaves and compared with the tables, and what differed. Each difference is a risk alert: the link goes there.
 */
export function ReconcileCard() {
  const q = useQuery({
    queryKey: ['audit-reconcile'],
    queryFn: ({ signal }) => api<{ last: ReconcileRun | null }>('/api/v1/audit/reconcile', { signal }),
    refetchInterval: 60_000,
  })
  return (
    <QueryView q={q} what="the last reconciliation">
      {({ last }) => (
        <div className="card" data-testid="audit-reconcile">
          <div className="card-head">
            <strong>Reconciliation: the log against the tables</strong>
            <span data-testid="audit-reconcile-when">
              {last ? `last run ${fmtTime(last.at)} (${last.trigger})` : 'never run yet'}
            </span>
          </div>
          {last ? (
            <>
              <p data-testid="audit-reconcile-summary">
                {fmtCount(last.numbers_checked)} numbers checked against {fmtCount(last.leaves_read)} leaves:{' '}
                {last.differences === 0 ? (
                  'no difference'
                ) : (
                  <span className="sev-key risk">
                    {fmtCount(last.differences)} difference{last.differences === 1 ? '' : 's'}
                  </span>
                )}
              </p>
              {last.differences > 0 ? (
                <p className="small" data-testid="audit-reconcile-differing">
                  {last.details
                    .slice(0, 5)
                    .map((d) => `${d.msisdn} (${d.fields.map((f) => f.field).join(', ')})`)
                    .join('; ')}
                  {last.details.length > 5 ? ' …' : ''}
                </p>
              ) : null}
            </>
          ) : (
            <p className="muted">The worker reconciles at least hourly; `numguard audit reconcile` runs one now.</p>
          )}
          <Link to="/alerts?severity=risk" data-testid="audit-reconcile-alerts">
            Risk alerts
          </Link>
        </div>
      )}
    </QueryView>
  )
}
