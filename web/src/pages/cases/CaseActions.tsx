import { useState } from 'react'
import { seg } from '../../api'
import { ErrorBox, Field } from '../../components/Status'
import { fieldErrors } from '../../fieldErrors'
import type { Me } from '../../types'
import type { CaseDetail } from './caseTypes'
import { useCaseChange } from './caseTypes'
import { RestorationForm } from './RestorationForm'

type Open = 'hold' | 'link' | 'restoration' | null

/** A compliance officer's moves on a case: take it, confirm it (the network bar), hold, link, file a restoration. */
export function CaseActions({ c, me }: { c: CaseDetail; me: Me }) {
  const [open, setOpen] = useState<Open>(null)
  const path = `/api/v1/cases/${seg(c.id)}`
  const patch = useCaseChange<CaseDetail, Record<string, unknown>>((body) => ({ path, method: 'PATCH', body }))
  const confirm = useCaseChange<CaseDetail>(() => ({ path: `${path}/confirm` }))
  const closed = c.status === 'closed'
  const mine = c.owner_id === me.staff.id
  const openedByMe = c.opened_by === me.staff.id
  const toggle = (o: Open) => setOpen(open === o ? null : o)
  return (
    <section className="card case-actions" data-testid="case-actions">
      <h2>Actions</h2>
      <div className="actions">
        <button
          type="button"
          className="btn primary"
          disabled={closed || mine || patch.isPending}
          onClick={() => patch.mutate({ owner_id: me.staff.id })}
          data-testid="case-take"
        >
          {mine ? 'You own this case' : 'Take the case'}
        </button>
        <button
          type="button"
          className="btn"
          disabled={closed || !!c.confirmed_at || openedByMe || confirm.isPending}
          title={openedByMe ? 'The one who opened a case does not confirm it' : undefined}
          onClick={() => confirm.mutate()}
          data-testid="case-confirm"
        >
          {c.confirmed_at ? 'Confirmed' : 'Confirm (bar on the network)'}
        </button>
        {c.status === 'open' && (
          <button
            type="button"
            className="btn"
            onClick={() => patch.mutate({ status: 'investigating' })}
            data-testid="case-investigate"
          >
            Start investigating
          </button>
        )}
        {!c.first_response_at && !closed && (
          <button
            type="button"
            className="btn"
            onClick={() => patch.mutate({ responded: true })}
            data-testid="case-responded"
          >
            Record first response
          </button>
        )}
        {c.status === 'resolved' && (
          <button
            type="button"
            className="btn"
            onClick={() => patch.mutate({ status: 'closed' })}
            data-testid="case-close"
          >
            Close the case
          </button>
        )}
        {(['hold', 'link', 'restoration'] as const).map((o) => (
          <button
            key={o}
            type="button"
            className={open === o ? 'btn primary' : 'btn'}
            disabled={closed}
            onClick={() => toggle(o)}
            data-testid={`case-open-${o}`}
          >
            {{ hold: 'Place hold', link: 'Link staff, request or custody', restoration: 'File restoration' }[o]}
          </button>
        ))}
      </div>
      {patch.error && <ErrorBox error={patch.error} title="The case was not changed" />}
      {confirm.error && <ErrorBox error={confirm.error} title="Not confirmed" />}
      {open === 'hold' && <PlaceHoldForm c={c} onDone={() => setOpen(null)} />}
      {open === 'link' && <LinkForm c={c} onDone={() => setOpen(null)} />}
      {open === 'restoration' && <RestorationForm c={c} me={me} onCancel={() => setOpen(null)} />}
    </section>
  )
}

function PlaceHoldForm({ c, onDone }: { c: CaseDetail; onDone: () => void }) {
  const [msisdn, setMsisdn] = useState(c.numbers[0] ?? '')
  const [reason, setReason] = useState('')
  const hold = useCaseChange(
    () => ({
      path: `/api/v1/cases/${seg(c.id)}/holds`,
      body: { msisdn: msisdn.trim(), reason: reason.trim() },
    }),
    onDone,
  )
  const errs = fieldErrors(hold.error, ['msisdn', 'reason'])
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault()
        hold.mutate()
      }}
      data-testid="case-hold-form"
    >
      <h3>Place a hold</h3>
      <div className="form-grid">
        <Field label="Number" error={errs.of('msisdn')} hint="A number of the case, or another one it adds">
          <input
            className="mono"
            value={msisdn}
            onChange={(e) => setMsisdn(e.target.value)}
            data-testid="case-hold-msisdn"
          />
        </Field>
        <Field label="Reason" error={errs.of('reason')}>
          <input
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            maxLength={1000}
            data-testid="case-hold-reason"
          />
        </Field>
      </div>
      <button
        type="submit"
        className="btn primary"
        disabled={!msisdn.trim() || !reason.trim() || hold.isPending}
        data-testid="case-hold-submit"
      >
        Place hold
      </button>
      {hold.error && <ErrorBox error={hold.error} title="Hold refused" atField={errs.inline} />}
    </form>
  )
}

function LinkForm({ c, onDone }: { c: CaseDetail; onDone: () => void }) {
  const [kind, setKind] = useState<'staff' | 'request' | 'custody'>('staff')
  const [ref, setRef] = useState('')
  const [note, setNote] = useState('')
  const link = useCaseChange(
    () => ({
      path: `/api/v1/cases/${seg(c.id)}/links`,
      body: { kind, ref_id: ref.trim(), ...(note.trim() ? { note: note.trim() } : {}) },
    }),
    onDone,
  )
  const errs = fieldErrors(link.error, ['ref_id', 'note'])
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault()
        link.mutate()
      }}
      data-testid="case-link-form"
    >
      <h3>Link to the case</h3>
      <div className="form-grid">
        <Field label="What">
          <select value={kind} onChange={(e) => setKind(e.target.value as typeof kind)} data-testid="case-link-kind">
            <option value="staff">Staff member</option>
            <option value="request">Request</option>
            <option value="custody">Custody</option>
          </select>
        </Field>
        <Field label="Its id" error={errs.of('ref_id')} hint="The UUID shown on its page or in the case file">
          <input className="mono" value={ref} onChange={(e) => setRef(e.target.value)} data-testid="case-link-ref" />
        </Field>
        <Field label="Note" error={errs.of('note')}>
          <input value={note} onChange={(e) => setNote(e.target.value)} maxLength={1000} data-testid="case-link-note" />
        </Field>
      </div>
      <button
        type="submit"
        className="btn primary"
        disabled={!ref.trim() || link.isPending}
        data-testid="case-link-submit"
      >
        Link
      </button>
      {link.error && <ErrorBox error={link.error} title="Not linked" atField={errs.inline} />}
    </form>
  )
}
