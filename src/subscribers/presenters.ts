import { parsePhoneNumberFromString } from 'libphonenumber-js/max'

/** Masks a name to its initials: "Sokha Chan" -> "S**** C***". Details are shown in full only inside a customer session. */
export function maskName(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => w[0] + '*'.repeat(Math.max(1, [...w].length - 1)))
    .join(' ')
}

export function maskContact(contact: string | null): string | null {
  if (!contact) return null
  return contact.length <= 4 ? '****' : `${'*'.repeat(contact.length - 2)}${contact.slice(-2)}`
}

export interface SubscriberRow {
  id: string
  name: string
  party_kind: string
  account_type: string
  language: string
  kyc_doc_kind: string
  kyc_doc_last4: string
  alt_contact?: string | null
}

/**
 * How much of a subscriber a caller sees (invariant 10): `masked` everywhere a number is looked up (no document
 * digits); `work`, a supervisor's, compliance officer's or auditor's view (the document's last 4 added); `full`,
 * an agent's inside a customer session opened by authenticating the customer (name and contact in clear).
 */
export type SubscriberDetailLevel = 'masked' | 'work' | 'full'

export function presentSubscriber(s: SubscriberRow, level: SubscriberDetailLevel = 'masked') {
  return {
    id: s.id,
    name_masked: maskName(s.name),
    party_kind: s.party_kind,
    account_type: s.account_type,
    language: s.language,
    kyc_doc_kind: s.kyc_doc_kind,
    kyc_doc_last4: level === 'masked' ? null : s.kyc_doc_last4,
    alt_contact_masked: maskContact(s.alt_contact ?? null),
    ...(level === 'full' ? { name: s.name, alt_contact: s.alt_contact ?? null } : {}),
  }
}

/** Masks an MSISDN to its country code and last 3 digits: "+85512000001" -> "+855*****001". */
export function maskMsisdn(msisdn: string): string {
  const digits = msisdn.replace(/^\+/, '')
  const country = parsePhoneNumberFromString(`+${digits}`)?.countryCallingCode ?? ''
  const shown = digits.length > country.length + 3 ? country : ''
  return `+${shown}${'*'.repeat(Math.max(1, digits.length - shown.length - 3))}${digits.slice(-3)}`
}
