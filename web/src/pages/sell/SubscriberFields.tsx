import { Field } from '../../components/Status'

export interface NewSubscriber {
  party_kind: 'person' | 'organisation'
  account_type: 'prepaid' | 'postpaid'
  name: string
  kyc_doc_kind: 'national_id' | 'passport' | 'business_registration' | 'other'
  kyc_doc_number: string
  language: 'km' | 'en'
  alt_contact: string
}

export const EMPTY_SUBSCRIBER: NewSubscriber = {
  party_kind: 'person',
  account_type: 'prepaid',
  name: '',
  kyc_doc_kind: 'national_id',
  kyc_doc_number: '',
  language: 'km',
  alt_contact: '',
}

const opt = (values: string[]) =>
  values.map((v) => (
    <option key={v} value={v}>
      {v.replaceAll('_', ' ')}
    </option>
  ))

/** The new subscriber's KYC form; a field the server's answer names shows its message (see fieldErrors). */
export function SubscriberFields({
  value,
  onChange,
  errorOf,
}: {
  value: NewSubscriber
  onChange: (v: NewSubscriber) => void
  errorOf: (field: string) => string | undefined
}) {
  const set = <K extends keyof NewSubscriber>(k: K, v: NewSubscriber[K]) => onChange({ ...value, [k]: v })
  const err = (k: keyof NewSubscriber) => errorOf(`subscriber.${k}`)
  const bad = (k: keyof NewSubscriber) => (err(k) ? true : undefined)
  return (
    <div className="form-grid">
      <Field label="Party" error={err('party_kind')}>
        <select
          value={value.party_kind}
          onChange={(e) => set('party_kind', e.target.value as NewSubscriber['party_kind'])}
          aria-invalid={bad('party_kind')}
          data-testid="sell-party-kind"
        >
          {opt(['person', 'organisation'])}
        </select>
      </Field>
      <Field label="Account" error={err('account_type')}>
        <select
          value={value.account_type}
          onChange={(e) => set('account_type', e.target.value as NewSubscriber['account_type'])}
          aria-invalid={bad('account_type')}
          data-testid="sell-account-type"
        >
          {opt(['prepaid', 'postpaid'])}
        </select>
      </Field>
      <Field label="Full name (as on the document)" error={err('name')}>
        <input
          value={value.name}
          onChange={(e) => set('name', e.target.value)}
          required
          aria-invalid={bad('name')}
          data-testid="sell-name"
        />
      </Field>
      <Field label="Language for SMS" error={err('language')}>
        <select
          value={value.language}
          onChange={(e) => set('language', e.target.value as NewSubscriber['language'])}
          aria-invalid={bad('language')}
          data-testid="sell-language"
        >
          <option value="km">Khmer (km)</option>
          <option value="en">English (en)</option>
        </select>
      </Field>
      <Field label="ID document" error={err('kyc_doc_kind')}>
        <select
          value={value.kyc_doc_kind}
          onChange={(e) => set('kyc_doc_kind', e.target.value as NewSubscriber['kyc_doc_kind'])}
          aria-invalid={bad('kyc_doc_kind')}
          data-testid="sell-doc-kind"
        >
          {opt(['national_id', 'passport', 'business_registration', 'other'])}
        </select>
      </Field>
      <Field
        label="Document number"
        error={err('kyc_doc_number')}
        hint="Stored only as a keyed hash and its last 4 characters."
      >
        <input
          value={value.kyc_doc_number}
          onChange={(e) => set('kyc_doc_number', e.target.value)}
          required
          autoComplete="off"
          aria-invalid={bad('kyc_doc_number')}
          data-testid="sell-doc-number"
        />
      </Field>
      <Field
        label="Alternate contact (optional)"
        error={err('alt_contact')}
        hint="Another phone number or e-mail for notices."
      >
        <input
          value={value.alt_contact}
          onChange={(e) => set('alt_contact', e.target.value)}
          aria-invalid={bad('alt_contact')}
          data-testid="sell-alt-contact"
        />
      </Field>
    </div>
  )
}
