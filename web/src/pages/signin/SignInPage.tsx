import { useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useEffect, useState } from 'react'
import { api } from '../../api'
import { ErrorBox } from '../../components/Status'
import { navigate, useLocation } from '../../router'
import { meKey, useMeta } from '../../session'
import type { Me, Session, Staff } from '../../types'
import { MfaStep } from './MfaStep'

export interface SignInResponse {
  status: 'signed_in' | 'mfa_required' | 'mfa_enrolment_required'
  token: string
  session: Session
  staff: Staff
  enrolment?: { secret: string; otpauth_uri: string }
}

/** Only same-site paths are followed after sign-in. */
function safeNext(next: string | null): string {
  if (!next?.startsWith('/') || next.startsWith('//') || next.startsWith('/sign-in')) return '/'
  return next
}

/**
 * Staff sign-in: the password, then (supervisors, compliance officers, admins, and whoever enrolled) the TOTP code
 * of an authenticator app, enrolled at the first sign-in. The server decides which step comes next.
 */
export function SignInPage() {
  const { query } = useLocation()
  const meta = useMeta()
  const qc = useQueryClient()
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [waiting, setWaiting] = useState<SignInResponse | null>(null)

  // A reload in the middle of the code step keeps the session waiting for its code: pick it up again.
  useEffect(() => {
    let live = true
    api<Me>('/api/v1/auth/me', { noRedirect: true })
      .then((me) => {
        if (live && me.session.mfa === 'pending')
          setWaiting({ status: 'mfa_required', token: '', session: me.session, staff: me.staff })
      })
      .catch(() => {})
    return () => {
      live = false
    }
  }, [])

  function finish(r: SignInResponse) {
    qc.clear()
    qc.setQueryData<Me>(meKey, { staff: r.staff, session: r.session })
    navigate(safeNext(query.get('next')), { replace: true })
  }

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
      setPassword('')
      if (r.status === 'signed_in') return finish(r)
      setWaiting(r)
      setBusy(false)
    } catch (err) {
      setError(err)
      setBusy(false)
    }
  }

  async function startOver() {
    await api('/api/v1/auth/sign-out', { method: 'POST', noRedirect: true }).catch(() => {})
    setWaiting(null)
    setError(null)
  }

  const demo = meta.data?.mode === 'demo'
  return (
    <div className="signin-page">
      {waiting ? (
        <MfaStep waiting={waiting} demo={demo} onDone={finish} onStartOver={startOver} />
      ) : (
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
          {demo && (
            <p className="hint demo-hint" data-testid="demo-hint">
              Demo mode: demo sign-ins (and the DEMO authenticator secrets of supervisors, compliance officers and the
              admin) are printed by <code>npm start</code>.
            </p>
          )}
          {meta.error && (
            <ErrorBox error={meta.error} title="Could not reach the server" onRetry={() => meta.refetch()} />
          )}
        </form>
      )}
    </div>
  )
}
