import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { hash, verify } from '@node-rs/argon2'

/** argon2id, the library's default algorithm (a test checks the `$argon2id$` prefix). */
export function hashPassword(password: string): Promise<string> {
  return hash(password)
}

// Verifying against a real hash when the account does not exist keeps sign-in timing the same.
let dummyHash: Promise<string> | undefined
export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  if (!passwordHash) {
    dummyHash ??= hashPassword('numguard-timing-equaliser')
    await verify(await dummyHash, password).catch(() => false)
    return false
  }
  return verify(passwordHash, password).catch(() => false)
}

/** A bearer token: a prefix that says what it is, then 32 random bytes. Only its SHA-256 is stored. */
export function newToken(prefix: 'ngs' | 'ngm'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest()
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

export function keyedHash(key: string, value: string): string {
  return createHmac('sha256', key).update(value).digest('hex')
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a)
  const bb = Buffer.from(b)
  return ab.length === bb.length && timingSafeEqual(ab, bb)
}
