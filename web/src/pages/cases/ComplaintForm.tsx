import { useMutation, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useState } from 'react'
import { can } from '../../access'
import { api, seg } from '../../api'
import { Link } from '../../components/Link'
import { ErrorBox, Field } from '../../components/Status'
import { fieldErrors } from '../../fieldErrors'
import { fmtTime } from '../../format'
import { useMe } from '../../session'
import { CATEGORIES, type CaseCategory, type OpenedCase } from './caseTypes'

interface Challenge {
  challenge_id: string
  sent_to: string | null
  expires_at: string
}

/** "Send a code to their alternate contact": the contact they registered, then the code they read out. */
function AltContactCode({
  msisdn,
  challenge,
  setChallenge,
  code,
  setCode,
}: {
  msisdn: string
  challenge: Challenge | null
  setChallenge: (c: Challenge) => void
  code: string
  setCode: (c: string) => void
}) {
  const [contact, setContact] = useState('')
  const send = useMutation({
    mutationFn: () =>
      api<Challenge>('/api/v1/cases/complainant-codes', { body: { msisdn, alt_contact: contact.trim() } }),
    onSuccess: setChallenge,
  })
  const errs = fieldErrors(send.error, ['alt_contact'])
  return (
    <>
      <div className="form-row">
        <Field
          label="Their alternate contact"
          error={errs.of('alt_contact')}
          hint="The one registered with their custody"
        >
          <input
            className="mono"
            value={contact}
            onChange={(e) => setContact(e.target.value)}
            data-testid="complaint-alt-contact"
          />
        </Field>
        <button
          type="button"
          className="btn"
          disabled={contact.trim().length < 6 || send.isPending}
          onClick={() => send.mutate()}
          data-testid="complaint-send-code"
        >
          {challenge ? 'Send again' : 'Send code'}
        </button>
      </div>
      {send.error && <ErrorBox error={send.error} title="No code sent" atField={errs.inline} />}
      {challenge && (
        <>
          <p className="muted" data-testid="complaint-code-sent">
            {`If that contact is the one registered, a code was sent${challenge.sent_to ? ` to ${challenge.sent_to}` : ''}; `}
            it works until {fmtTime(challenge.expires_at)}.
          </p>
          <Field label="The code they received">
            <input
              className="mono"
              value={code}
              onChange={(e) => setCode(e.target.value)}
              maxLength={12}
              data-testid="complaint-code"
            />
          </Field>
        </>
      )}
    </>
  )
}

/**
 * Opens a complaint about this number (POST /api/v1/cases). The complainant proves they held it — now or before —
 * by the ID document of that custody, or by a code sent to its alternate contact. A complaint that the number was
 * taken, its SIM swapped or an unwanted transfer made holds the number in the same step.
 */
export function ComplaintForm({
  msisdn,
  onCancel,
  onOpened,
}: {
  msisdn: string
  onCancel: () => void
  onOpened: (c: OpenedCase) => void
}) {
  const qc = useQueryClient()
  const [category, setCategory] = useState<CaseCategory>('number_taken')
  const [description, setDescription] = useState('')
  const [contact, setContact] = useState('')
  const [method, setMethod] = useState<'id_document' | 'alt_contact_code'>('id_document')
  const [document, setDocument] = useState('')
  const [challenge, setChallenge] = useState<Challenge | null>(null)
  const [code, setCode] = useState('')
  const open = useMutation({
    mutationFn: () =>
      api<OpenedCase>('/api/v1/cases', {
        body: {
          kind: 'complaint',
          category,
          description: description.trim(),
          msisdns: [msisdn],
          ...(contact.trim() ? { contact: contact.trim() } : {}),
          complainant:
            method === 'id_document'
              ? { method, document: document.trim() }
              : { method, challenge_id: challenge?.challenge_id, code: code.trim() },
        },
      }),
    onSuccess: (c) => {
      qc.invalidateQueries({ queryKey: ['number-holds', msisdn] })
      qc.invalidateQueries({ queryKey: ['number', msisdn] })
      qc.invalidateQueries({ queryKey: ['cases'] })
      onOpened(c)
    },
  })
  const errs = fieldErrors(open.error, ['category', 'description', 'contact', 'complainant'])
  const proven = method === 'id_document' ? document.trim() !== '' : !!challenge && code.trim() !== ''
  const holds = CATEGORIES.find((c) => c.id === category)?.holds
  const submit = (e: FormEvent) => {
    e.preventDefault()
    open.mutate()
  }
  return (
    <form className="card complaint-form" onSubmit={submit} data-testid="complaint-form">
      <h3>Open a complaint about {msisdn}</h3>
      <div className="form-grid">
        <Field label="What happened" error={errs.of('category')}>
          <select
            value={category}
            onChange={(e) => setCategory(e.target.value as CaseCategory)}
            data-testid="complaint-category"
          >
            {CATEGORIES.map((c) => (
              <option key={c.id} value={c.id}>
                {c.label}
              </option>
            ))}
          </select>
        </Field>
        <Field
          label="Where to reach them now"
          error={errs.of('contact')}
          hint="Their number may ring someone else’s SIM"
        >
          <input
            value={contact}
            onChange={(e) => setContact(e.target.value)}
            maxLength={64}
            data-testid="complaint-contact"
          />
        </Field>
      </div>
      <Field label="Description" error={errs.of('description')}>
        <textarea
          rows={3}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          maxLength={4000}
          data-testid="complaint-description"
        />
      </Field>
      <fieldset className="check-group">
        <legend className="field-label">How the complainant proves they held this number (now or before)</legend>
        <div className="segmented">
          <label>
            <input
              type="radio"
              checked={method === 'id_document'}
              onChange={() => setMethod('id_document')}
              data-testid="complaint-method-id"
            />{' '}
            ID document
          </label>
          <label>
            <input
              type="radio"
              checked={method === 'alt_contact_code'}
              onChange={() => setMethod('alt_contact_code')}
              data-testid="complaint-method-code"
            />{' '}
            Send a code to their alternate contact
          </label>
        </div>
      </fieldset>
      {method === 'id_document' ? (
        <Field
          label="ID document number"
          error={errs.of('complainant')}
          hint="Checked against the KYC of any custody of the number"
        >
          <input
            className="mono"
            value={document}
            onChange={(e) => setDocument(e.target.value)}
            maxLength={64}
            data-testid="complaint-document"
          />
        </Field>
      ) : (
        <AltContactCode
          msisdn={msisdn}
          challenge={challenge}
          setChallenge={setChallenge}
          code={code}
          setCode={setCode}
        />
      )}
      <p className={holds ? 'warn-note' : 'muted'}>
        {holds
          ? 'This complaint holds the number at once: nothing about its custody or SIM changes until the hold is released.'
          : 'This category does not hold the number; a compliance officer may place a hold.'}
      </p>
      <div className="actions">
        <button
          type="submit"
          className="btn primary"
          disabled={!description.trim() || !proven || open.isPending}
          data-testid="complaint-submit"
        >
          {open.isPending ? 'Opening…' : 'Open complaint'}
        </button>
        <button type="button" className="btn ghost" onClick={onCancel}>
          Cancel
        </button>
      </div>
      {open.error && <ErrorBox error={open.error} title="Complaint not opened" atField={errs.inline} />}
    </form>
  )
}

/** The number page's complaint action (agents and compliance officers) and what opening one did. */
export function ComplaintPanel({ msisdn }: { msisdn: string }) {
  const me = useMe()
  const [open, setOpen] = useState(false)
  const [opened, setOpened] = useState<OpenedCase | null>(null)
  const roles = me.data?.staff.roles
  if (!can(roles, 'openCases')) return null
  return (
    <section className="card" data-testid="complaint-panel">
      <h2>Complaints</h2>
      {opened && (
        <div className="ok-note" data-testid="complaint-opened" data-reference={opened.reference}>
          Complaint{' '}
          {can(roles, 'cases') ? (
            <Link to={`/cases/${seg(opened.reference)}`} className="mono" data-testid="complaint-reference">
              {opened.reference}
            </Link>
          ) : (
            <strong className="mono" data-testid="complaint-reference">
              {opened.reference}
            </strong>
          )}{' '}
          opened.{' '}
          <span data-testid="complaint-holds">
            {opened.holds_placed.length > 0
              ? `Hold placed on ${opened.holds_placed.map((h) => h.msisdn).join(', ')} at ${fmtTime(opened.holds_placed[0].placed_at)}${
                  opened.holds_placed.some((h) => h.suspended_requests.length > 0)
                    ? `; ${opened.holds_placed.reduce((n, h) => n + h.suspended_requests.length, 0)} pending request(s) now wait`
                    : ''
                }.`
              : 'No hold placed (this category does not hold the number).'}
          </span>{' '}
          Give the complainant the reference.
        </div>
      )}
      {open ? (
        <ComplaintForm
          msisdn={msisdn}
          onCancel={() => setOpen(false)}
          onOpened={(c) => {
            setOpened(c)
            setOpen(false)
          }}
        />
      ) : (
        <button type="button" className="btn" onClick={() => setOpen(true)} data-testid="complaint-open">
          Open a complaint
        </button>
      )}
    </section>
  )
}
