import { useQuery } from '@tanstack/react-query'
import '../../styles-recycling.css'
import { api, seg } from '../../api'
import { Link } from '../../components/Link'
import { Empty, QueryView } from '../../components/Status'
import { fmtTime, label } from '../../format'
import { type CycleView, fmtDay, type Notice, stepLabel } from '../requests/requestTypes'
import { type DecisionAbilities, type DecisionView, RecyclingDecisions } from './RecyclingDecisions'

const GROUP_TEXT: Record<CycleView['group'], string> = {
  counting: 'in its inactivity cycle, nothing sent yet',
  warned: 'warned: the holder has been told to top up',
  suspended: 'suspended: outgoing calls barred until a top-up',
  waiting: 'withdrawal due but waiting',
  aging: 'withdrawn and ageing: the former holder may reclaim it',
  closed: 'no cycle running',
  postpaid: 'postpaid: billing decides, no inactivity cycle',
}

/** Where the number stands in recycling: stage, day of the cycle, each step's date, and the SMS it was sent. */
export function RecyclingPanel({ msisdn }: { msisdn: string }) {
  const q = useQuery({
    queryKey: ['number', msisdn, 'recycling'],
    queryFn: ({ signal }) =>
      api<{
        cycle: CycleView | null
        withheld?: boolean
        decisions?: DecisionView | null
        abilities: { reclaim: boolean } & DecisionAbilities
      }>(`/api/v1/numbers/${seg(msisdn)}/recycling`, { signal }),
  })
  return (
    <section className="card" data-testid="recycling-panel">
      <h2>Recycling</h2>
      <QueryView q={q} what="the recycling state">
        {({ cycle, withheld, decisions, abilities }) =>
          withheld ? (
            <p className="muted" data-testid="recycling-withheld">
              The holder’s inactivity cycle (last top-up, warnings) is part of their account: verify the customer to see
              it.
            </p>
          ) : !cycle ? (
            <p className="muted">Never held: no inactivity cycle.</p>
          ) : (
            <>
              <dl className="facts">
                <dt>Stage</dt>
                <dd data-testid="recycling-group" data-group={cycle.group}>
                  <strong>{label(cycle.group)}</strong> — {GROUP_TEXT[cycle.group]}
                  {cycle.waiting_reason && <span className="pill">{label(cycle.waiting_reason)}</span>}
                </dd>
                {cycle.day_of_cycle !== null && (
                  <>
                    <dt>Cycle</dt>
                    <dd>
                      day {cycle.day_of_cycle} of cycle {cycle.cycle_no} (since the last top-up on{' '}
                      {fmtTime(cycle.cycle_started_at)}) · policy v{cycle.policy_version}
                    </dd>
                  </>
                )}
                {cycle.withdrawn_at && (
                  <>
                    <dt>Withdrawn</dt>
                    <dd>{fmtTime(cycle.withdrawn_at)}</dd>
                  </>
                )}
                {cycle.reclaim_until && (
                  <>
                    <dt>Reclaim until</dt>
                    <dd data-testid="reclaim-until">{fmtDay(cycle.reclaim_until)}</dd>
                  </>
                )}
                <dt>Next step</dt>
                <dd data-testid="recycling-next">
                  {cycle.next.what === 'none' ? '—' : `${stepLabel(cycle.next)} on ${fmtDay(cycle.next.on)}`}
                </dd>
              </dl>
              {cycle.steps.length > 0 && (
                <ol className="cycle-steps">
                  {cycle.steps.map((s) => (
                    <li key={`${s.what}-${s.stage ?? 0}`} className={s.past ? 'past' : 'ahead'}>
                      <span className="step-dot" aria-hidden="true" />
                      {stepLabel(s)} <span className="muted">{fmtDay(s.on)}</span>
                    </li>
                  ))}
                </ol>
              )}
              {decisions && <RecyclingDecisions msisdn={msisdn} decisions={decisions} abilities={abilities} />}
            </>
          )
        }
      </QueryView>
      <Notices msisdn={msisdn} />
    </section>
  )
}

function Notices({ msisdn }: { msisdn: string }) {
  const q = useQuery({
    queryKey: ['number', msisdn, 'notices'],
    queryFn: ({ signal }) => api<{ notices: Notice[] }>(`/api/v1/numbers/${seg(msisdn)}/notices?limit=20`, { signal }),
  })
  return (
    <>
      <h3>
        SMS notices <Link to={`/phone/${seg(msisdn)}`}>open the phone</Link>
      </h3>
      <QueryView q={q} what="notices">
        {(data) =>
          data.notices.length === 0 ? (
            <Empty title="No SMS sent to this number" />
          ) : (
            <div className="table-wrap">
              <table className="table" data-testid="notices-table">
                <thead>
                  <tr>
                    <th>Queued</th>
                    <th>Purpose</th>
                    <th>To</th>
                    <th>State</th>
                    <th>Receipts</th>
                    <th>Text</th>
                  </tr>
                </thead>
                <tbody>
                  {data.notices.map((n) => (
                    <tr key={n.id} data-testid="notice-row" data-purpose={n.purpose}>
                      <td className="nowrap">{fmtTime(n.created_at)}</td>
                      <td>{label(n.purpose)}</td>
                      <td className="mono nowrap">
                        {n.to_alternate_contact ? `${n.to ?? 'not shown'} (alternate)` : n.to}
                      </td>
                      <td>{label(n.state)}</td>
                      <td className="nowrap">{n.parts.map((p) => p.receipt_state ?? p.state).join(', ') || '—'}</td>
                      <td className="notice-text">
                        {n.withheld ? (
                          <span className="muted" data-testid="notice-withheld">
                            not shown: verify the customer
                          </span>
                        ) : (
                          n.body
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryView>
    </>
  )
}
