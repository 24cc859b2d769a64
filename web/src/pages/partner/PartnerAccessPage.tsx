import { useQuery } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { api } from '../../api'
import { QueryView } from '../../components/Status'
import { fmtJson, fmtTime, label } from '../../format'

interface AccessRow {
  id: string
  client_id: string
  msisdn: string
  operation: string
  question: unknown
  status: number
  answer: unknown
  correlator: string | null
  asked_at: string
}

/** Compliance: which partner asked what about a number, when, and what it was told (GET /api/v1/partner-access). */
export function PartnerAccessPage() {
  const [msisdn, setMsisdn] = useState('')
  const [clientId, setClientId] = useState('')
  const [search, setSearch] = useState('')
  const q = useQuery({
    queryKey: ['partner-access', search],
    queryFn: ({ signal }) => api<{ items: AccessRow[] }>(`/api/v1/partner-access?${search}`, { signal }),
  })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const params = new URLSearchParams()
    if (msisdn.trim()) params.set('msisdn', msisdn.trim())
    if (clientId.trim()) params.set('client_id', clientId.trim())
    setSearch(params.toString())
  }
  return (
    <div className="page" data-testid="page-partner-access">
      <h1>Partner access log</h1>
      <p className="muted">Every CAMARA question a partner asked, with its answer, newest first.</p>
      <form className="form-row" onSubmit={submit}>
        <label className="field">
          <span>Number</span>
          <input
            className="mono"
            value={msisdn}
            onChange={(e) => setMsisdn(e.target.value)}
            placeholder="+855…"
            data-testid="access-msisdn"
          />
        </label>
        <label className="field">
          <span>Client id</span>
          <input
            className="mono"
            value={clientId}
            onChange={(e) => setClientId(e.target.value)}
            placeholder="bank-demo"
            data-testid="access-client"
          />
        </label>
        <button type="submit" className="btn primary" data-testid="access-search">
          Search
        </button>
      </form>
      <QueryView q={q} what="the partner access log">
        {({ items }) =>
          items.length === 0 ? (
            <p className="muted" data-testid="access-empty">
              No partner question matches.
            </p>
          ) : (
            <div className="table-wrap">
              <table className="table" data-testid="access-rows">
                <thead>
                  <tr>
                    <th>Asked</th>
                    <th>Client</th>
                    <th>Number</th>
                    <th>Operation</th>
                    <th>Question</th>
                    <th>Status</th>
                    <th>Answer</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((r) => (
                    <tr key={r.id} data-testid="access-row">
                      <td>{fmtTime(r.asked_at)}</td>
                      <td className="mono">{r.client_id}</td>
                      <td className="mono">{r.msisdn}</td>
                      <td>{label(r.operation)}</td>
                      <td className="mono">{fmtJson(r.question)}</td>
                      <td>{r.status}</td>
                      <td className="mono">{fmtJson(r.answer)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryView>
    </div>
  )
}
