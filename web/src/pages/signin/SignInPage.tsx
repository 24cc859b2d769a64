import { useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { api } from '../../api'
import { ErrorBox } from '../../components/Status'
import { navigate, useLocation } from '../../router'
import { meKey, useMeta } from '../../session'
import type { Me, Session, Staff } from '../../types'

interface SignInResponse {
  token: string
  session: Session
  staff: Staff
}

/** Only same-site paths are followed after sign-in. */
function safeNext(next: string | null): string {
  if (!next?.startsWith('/') || next.startsWith('//') || next.startsWith('/sign-in')) return '/'
  return next
}

export function SignInPage() {
  const { query } = useLocation()
  const meta = useMeta()
  const qc = useQueryClient()
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)

  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const r = await api<SignInResponse>('/api/v1/auth/sign-in', {
        method: 'POST',
        body: { username: username.trim(), password },
        noRedirect: true,
      })
      qc.clear()
      qc.setQueryData<Me>(meKey, { staff: r.staff, session: r.session })
      navigate(safeNext(query.get('next')), { replace: true })
    } catch (err) {
      setError(err)
      setBusy(false)
    }
  }

  return (
    <div className="signin-page">
      <form className="card signin" onSubmit={submit} data-testid="sign-in-form">
        <div className="brand big">
          num<span>guard</span>
        </div>
        <p className="muted">Staff console · phone-number custody</p>
        <label className="field">
          <span className="field-label">Username</span>
          <input
            name="username"
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            required
            data-testid="sign-in-username"
          />
        </label>
        <label className="field">
          <span className="field-label">Password</span>
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
            data-testid="sign-in-password"
          />
        </label>
        {error !== null && <ErrorBox error={error} title="Sign-in failed" />}
        <button type="submit" className="btn primary wide" disabled={busy} data-testid="sign-in-submit">
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {meta.data?.mode === 'demo' && (
          <p className="hint demo-hint" data-testid="demo-hint">
            Demo mode: demo sign-ins are printed by <code>npm start</code>.
          </p>
        )}
        {meta.error && (
          <ErrorBox error={meta.error} title="Could not reach the server" onRetry={() => meta.refetch()} />
        )}
      </form>
    </div>
  )
}
