import { useQuery } from '@tanstack/react-query'
import { lazy, Suspense } from 'react'
import { api } from '../../api'
import { Link } from '../../components/Link'
import { Empty, Loading, QueryView } from '../../components/Status'
import { fmtCount, label } from '../../format'
import { NUMBER_STATES, type Stats } from '../../types'

const StatsChart = lazy(() => import('./StatsChart'))

export function StatsCard() {
  const q = useQuery({
    queryKey: ['stats', 'numbers'],
    queryFn: ({ signal }) => api<Stats>('/api/v1/stats/numbers', { signal }),
  })
  return (
    <section className="card" data-testid="stats-card">
      <h2>Numbers by state</h2>
      <QueryView q={q} what="number statistics">
        {(s) =>
          s.total === 0 ? (
            <Empty title="No numbers yet">
              An inventory manager imports a number range on the Inventory page; its numbers then appear here.
            </Empty>
          ) : (
            <>
              <div className="stat-total">
                <span className="stat-figure" data-testid="stats-total">
                  {fmtCount(s.total)}
                </span>{' '}
                numbers in total
                {Object.entries(s.by_category).map(([c, n]) => (
                  <span key={c} className="pill">
                    {label(c)} {fmtCount(n)}
                  </span>
                ))}
              </div>
              <Suspense fallback={<Loading what="Drawing the chart" />}>
                <StatsChart byState={s.by_state} />
              </Suspense>
              <ul className="legend">
                {NUMBER_STATES.map((st) => (
                  <li key={st}>
                    <Link to={`/numbers?state=${st}`}>
                      <span className={`badge state-${st}`}>{label(st)}</span> {fmtCount(s.by_state[st] ?? 0)}
                    </Link>
                  </li>
                ))}
              </ul>
            </>
          )
        }
      </QueryView>
    </section>
  )
}
