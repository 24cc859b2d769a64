import { useQuery } from '@tanstack/react-query'
import { api, seg } from '../../api'
import { Link } from '../../components/Link'
import { Empty, QueryView } from '../../components/Status'
import { fmtTime, label } from '../../format'
import type { SubscriberDetail } from '../../types'

/** A subscriber, masked as the server sends it. Agents reach it only after authenticating the customer. */
export function SubscriberPage({ id }: { id: string }) {
  const q = useQuery({
    queryKey: ['subscriber', id],
    queryFn: ({ signal }) => api<SubscriberDetail>(`/api/v1/subscribers/${seg(id)}`, { signal }),
  })
  return (
    <div className="page" data-testid="page-subscriber">
      <p className="crumbs">Subscriber</p>
      <QueryView q={q} what={`subscriber ${id}`}>
        {(s) => (
          <>
            <h1 data-testid="subscriber-name">{s.name_masked}</h1>
            <section className="card">
              <dl className="facts">
                <dt>Subscriber id</dt>
                <dd className="mono">{s.id}</dd>
                <dt>Party</dt>
                <dd>{label(s.party_kind)}</dd>
                <dt>Account</dt>
                <dd>{label(s.account_type)}</dd>
                <dt>Language</dt>
                <dd>{s.language === 'km' ? 'Khmer (km)' : s.language === 'en' ? 'English (en)' : s.language}</dd>
                <dt>ID document</dt>
                <dd>
                  {label(s.kyc_doc_kind)} ending <span className="mono">…{s.kyc_doc_last4}</span>
                </dd>
                <dt>Alternate contact</dt>
                <dd className="mono">{s.alt_contact_masked ?? '—'}</dd>
              </dl>
            </section>
            <section className="card">
              <h2>Numbers held</h2>
              {s.msisdns_masked && (
                <p className="muted" data-testid="subscriber-msisdns-masked">
                  Numbers are masked to their last 3 digits until the customer is authenticated.
                </p>
              )}
              {s.custodies.length === 0 ? (
                <Empty title="No numbers">This subscriber has never held a number.</Empty>
              ) : (
                <div className="table-wrap">
                  <table className="table" data-testid="subscriber-custodies-table">
                    <thead>
                      <tr>
                        <th>MSISDN</th>
                        <th>Basis</th>
                        <th>From</th>
                        <th>To</th>
                        <th>End reason</th>
                      </tr>
                    </thead>
                    <tbody>
                      {s.custodies.map((c) => (
                        <tr key={`${c.msisdn}-${c.started_at}`}>
                          <td className="mono nowrap">
                            {s.msisdns_masked ? c.msisdn : <Link to={`/numbers/${seg(c.msisdn)}`}>{c.msisdn}</Link>}
                          </td>
                          <td>{label(c.basis)}</td>
                          <td className="nowrap">{fmtTime(c.started_at)}</td>
                          <td className="nowrap">{c.ended_at ? fmtTime(c.ended_at) : <strong>current</strong>}</td>
                          <td>{label(c.end_reason)}</td>
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
