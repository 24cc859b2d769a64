import { useQuery } from '@tanstack/react-query'
import { api, seg } from '../../api'
import { Link } from '../../components/Link'
import { StateBadge } from '../../components/StateBadge'
import { QueryView } from '../../components/Status'
import { fmtTime, label } from '../../format'
import type { NumberDetail } from '../../types'
import { NumberActions } from '../numbers/NumberActions'
import { BindingsTable } from './BindingsTable'
import { CustodyTimeline } from './CustodyTimeline'
import { HistoryTable } from './HistoryTable'

export function NumberDetailPage({ msisdn }: { msisdn: string }) {
  const q = useQuery({
    queryKey: ['number', msisdn],
    queryFn: ({ signal }) => api<NumberDetail>(`/api/v1/numbers/${seg(msisdn)}`, { signal }),
  })
  return (
    <div className="page" data-testid="page-number">
      <p className="crumbs">
        <Link to="/numbers">Numbers</Link> / <span className="mono">{msisdn}</span>
      </p>
      <QueryView q={q} what={`number ${msisdn}`}>
        {(n) => {
          const holder = n.current_custody
          return (
            <>
              <div className="title-row">
                <h1 className="mono" data-testid="number-msisdn">
                  {n.msisdn}
                </h1>
                <StateBadge state={n.state} testId="number-state" />
              </div>
              <section className="card">
                <dl className="facts">
                  <dt>Category</dt>
                  <dd>{label(n.category)}</dd>
                  <dt>In this state since</dt>
                  <dd>{fmtTime(n.state_changed_at)}</dd>
                  <dt>Range</dt>
                  <dd className="mono">
                    {n.range.first} – {n.range.last}
                  </dd>
                  <dt>Reservation</dt>
                  <dd data-testid="number-reservation">
                    {n.reservation ? `${n.reservation.by} until ${fmtTime(n.reservation.until)}` : 'none'}
                  </dd>
                  <dt>Current holder</dt>
                  <dd data-testid="number-holder">
                    {holder ? (
                      <>
                        <Link to={`/subscribers/${seg(holder.subscriber.id)}`}>{holder.subscriber.name_masked}</Link>{' '}
                        <span className="muted">
                          ({label(holder.subscriber.party_kind)}, {label(holder.subscriber.account_type)}, since{' '}
                          {fmtTime(holder.started_at)} by {label(holder.basis)})
                        </span>
                      </>
                    ) : (
                      'nobody holds this number'
                    )}
                  </dd>
                </dl>
                <NumberActions msisdn={n.msisdn} abilities={n.abilities} />
              </section>
              <section className="card">
                <h2>Custody timeline</h2>
                <CustodyTimeline custodies={n.custodies} />
              </section>
              <section className="card">
                <h2>SIM bindings</h2>
                <BindingsTable bindings={n.sim_bindings} />
              </section>
              <section className="card">
                <h2>Audit history</h2>
                <HistoryTable history={n.history} />
              </section>
            </>
          )
        }}
      </QueryView>
    </div>
  )
}
