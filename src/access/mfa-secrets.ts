// TOTP secrets never rest in clear: sealed with AES-256-GCM under a key derived (HKDF-SHA-256) from
// NUMGUARD_KYC_KEY, bound to the staff id, so a copied row cannot be opened for another account or without the key.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import type { Clock } from '../domain/clock.ts'

const keys = new Map<string, Buffer>()
function keyFor(secretKey: string): Buffer {
  let key = keys.get(secretKey)
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', secretKey, 'numguard', 'staff-mfa-secrets/v1', 32))
    keys.set(secretKey, key)
  }
  return key
}

/** `iv (12) | tag (16) | ciphertext`. */
export function sealMfaSecret(secretKey: string, staffId: string, secret: Buffer): Buffer {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', keyFor(secretKey), iv)
  cipher.setAAD(Buffer.from(staffId))
  const body = Buffer.concat([cipher.update(secret), cipher.final()])
  return Buffer.concat([iv, cipher.getAuthTag(), body])
}

/** Throws when the key is not the one that sealed it, or the bytes or the staff id do not match. */
export function openMfaSecret(secretKey: string, staffId: string, sealed: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', keyFor(secretKey), sealed.subarray(0, 12))
  decipher.setAAD(Buffer.from(staffId))
  decipher.setAuthTag(sealed.subarray(12, 28))
  return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()])
}

/** What the MFA steps need besides the database: the sealing key and a clock of real time. */
export interface MfaSettings {
  secretKey: string
  /**
   * Wall time, never the demo's movable clock: a phone's authenticator follows the real clock, whatever the demo
   * clock says. Tests pass their manual clock.
   */
  wallClock: Clock
}

/** The MFA settings of an app: its KYC key, and its clock with any demo offset taken off. */
export function mfaSettingsOf(app: {
  config: { kycKey: string }
  clock: Clock
  movableClock?: { offsetMs: number; now(): Date }
}): MfaSettings {
  const movable = app.movableClock
  const wallClock: Clock = movable
    ? { now: () => new Date(movable.now().getTime() - movable.offsetMs) }
    : { now: () => app.clock.now() }
  return { secretKey: app.config.kycKey, wallClock }
}
