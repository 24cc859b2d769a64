import { useMutation, useQuery } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { api } from '../../api'
import { ErrorBox, QueryView } from '../../components/Status'
import { fmtJson, fmtTime } from '../../format'
import { type CamaraAnswer, callCamara, type DemoPartner, OPERATIONS, type Operation } from './camara'

interface ReceivedEvent {
  id: string
  type: string
  time: string | null
  data: unknown
  received_at: string
  deliveries: number
}

const SWAPPED = 'org.camaraproject.sim-swap-subscriptions.v0.swapped'

/**
 * Demo: the console acting as the demo bank (the partner client `npm start` prints). It runs a CAMARA check on a
 * number, subscribes to the number's SIM swaps with numguard's demo sink, and shows the CloudEvents that arrive.
 */
export function PartnerPage() {
  const partner = useQuery({
    queryKey: ['demo-partner'],
    queryFn: ({ signal }) => api<DemoPartner>('/api/v1/demo/partner', { signal }),
  })
  return (
    <div className="page" data-testid="page-partner">
      <h1>Partner (demo)</h1>
      <p className="muted">
        What a bank sees through the CAMARA APIs. Every question is in the partner access log, and the holder's STATUS
        reply counts this month's checks.
      </p>
      <QueryView q={partner} what="the demo partner">
        {(p) => <PartnerConsole partner={p} />}
      </QueryView>
    </div>
  )
}

function PartnerConsole({ partner }: { partner: DemoPartner }) {
  const [operation, setOperation] = useState<Operation>('sim-swap-check')
  const [phoneNumber, setPhoneNumber] = useState('')
  const [maxAge, setMaxAge] = useState('240')
  const [specifiedDate, setSpecifiedDate] = useState(new Date().toISOString().slice(0, 10))
  const check = useMutation({
    mutationFn: () => {
      const body: Record<string, unknown> = { phoneNumber: phoneNumber.trim() }
      if (operation === 'sim-swap-check') body.maxAge = Number(maxAge)
      if (operation === 'number-recycling-check') body.specifiedDate = specifiedDate
      return callCamara(partner, OPERATIONS[operation].path, body)
    },
  })
  const subscribe = useMutation({
    mutationFn: () =>
      callCamara(partner, '/camara/sim-swap-subscriptions/v0.3/subscriptions', {
        protocol: 'HTTP',
        sink: partner.sink,
        sinkCredential: {
          credentialType: 'ACCESSTOKEN',
          accessToken: partner.sink_token,
          accessTokenExpiresUtc: partner.sink_token_expires_at,
          accessTokenType: 'bearer',
        },
        types: [SWAPPED],
        config: { subscriptionDetail: { phoneNumber: phoneNumber.trim() } },
      }),
  })
  const events = useQuery({
    queryKey: ['demo-partner-events'],
    queryFn: ({ signal }) => api<{ items: ReceivedEvent[] }>('/api/v1/demo/partner-events', { signal }),
    refetchInterval: 2_000,
  })
  const run = (e: FormEvent) => {
    e.preventDefault()
    check.mutate()
  }
  return (
    <>
      <section className="card">
        <h2>Client</h2>
        <p className="mono" data-testid="partner-client">
          {partner.client_id}
        </p>
        <p className="muted">{partner.purpose}</p>
      </section>
      <section className="card">
        <h2>Ask about a number</h2>
        <form className="form-row" onSubmit={run}>
          <label className="field">
            <span>Operation</span>
            <select
              value={operation}
              onChange={(e) => setOperation(e.target.value as Operation)}
              data-testid="partner-operation"
            >
              {Object.entries(OPERATIONS).map(([id, o]) => (
                <option key={id} value={id}>
                  {o.label}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Phone number</span>
            <input
              className="mono"
              value={phoneNumber}
              onChange={(e) => setPhoneNumber(e.target.value)}
              placeholder="+855…"
              data-testid="partner-number"
            />
          </label>
          {operation === 'sim-swap-check' && (
            <label className="field">
              <span>maxAge (hours)</span>
              <input value={maxAge} onChange={(e) => setMaxAge(e.target.value)} data-testid="partner-max-age" />
            </label>
          )}
          {operation === 'number-recycling-check' && (
            <label className="field">
              <span>specifiedDate</span>
              <input
                type="date"
                value={specifiedDate}
                onChange={(e) => setSpecifiedDate(e.target.value)}
                data-testid="partner-date"
              />
            </label>
          )}
          <button type="submit" className="btn primary" disabled={check.isPending} data-testid="partner-run">
            Run check
          </button>
          <button
            type="button"
            className="btn"
            disabled={subscribe.isPending || !phoneNumber.trim()}
            onClick={() => subscribe.mutate()}
            data-testid="partner-subscribe"
          >
            Subscribe to SIM swaps
          </button>
        </form>
        {check.error && <ErrorBox error={check.error} />}
        {check.data && <Answer answer={check.data} testId="partner-answer" />}
        {subscribe.error && <ErrorBox error={subscribe.error} />}
        {subscribe.data && <Answer answer={subscribe.data} testId="partner-subscription" />}
      </section>
      <section className="card">
        <h2>Webhook events received</h2>
        <p className="muted">
          The demo sink inside numguard ({partner.sink}) as the subscription's sink: the outbox delivers here.
        </p>
        <QueryView q={events} what="the events">
          {({ items }) =>
            items.length === 0 ? (
              <p className="muted" data-testid="partner-no-events">
                No event yet: subscribe to a number, then swap its SIM.
              </p>
            ) : (
              <div className="table-wrap">
                <table className="table" data-testid="partner-events">
                  <thead>
                    <tr>
                      <th>Received</th>
                      <th>Type</th>
                      <th>Event id</th>
                      <th>Data</th>
                      <th>Deliveries</th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((e) => (
                      <tr key={e.id} data-testid="partner-event">
                        <td>{fmtTime(e.received_at)}</td>
                        <td className="mono">{e.type.split('.').slice(-1)[0]}</td>
                        <td className="mono">{e.id}</td>
                        <td className="mono">{fmtJson(e.data)}</td>
                        <td>{e.deliveries}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </QueryView>
      </section>
    </>
  )
}

function Answer({ answer, testId }: { answer: CamaraAnswer; testId: string }) {
  return (
    <div className={answer.status < 300 ? 'card success' : 'card'} data-testid={testId}>
      <p>
        HTTP <strong data-testid={`${testId}-status`}>{answer.status}</strong>
        {answer.correlator && <span className="muted mono"> x-correlator {answer.correlator}</span>}
      </p>
      <pre className="mono" data-testid={`${testId}-body`}>
        {fmtJson(answer.body)}
      </pre>
    </div>
  )
}
