import { useQuery } from '@tanstack/react-query'
import { api, seg } from '../../api'
import { Link } from '../../components/Link'
import { StateBadge } from '../../components/StateBadge'
import { QueryView } from '../../components/Status'
import { fmtTime, label } from '../../format'
import type { NumberDetail } from '../../types'
import { ComplaintPanel } from '../cases/ComplaintForm'
import { HoldBanner } from '../cases/HoldBanner'
import { ChangesPanel } from '../changes/ChangesPanel'
import { SimSwapPanel } from '../changes/SimSwapPanel'
import { CustomerAccess } from '../customer/CustomerAccess'
import { NumberActions } from '../numbers/NumberActions'
import { AccountWithheld } from './AccountWithheld'
import { BindingsTable } from './BindingsTable'
import { CustodyTimeline } from './CustodyTimeline'
import { HistoryTable } from './HistoryTable'
import { NumberRequests } from './NumberRequests'
import { RecyclingPanel } from './RecyclingPanel'

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
          // The account is withheld (no customer session): one panel says so instead of empty tables.
          const restricted = n.account.view === 'restricted' && n.account.withheld.length > 0
          return (
            <>
              <div className="title-row">
                <h1 className="mono" data-testid="number-msisdn">
                  {n.msisdn}
                </h1>
                <StateBadge state={n.state} testId="number-state" />
              </div>
              <HoldBanner msisdn={n.msisdn} />
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
                    {holder?.subscriber ? (
                      <>
                        <Link to={`/subscribers/${seg(holder.subscriber.id)}`}>
                          {holder.subscriber.name ?? holder.subscriber.name_masked}
                        </Link>{' '}
                        <span className="muted">
                          ({label(holder.subscriber.party_kind)}, {label(holder.subscriber.account_type)}, since{' '}
                          {fmtTime(holder.started_at)} by {label(holder.basis)})
                        </span>
                      </>
                    ) : n.account.held ? (
                      <span className="muted">held — the holder is shown once the customer is verified</span>
                    ) : (
                      'nobody holds this number'
                    )}
                  </dd>
                </dl>
                <NumberActions msisdn={n.msisdn} abilities={n.abilities} />
                {holder?.subscriber && <CustomerAccess msisdn={n.msisdn} subscriberId={holder.subscriber.id} />}
              </section>
              {restricted && <AccountWithheld msisdn={n.msisdn} account={n.account} />}
              <ComplaintPanel msisdn={n.msisdn} />
              <ChangesPanel n={n} />
              <RecyclingPanel msisdn={n.msisdn} />
              <NumberRequests msisdn={n.msisdn} />
              <SimSwapPanel msisdn={n.msisdn} held={n.account.held} />
              {!restricted && (
                <>
                  <section className="card">
                    <h2>Custody timeline</h2>
                    <CustodyTimeline custodies={n.custodies} />
                  </section>
                  <section className="card">
                    <h2>SIM bindings</h2>
                    <BindingsTable bindings={n.sim_bindings} />
                  </section>
                </>
              )}
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
