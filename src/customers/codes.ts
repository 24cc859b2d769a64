// One-time codes that open a customer's account. A 6-digit code has only a million values, so a plain hash would be
// reversed in a moment: it is kept as HMAC-SHA-256 under a key derived from NUMGUARD_KYC_KEY (which the database
// never holds), over a per-code salt and the binding "this challenge, this agent in this staff session, this
// subscriber at this number". A code read out for one agent or account opens nothing else.
import { createHmac, hkdfSync, randomBytes, randomInt, timingSafeEqual } from 'node:crypto'

export const CODE_DIGITS = 6

export interface CodeBinding {
  challengeId: string
  staffId: string
  staffSessionId: string
  subscriberId: string
  msisdn: string
}

const keys = new Map<string, Buffer>()
function codeKey(secretKey: string): Buffer {
  let key = keys.get(secretKey)
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', secretKey, 'numguard', 'customer-session-codes/v1', 32))
    keys.set(secretKey, key)
  }
  return key
}

/** A uniformly random 6-digit code (leading zeros kept). */
export function newCode(): string {
  return String(randomInt(0, 10 ** CODE_DIGITS)).padStart(CODE_DIGITS, '0')
}

function bindingText(b: CodeBinding): string {
  return ['customer_session/v1', b.challengeId, b.staffId, b.staffSessionId, b.subscriberId, b.msisdn].join('\n')
}

export function hashCode(secretKey: string, salt: Buffer, binding: CodeBinding, code: string): Buffer {
  return createHmac('sha256', codeKey(secretKey))
    .update(salt)
    .update(bindingText(binding))
    .update('\n')
    .update(code)
    .digest()
}

export function sealCode(secretKey: string, binding: CodeBinding, code: string): { salt: Buffer; hash: Buffer } {
  const salt = randomBytes(16)
  return { salt, hash: hashCode(secretKey, salt, binding, code) }
}

/** Constant-time comparison of a typed code with the stored HMAC. */
export function codeMatches(
  secretKey: string,
  salt: Buffer,
  hash: Buffer,
  binding: CodeBinding,
  typed: string,
): boolean {
  const candidate = hashCode(secretKey, salt, binding, typed)
  return candidate.length === hash.length && timingSafeEqual(candidate, hash)
}
