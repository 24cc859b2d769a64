// TOTP (RFC 6238 over RFC 4226 HOTP): HMAC-SHA-1, 6 digits, 30-second steps, one step of drift either way.
// node:crypto only; the secret travels as RFC 4648 base32, as authenticator apps expect.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

export const TOTP_STEP_SECONDS = 30
export const TOTP_DIGITS = 6
/** Codes of the previous and the next step are accepted too: phones drift, people type slowly. */
export const TOTP_DRIFT_STEPS = 1
export const TOTP_ISSUER = 'numguard'

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

export function base32Encode(bytes: Buffer): string {
  let out = ''
  let bits = 0
  let value = 0
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31]
  return out
}

/** Decodes base32, ignoring case, spaces, dashes and padding (people copy secrets in groups). */
export function base32Decode(text: string): Buffer {
  const clean = text.toUpperCase().replace(/[\s=-]/g, '')
  const out: number[] = []
  let bits = 0
  let value = 0
  for (const ch of clean) {
    const index = BASE32.indexOf(ch)
    if (index < 0) throw new RangeError(`not a base32 character: ${ch}`)
    value = (value << 5) | index
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255)
      bits -= 8
    }
  }
  return Buffer.from(out)
}

/** 20 random bytes: the HMAC-SHA-1 key length RFC 4226 recommends. */
export function newTotpSecret(): Buffer {
  return randomBytes(20)
}

export function totpStep(at: Date): number {
  return Math.floor(at.getTime() / 1000 / TOTP_STEP_SECONDS)
}

/** RFC 4226 HOTP with dynamic truncation. */
export function hotp(secret: Buffer, counter: number, digits = TOTP_DIGITS): string {
  const message = Buffer.alloc(8)
  message.writeBigUInt64BE(BigInt(counter))
  const mac = createHmac('sha1', secret).update(message).digest()
  const offset = mac[mac.length - 1] & 0x0f
  const binary = mac.readUInt32BE(offset) & 0x7fffffff
  return String(binary % 10 ** digits).padStart(digits, '0')
}

export function totp(secret: Buffer, at: Date, digits = TOTP_DIGITS): string {
  return hotp(secret, totpStep(at), digits)
}

export type TotpCheck = { ok: true; step: number } | { ok: false; reason: 'wrong_code' | 'replayed_code' }

/**
 * Checks a code against the steps around `at`. A step at or before `lastStep` (the last code accepted) is a
 * replay and refused even if its code matches. Every candidate is compared, in constant time.
 */
export function checkTotp(secret: Buffer, code: string, at: Date, lastStep: number | null): TotpCheck {
  const typed = code.replace(/\s/g, '')
  if (!/^[0-9]{6}$/.test(typed)) return { ok: false, reason: 'wrong_code' }
  const now = totpStep(at)
  let matched: number | null = null
  for (let step = now - TOTP_DRIFT_STEPS; step <= now + TOTP_DRIFT_STEPS; step++) {
    const equal = timingSafeEqual(Buffer.from(hotp(secret, step)), Buffer.from(typed))
    if (equal && matched === null) matched = step
  }
  if (matched === null) return { ok: false, reason: 'wrong_code' }
  if (lastStep !== null && matched <= lastStep) return { ok: false, reason: 'replayed_code' }
  return { ok: true, step: matched }
}

/** The otpauth:// URI an authenticator app reads from a QR code (Key Uri Format). */
export function otpauthUri(secretBase32: string, account: string, issuer = TOTP_ISSUER): string {
  const label = encodeURIComponent(`${issuer}:${account}`)
  const params = new URLSearchParams({
    secret: secretBase32,
    issuer,
    algorithm: 'SHA1',
    digits: String(TOTP_DIGITS),
    period: String(TOTP_STEP_SECONDS),
  })
  return `otpauth://totp/${label}?${params}`
}
