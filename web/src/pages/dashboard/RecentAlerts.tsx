import { useQuery } from '@tanstack/react-query'
import { api } from '../../api'
import { Link } from '../../components/Link'
import { Empty, QueryView } from '../../components/Status'
import type { Alert, Page } from '../../types'
import { AlertsTable } from '../alerts/AlertsTable'

export function RecentAlerts() {
  const q = useQuery({
    queryKey: ['alerts', 'recent'],
    queryFn: ({ signal }) => api<Page<Alert>>('/api/v1/alerts?limit=8', { signal }),
    refetchInterval: 30_000,
  })
  return (
    <section className="card" data-testid="recent-alerts">
      <div className="card-head">
        <h2>Recent alerts</h2>
        <Link to="/alerts">All alerts →</Link>
      </div>
      <QueryView q={q} what="recent alerts">
        {(p) =>
          p.items.length === 0 ? (
            <Empty title="No alerts">Nothing needs attention. Refused attempts on numbers will show up here.</Empty>
          ) : (
            <AlertsTable items={p.items} testId="recent-alerts-table" />
          )
        }
      </QueryView>
    </section>
  )
}
