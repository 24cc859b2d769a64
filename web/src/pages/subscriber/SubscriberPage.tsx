import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { ApiError, api, seg } from '../../api'
import { Link } from '../../components/Link'
import { Empty, QueryView } from '../../components/Status'
import { fmtTime, label } from '../../format'
import type { SubscriberDetail } from '../../types'
import { VerifyCustomer } from '../customer/VerifyCustomer'

/**
 * A subscriber as the server shows them to the caller: in full to an agent inside a customer session, masked to the
 * supervisors, compliance officers and auditors who need the record for their work. An agent without a customer
 * session is offered the "Verify customer" dialog instead (invariant 10).
 */
export function SubscriberPage({ id }: { id: string }) {
  const qc = useQueryClient()
  const q = useQuery({
    queryKey: ['subscriber', id],
    queryFn: ({ signal }) => api<SubscriberDetail>(`/api/v1/subscribers/${seg(id)}`, { signal }),
    retry: (n, e) => !(e instanceof ApiError && e.status === 403) && n < 2,
  })
  const close = useMutation({
    mutationFn: (sessionId: string) => api(`/api/v1/customer-sessions/${seg(sessionId)}`, { method: 'DELETE' }),
    onSettled: () => {
      qc.invalidateQueries({ queryKey: ['customer-sessions'] })
      qc.invalidateQueries({ queryKey: ['subscriber', id] })
    },
  })
  const needsSession = q.error instanceof ApiError && q.error.code === 'customer_session_required'
  if (needsSession)
    return (
      <div className="page" data-testid="page-subscriber">
        <p className="crumbs">Subscriber</p>
        <h1>Authenticate the customer first</h1>
        <p className="muted" data-testid="subscriber-needs-session">
          You see a customer’s account only after authenticating them: a code sent to their number, or their ID
          document. The opening is recorded.
        </p>
        <VerifyCustomer onOpened={() => q.refetch()} onClose={() => window.history.back()} />
      </div>
    )
  return (
    <div className="page" data-testid="page-subscriber">
      <p className="crumbs">Subscriber</p>
      <QueryView q={q} what={`subscriber ${id}`}>
        {(s) => (
          <>
            <h1 data-testid="subscriber-name">{s.name ?? s.name_masked}</h1>
            {s.customer_session && (
              <div className="actions" data-testid="subscriber-customer-session">
                <span className="ok-note">Customer verified until {fmtTime(s.customer_session.expires_at)}</span>
                <button
                  type="button"
                  className="btn small"
                  disabled={close.isPending}
                  onClick={() => s.customer_session && close.mutate(s.customer_session.id)}
                  data-testid="subscriber-close-session"
                >
                  Close customer session
                </button>
              </div>
            )}
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
                <dd className="mono">{(s.view === 'full' ? s.alt_contact : s.alt_contact_masked) ?? '—'}</dd>
              </dl>
            </section>
            <section className="card">
              <h2>Numbers held</h2>
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
                            <Link to={`/numbers/${seg(c.msisdn)}`}>{c.msisdn}</Link>
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
            {s.sims && (
              <section className="card">
                <h2>SIMs in use</h2>
                {s.sims.length === 0 ? (
                  <Empty title="No SIM">No number of this subscriber has a SIM bound now.</Empty>
                ) : (
                  <ul data-testid="subscriber-sims">
                    {s.sims.map((b) => (
                      <li key={b.iccid}>
                        <span className="mono">{b.msisdn}</span> ·{' '}
                        <Link to={`/sims/${seg(b.iccid)}`}>
                          <span className="mono">{b.iccid}</span>
                        </Link>{' '}
                        <span className="muted">since {fmtTime(b.started_at)}</span>
                      </li>
                    ))}
                  </ul>
                )}
              </section>
            )}
          </>
        )}
      </QueryView>
    </div>
  )
}
