import { type FormEvent, useState } from 'react'
import { api } from '../../api'
import { ErrorBox } from '../../components/Status'
import type { SignInResponse } from './SignInPage'

/** The secret in groups of four, as authenticator apps show it for typing by hand. */
const grouped = (secret: string) => secret.match(/.{1,4}/g)?.join(' ') ?? secret

/**
 * The second sign-in step: at a first sign-in, the secret to add to an authenticator app (typed by hand, or the
 * otpauth:// link opened on a phone); then the 6-digit code it shows. Wrong codes count against the sign-in attempts.
 */
export function MfaStep({
  waiting,
  demo,
  onDone,
  onStartOver,
}: {
  waiting: SignInResponse
  demo: boolean
  onDone: (r: SignInResponse) => void
  onStartOver: () => void
}) {
  const [code, setCode] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const enrolment = waiting.enrolment

  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      onDone(await api<SignInResponse>('/api/v1/auth/mfa', { method: 'POST', body: { code }, noRedirect: true }))
    } catch (err) {
      setError(err)
      setCode('')
      setBusy(false)
    }
  }

  async function fillDemoCode() {
    setError(null)
    try {
      setCode((await api<{ code: string }>('/api/v1/auth/mfa/demo-code', { noRedirect: true })).code)
    } catch (err) {
      setError(err)
    }
  }

  return (
    <form className="card signin" onSubmit={submit} data-testid="mfa-form">
      <div className="brand big">
        num<span>guard</span>
      </div>
      <p>
        Signing in as <strong>{waiting.staff.username}</strong>
      </p>
      {enrolment ? (
        <div className="mfa-enrol" data-testid="mfa-enrolment">
          <p>
            Your role signs in with a second factor. Add this account to an authenticator app (Google Authenticator,
            Microsoft Authenticator, 1Password, …), then type the code it shows. The secret is shown only until you
            confirm it.
          </p>
          <span className="field-label">Secret (type it in, or open the link on your phone)</span>
          <code className="secret-value mono" data-testid="mfa-secret">
            {grouped(enrolment.secret)}
          </code>
          <p>
            <a href={enrolment.otpauth_uri} data-testid="mfa-otpauth">
              Open in an authenticator app
            </a>{' '}
            <span className="muted">(time-based, SHA-1, 6 digits, 30 seconds)</span>
          </p>
        </div>
      ) : (
        <p className="muted">Type the 6-digit code your authenticator app shows for numguard.</p>
      )}
      <label className="field">
        <span className="field-label">Code</span>
        <input
          name="code"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9 ]{6,7}"
          maxLength={7}
          value={code}
          onChange={(e) => setCode(e.target.value)}
          required
          data-testid="mfa-code"
        />
      </label>
      {error !== null && <ErrorBox error={error} title="Not signed in yet" />}
      <button type="submit" className="btn primary wide" disabled={busy} data-testid="mfa-submit">
        {busy ? 'Checking…' : enrolment ? 'Confirm and sign in' : 'Sign in'}
      </button>
      {demo && !enrolment && (
        <button type="button" className="btn ghost wide" onClick={fillDemoCode} data-testid="mfa-demo-code">
          Demo: fill in the code of this demo account
        </button>
      )}
      <button type="button" className="btn ghost wide" onClick={onStartOver} data-testid="mfa-start-over">
        Start over
      </button>
    </form>
  )
}
