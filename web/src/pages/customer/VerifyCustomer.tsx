import { useMutation, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { ApiError, api, seg } from '../../api'
import { ErrorBox, Field } from '../../components/Status'
import { fmtTime } from '../../format'
import type { CustomerSession } from '../../types'

/**
 * The "Verify customer" dialog: an agent authenticates the customer before seeing their account (invariant 10),
 * with a code sent by SMS to the number that the customer reads out, or with the ID document they present.
 * The server counts failures per agent and number; the dialog only shows what it answers.
 */
export function VerifyCustomer({
  msisdn: givenMsisdn,
  onOpened,
  onClose,
}: {
  msisdn?: string
  onOpened: (session: CustomerSession) => void
  onClose: () => void
}) {
  const qc = useQueryClient()
  const [msisdn, setMsisdn] = useState(givenMsisdn ?? '')
  const [method, setMethod] = useState<'sms_code' | 'id_document'>('sms_code')
  const [document, setDocument] = useState('')
  const [code, setCode] = useState('')
  const [challenge, setChallenge] = useState<CustomerSession | null>(null)

  const opened = (s: CustomerSession) => {
    qc.invalidateQueries({ queryKey: ['customer-sessions'] })
    qc.invalidateQueries({ queryKey: ['subscriber', s.subscriber_id] })
    onOpened(s)
  }
  const start = useMutation({
    mutationFn: () =>
      api<CustomerSession>('/api/v1/customer-sessions', {
        body:
          method === 'id_document'
            ? { msisdn: msisdn.trim(), method, document: document.trim() }
            : { msisdn: msisdn.trim(), method },
      }),
    onSuccess: (s) => {
      if (s.state === 'open') opened(s)
      else {
        verify.reset()
        setChallenge(s)
        setCode('')
      }
    },
  })
  const verify = useMutation({
    mutationFn: (id: string) =>
      api<CustomerSession>(`/api/v1/customer-sessions/${seg(id)}/verify`, { body: { code: code.trim() } }),
    onSuccess: opened,
  })
  const cancel = async () => {
    // A pending code nobody will type is closed (and its SMS cancelled if it has not left yet).
    if (challenge) await api(`/api/v1/customer-sessions/${seg(challenge.id)}`, { method: 'DELETE' }).catch(() => {})
    onClose()
  }

  const submitStart = (e: FormEvent) => {
    e.preventDefault()
    start.mutate()
  }
  const submitCode = (e: FormEvent) => {
    e.preventDefault()
    if (challenge) verify.mutate(challenge.id)
  }
  const failure = verify.error instanceof ApiError ? verify.error : null
  const codeVoid = failure?.code === 'customer_auth_failed' && failure.details.code_attempts_left === 0

  return (
    <section className="card" role="dialog" aria-label="Verify customer" data-testid="verify-customer">
      <h2>Verify customer</h2>
      <p className="muted">
        The customer’s account opens to you only after they are authenticated. Repeated failures lock you out of this
        number and alert a supervisor.
      </p>
      {!challenge ? (
        <form onSubmit={submitStart}>
          {!givenMsisdn && (
            <Field label="Customer’s number" hint="The number the customer holds, e.g. +85512000001">
              <input
                className="mono"
                value={msisdn}
                onChange={(e) => setMsisdn(e.target.value)}
                required
                data-testid="verify-customer-msisdn"
              />
            </Field>
          )}
          <fieldset className="form-row">
            <label>
              <input
                type="radio"
                name="method"
                checked={method === 'sms_code'}
                onChange={() => setMethod('sms_code')}
                data-testid="verify-customer-method-sms"
              />{' '}
              Send a code to {givenMsisdn ?? 'the number'}
            </label>
            <label>
              <input
                type="radio"
                name="method"
                checked={method === 'id_document'}
                onChange={() => setMethod('id_document')}
                data-testid="verify-customer-method-id"
              />{' '}
              Check the ID document
            </label>
          </fieldset>
          {method === 'id_document' && (
            <Field label="ID document number" hint="Type it from the document the customer presents to you.">
              <input
                className="mono"
                value={document}
                onChange={(e) => setDocument(e.target.value)}
                required
                autoComplete="off"
                maxLength={60}
                data-testid="verify-customer-document"
              />
            </Field>
          )}
          <div className="actions">
            <button
              type="submit"
              className="btn primary"
              disabled={start.isPending}
              data-testid="verify-customer-start"
            >
              {method === 'sms_code'
                ? start.isPending
                  ? 'Sending…'
                  : 'Send code'
                : start.isPending
                  ? 'Checking…'
                  : 'Check document'}
            </button>
            <button type="button" className="btn ghost" onClick={onClose}>
              Cancel
            </button>
          </div>
          {start.error && <ErrorBox error={start.error} title="Not authenticated" />}
        </form>
      ) : (
        <form onSubmit={submitCode}>
          <p data-testid="verify-customer-sent">
            A code went by SMS to <span className="mono">{challenge.msisdn}</span>. Ask the customer to read it to you;
            it is valid until {fmtTime(challenge.code_expires_at)}.
          </p>
          <Field label="Code from the customer’s phone">
            <input
              className="mono"
              value={code}
              onChange={(e) => setCode(e.target.value.replace(/\D/g, '').slice(0, 6))}
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6}"
              required
              data-testid="verify-customer-code"
            />
          </Field>
          <div className="actions">
            <button
              type="submit"
              className="btn primary"
              disabled={verify.isPending || codeVoid}
              data-testid="verify-customer-verify"
            >
              {verify.isPending ? 'Verifying…' : 'Open account'}
            </button>
            <button type="button" className="btn" onClick={() => start.mutate()} disabled={start.isPending}>
              Send a new code
            </button>
            <button type="button" className="btn ghost" onClick={cancel}>
              Cancel
            </button>
          </div>
          {verify.error && <ErrorBox error={verify.error} title="Code refused" />}
          {start.error && <ErrorBox error={start.error} title="No new code" />}
        </form>
      )}
    </section>
  )
}
