// Secret template parameters (one-time codes) never rest in clear: they are sealed with AES-256-GCM under a key
// derived (HKDF-SHA-256) from NUMGUARD_KYC_KEY, bound to the notice id, and the sealed bytes are wiped as soon
// as the notice leaves queued/submitting. Stored bodies show the code as asterisks.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

const keys = new Map<string, Buffer>()
function keyFor(secretKey: string): Buffer {
  let key = keys.get(secretKey)
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', secretKey, 'numguard', 'sms-notice-secrets/v1', 32))
    keys.set(secretKey, key)
  }
  return key
}

/** `iv (12) | tag (16) | ciphertext` of the secrets' JSON, authenticated with the notice id. */
export function sealSecrets(secretKey: string, noticeId: string, secrets: Record<string, string>): Buffer {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', keyFor(secretKey), iv)
  cipher.setAAD(Buffer.from(noticeId))
  const body = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()])
  return Buffer.concat([iv, cipher.getAuthTag(), body])
}

/** Throws when the key is not the one that sealed them or the bytes were changed. */
export function openSecrets(secretKey: string, noticeId: string, sealed: Buffer): Record<string, string> {
  const decipher = createDecipheriv('aes-256-gcm', keyFor(secretKey), sealed.subarray(0, 12))
  decipher.setAAD(Buffer.from(noticeId))
  decipher.setAuthTag(sealed.subarray(12, 28))
  const text = Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8')
  return JSON.parse(text) as Record<string, string>
}
