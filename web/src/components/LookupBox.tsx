import { type FormEvent, useState } from 'react'
import { api, qs, seg } from '../api'
import { navigate } from '../router'
import { toApiError } from './Status'

interface LookupResult {
  kind: 'number' | 'sim' | 'subscriber'
  id: string
}

export function pathFor(r: LookupResult): string {
  if (r.kind === 'number') return `/numbers/${seg(r.id)}`
  if (r.kind === 'sim') return `/sims/${seg(r.id)}`
  return `/subscribers/${seg(r.id)}`
}

/** Header search: an MSISDN, an ICCID or a subscriber id; opens the matching page. */
export function LookupBox() {
  const [q, setQ] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<{ message: string; code: string } | null>(null)

  async function submit(e: FormEvent) {
    e.preventDefault()
    const term = q.trim()
    if (!term) {
      setError({ message: 'Type an MSISDN (+855…), an ICCID or a subscriber id.', code: 'empty_query' })
      return
    }
    setBusy(true)
    setError(null)
    try {
      const r = await api<LookupResult>(`/api/v1/lookup${qs({ q: term })}`)
      setQ('')
      navigate(pathFor(r))
    } catch (err) {
      const a = toApiError(err)
      const message = a.code === 'not_found' ? `Nothing matches “${term}”. Check the digits and try again.` : a.message
      setError({ message, code: a.code })
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="lookup" onSubmit={submit} data-testid="lookup-form">
      <input
        type="search"
        value={q}
        onChange={(e) => {
          setQ(e.target.value)
          setError(null)
        }}
        placeholder="Look up MSISDN, ICCID or subscriber id"
        aria-label="Look up an MSISDN, ICCID or subscriber id"
        className="mono"
        data-testid="lookup-input"
      />
      <button type="submit" className="btn" disabled={busy} data-testid="lookup-submit">
        {busy ? 'Looking…' : 'Look up'}
      </button>
      {error && (
        <div className="lookup-error" role="alert" data-testid="lookup-error" data-code={error.code}>
          {error.message} <code>{error.code}</code>
        </div>
      )}
    </form>
  )
}
