// One-time consent codes. A 6-digit code has a million values, so a plain hash would be reversed at once: only an
// HMAC-SHA-256 under a key derived from NUMGUARD_KYC_KEY (which the database never holds) is kept, over a per-code
// salt and the binding "this code, this request, this purpose, this number". A code can approve nothing else.
import { createHmac, hkdfSync, randomBytes, randomInt, timingSafeEqual } from 'node:crypto'

export const CONSENT_CODE_DIGITS = 6
/** How long the holder has to reply: long enough to read an SMS in a shop, short enough to be useless later. */
export const CONSENT_CODE_MINUTES = 15
/** Wrong codes from the number before every pending code of the number is void (a new one must be sent). */
export const CONSENT_CODE_ATTEMPTS = 5

export interface ConsentBinding {
  codeId: string
  requestId: string
  purpose: string
  msisdn: string
}

const keys = new Map<string, Buffer>()
function codeKey(secretKey: string): Buffer {
  let key = keys.get(secretKey)
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', secretKey, 'numguard', 'consent-codes/v1', 32))
    keys.set(secretKey, key)
  }
  return key
}

export function newConsentCode(): string {
  return String(randomInt(0, 10 ** CONSENT_CODE_DIGITS)).padStart(CONSENT_CODE_DIGITS, '0')
}

function hashCode(secretKey: string, salt: Buffer, b: ConsentBinding, code: string): Buffer {
  return createHmac('sha256', codeKey(secretKey))
    .update(salt)
    .update(['consent/v1', b.codeId, b.requestId, b.purpose, b.msisdn, code].join('\n'))
    .digest()
}

export function sealConsentCode(secretKey: string, b: ConsentBinding, code: string): { salt: Buffer; hash: Buffer } {
  const salt = randomBytes(16)
  return { salt, hash: hashCode(secretKey, salt, b, code) }
}

/** Constant-time comparison of a replied code with the stored HMAC. */
export function consentCodeMatches(
  secretKey: string,
  salt: Buffer,
  hash: Buffer,
  b: ConsentBinding,
  replied: string,
): boolean {
  const candidate = hashCode(secretKey, salt, b, replied)
  return candidate.length === hash.length && timingSafeEqual(candidate, hash)
}
