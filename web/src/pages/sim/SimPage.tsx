import { useQuery } from '@tanstack/react-query'
import { api, seg } from '../../api'
import { Link } from '../../components/Link'
import { StateBadge } from '../../components/StateBadge'
import { Empty, QueryView } from '../../components/Status'
import { fmtTime, label } from '../../format'
import type { SimDetail } from '../../types'

export function SimPage({ iccid }: { iccid: string }) {
  const q = useQuery({
    queryKey: ['sim', iccid],
    queryFn: ({ signal }) => api<SimDetail>(`/api/v1/sims/${seg(iccid)}`, { signal }),
  })
  return (
    <div className="page" data-testid="page-sim">
      <p className="crumbs">SIM</p>
      <QueryView q={q} what={`SIM ${iccid}`}>
        {(s) => (
          <>
            <div className="title-row">
              <h1 className="mono" data-testid="sim-iccid">
                {s.iccid}
              </h1>
              <StateBadge state={s.state} kind="sim" testId="sim-state" />
            </div>
            <section className="card">
              <dl className="facts">
                <dt>ICCID</dt>
                <dd className="mono">{s.iccid}</dd>
                <dt>IMSI</dt>
                <dd className="mono">{s.imsi}</dd>
                <dt>State</dt>
                <dd>{label(s.state)}</dd>
                <dt>Shop</dt>
                <dd>{s.shop_id ? <code>{s.shop_id}</code> : 'not allocated to a shop'}</dd>
              </dl>
            </section>
            <section className="card">
              <h2>Numbers served</h2>
              {s.bindings.length === 0 ? (
                <Empty title="Never bound">
                  This SIM has not served a number yet. It is bound when a number is sold with it.
                </Empty>
              ) : (
                <div className="table-wrap">
                  <table className="table" data-testid="sim-bindings-table">
                    <thead>
                      <tr>
                        <th>MSISDN</th>
                        <th>From</th>
                        <th>To</th>
                        <th>End reason</th>
                      </tr>
                    </thead>
                    <tbody>
                      {s.bindings.map((b) => (
                        <tr key={`${b.msisdn}-${b.started_at}`}>
                          <td className="mono nowrap" data-testid="sim-binding-msisdn">
                            {b.withheld ? (
                              <span title="The holder’s account: verify the customer to see it">{b.msisdn}</span>
                            ) : (
                              <Link to={`/numbers/${seg(b.msisdn)}`}>{b.msisdn}</Link>
                            )}
                          </td>
                          <td className="nowrap">{fmtTime(b.started_at)}</td>
                          <td className="nowrap">{b.ended_at ? fmtTime(b.ended_at) : <strong>current</strong>}</td>
                          <td>{label(b.end_reason)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </section>
          </>
        )}
      </QueryView>
    </div>
  )
}
