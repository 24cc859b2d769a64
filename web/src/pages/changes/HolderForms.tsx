import { useState } from 'react'
import { Field } from '../../components/Status'
import { fmtTime } from '../../format'
import { ChangeForm } from './ChangeForm'
import type { FiledChange, SwapLock } from './changeTypes'

interface FormProps<T> {
  msisdn: string
  onDone: (r: T) => void
  onCancel: () => void
}

const DOC_KINDS = ['national_id', 'passport', 'business_registration', 'other'] as const

/** The holder ends their contract: they agree by SMS; it executes 24 h later unless they reply NO. */
export function TerminationForm({ msisdn, onDone, onCancel }: FormProps<FiledChange>) {
  return (
    <ChangeForm<FiledChange>
      msisdn={msisdn}
      path="termination"
      title="Terminate"
      intro="The holder is sent a code and agrees by replying YES <code> from this number. The number is withdrawn 24 h later (a NO stops it) and ages before anyone else may have it."
      fields={[]}
      submitLabel="File termination"
      body={() => ({})}
      onDone={onDone}
      onCancel={onCancel}
    >
      {() => null}
    </ChangeForm>
  )
}

/** The holder's new identity document: they agree by SMS; a supervisor of another shop approves. */
export function KycChangeForm({ msisdn, onDone, onCancel }: FormProps<FiledChange>) {
  const [kind, setKind] = useState<(typeof DOC_KINDS)[number]>('national_id')
  const [doc, setDoc] = useState('')
  const [name, setName] = useState('')
  return (
    <ChangeForm<FiledChange>
      msisdn={msisdn}
      path="kyc-change"
      title="KYC change"
      intro="The holder's new document replaces the one on record once they agree by SMS and a supervisor of another shop approves. ID-only authentication is refused for 30 days after."
      fields={['kyc_doc_kind', 'kyc_doc_number', 'name']}
      submitLabel="File KYC change"
      ready={doc.trim() !== ''}
      body={() => ({ kyc_doc_kind: kind, kyc_doc_number: doc.trim(), ...(name.trim() ? { name: name.trim() } : {}) })}
      onDone={onDone}
      onCancel={onCancel}
    >
      {(errs) => (
        <div className="form-grid">
          <Field label="New ID document" error={errs.of('kyc_doc_kind')}>
            <select value={kind} onChange={(e) => setKind(e.target.value as typeof kind)} data-testid="kyc-doc-kind">
              {DOC_KINDS.map((k) => (
                <option key={k} value={k}>
                  {k.replaceAll('_', ' ')}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Document number" error={errs.of('kyc_doc_number')}>
            <input value={doc} onChange={(e) => setDoc(e.target.value)} required autoComplete="off" maxLength={60} />
          </Field>
          <Field label="Name (if it changed)" error={errs.of('name')}>
            <input value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
          </Field>
        </div>
      )}
    </ChangeForm>
  )
}

/** The holder, here with their ID, turns the SIM-swap lock on (at once) or off (24 h later, with a notice). */
export function SwapLockForm({ msisdn, onDone, onCancel }: FormProps<SwapLock>) {
  const [action, setAction] = useState<'lock' | 'unlock'>('lock')
  const [doc, setDoc] = useState('')
  return (
    <ChangeForm<SwapLock>
      msisdn={msisdn}
      path="swap-lock"
      title="Swap lock on/off"
      intro="Only the holder turns the lock on or off: by SMS (LOCK / UNLOCK), or here with their ID. On at once; off 24 h after asking, and the holder is told."
      fields={['action', 'kyc_doc_number']}
      submitLabel={action === 'lock' ? 'Turn the lock on' : 'Ask to turn the lock off'}
      ready={doc.trim() !== ''}
      body={() => ({ action, kyc_doc_number: doc.trim() })}
      onDone={onDone}
      onCancel={onCancel}
    >
      {(errs) => (
        <div className="form-grid">
          <Field label="Lock" error={errs.of('action')}>
            <select value={action} onChange={(e) => setAction(e.target.value as 'lock' | 'unlock')}>
              <option value="lock">on</option>
              <option value="unlock">off (takes 24 h)</option>
            </select>
          </Field>
          <Field label="Holder's ID document number" error={errs.of('kyc_doc_number')}>
            <input value={doc} onChange={(e) => setDoc(e.target.value)} required autoComplete="off" maxLength={60} />
          </Field>
        </div>
      )}
    </ChangeForm>
  )
}

/** What the lock is now, in words. */
export function lockText(l: SwapLock): string {
  if (!l.locked) return 'off'
  const since = `on since ${fmtTime(l.locked_at)}${l.locked_via ? ` (${l.locked_via === 'sms' ? 'by SMS' : 'in a shop'})` : ''}`
  return l.unlocks_at ? `${since}; turns off at ${fmtTime(l.unlocks_at)}` : since
}
