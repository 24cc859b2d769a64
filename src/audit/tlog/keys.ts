import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { NoteError } from './errors.ts'

/** C2SP signed-note signature types we speak: 0x01 Ed25519 note signatures, 0x04 tlog-cosignature/v1 (Ed25519). */
export type KeyType = 'ed25519' | 'cosignature'
export const TYPE_BYTE: Record<KeyType, number> = { ed25519: 0x01, cosignature: 0x04 }

export type ParsedVerifierKey = { name: string; keyId: Buffer; publicKey: KeyObject; type: KeyType }
export type ParsedSignerKey = ParsedVerifierKey & { privateKey: KeyObject }

// DER prefixes that wrap a raw 32-byte Ed25519 key into SPKI / PKCS#8 for node:crypto.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

/** Key names: non-empty, no Unicode spaces, no '+' (C2SP signed-note), and no control characters. */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+\p{Cc}\u200b\u2028\u2029\ufeff]/u.test(name) && isWellFormed(name)
}

/** True when the string encodes to UTF-8 and back unchanged (no unpaired surrogates). */
export function isWellFormed(text: string): boolean {
  return Buffer.from(text, 'utf8').toString('utf8') === text
}

/** Strict standard base64 with padding: only canonical encodings are accepted. */
export function decodeBase64Strict(text: string): Buffer | null {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null
  const bytes = Buffer.from(text, 'base64')
  return bytes.toString('base64') === text ? bytes : null
}

export function computeKeyId(name: string, type: KeyType, publicKey: Buffer): Buffer {
  return createHash('sha256')
    .update(Buffer.from(`${name}\n`, 'utf8'))
    .update(Buffer.from([TYPE_BYTE[type]]))
    .update(publicKey)
    .digest()
    .subarray(0, 4)
}

export function rawPublicKey(key: KeyObject): Buffer {
  return (key.export({ format: 'der', type: 'spki' }) as Buffer).subarray(SPKI_PREFIX.length)
}
const publicFromRaw = (raw: Buffer) =>
  createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' })
const privateFromSeed = (seed: Buffer) =>
  createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })

function typeFromByte(byte: number, what: string): KeyType {
  if (byte === 0x01) return 'ed25519'
  if (byte === 0x04) return 'cosignature'
  throw new NoteError(
    `${what} has signature type 0x${byte.toString(16).padStart(2, '0')}; only 0x01 (Ed25519) and 0x04 (cosignature) are supported`,
  )
}

function parseKeyParts(name: string, idHex: string, b64: string, what: string) {
  if (!isValidKeyName(name)) throw new NoteError(`${what}: the key name "${name}" is empty or has a space or '+'`)
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new NoteError(`${what}: the key id "${idHex}" is not 8 lowercase hex digits`)
  const material = decodeBase64Strict(b64)
  if (material?.length !== 33)
    throw new NoteError(`${what}: the key material is not base64 of a type byte and 32 bytes`)
  const type = typeFromByte(material[0], what)
  return { name, idHex, type, raw: material.subarray(1) }
}

/** Parses a verifier key "<name>+<hex key id>+<base64(type ‖ 32-byte public key)>" and checks its key id. */
export function parseVerifierKey(vkey: string): ParsedVerifierKey {
  const text = vkey.trim()
  const a = text.indexOf('+')
  const b = a < 0 ? -1 : text.indexOf('+', a + 1)
  if (a < 0 || b < 0) throw new NoteError('verifier key: expected <name>+<key id>+<base64 key>')
  const p = parseKeyParts(text.slice(0, a), text.slice(a + 1, b), text.slice(b + 1), 'verifier key')
  const keyId = computeKeyId(p.name, p.type, p.raw)
  if (keyId.toString('hex') !== p.idHex)
    throw new NoteError(`verifier key: key id ${p.idHex} does not match the key (computed ${keyId.toString('hex')})`)
  return { name: p.name, keyId, publicKey: publicFromRaw(p.raw), type: p.type }
}

/** Parses a signer key "PRIVATE+KEY+<name>+<hex key id>+<base64(type ‖ 32-byte seed)>" and checks its key id. */
export function parseSignerKey(skey: string): ParsedSignerKey {
  const text = skey.trim()
  const parts: string[] = []
  let rest = text
  for (let i = 0; i < 4; i++) {
    const at = rest.indexOf('+')
    if (at < 0) throw new NoteError('signer key: expected PRIVATE+KEY+<name>+<key id>+<base64 key>')
    parts.push(rest.slice(0, at))
    rest = rest.slice(at + 1)
  }
  if (parts[0] !== 'PRIVATE' || parts[1] !== 'KEY') throw new NoteError('signer key: it must start with PRIVATE+KEY+')
  const p = parseKeyParts(parts[2], parts[3], rest, 'signer key')
  const privateKey = privateFromSeed(p.raw)
  const publicKey = createPublicKey(privateKey)
  const keyId = computeKeyId(p.name, p.type, rawPublicKey(publicKey))
  if (keyId.toString('hex') !== p.idHex)
    throw new NoteError(`signer key: key id ${p.idHex} does not match the key (computed ${keyId.toString('hex')})`)
  return { name: p.name, keyId, publicKey, privateKey, type: p.type }
}

function generate(name: string, type: KeyType): { skey: string; vkey: string } {
  if (!isValidKeyName(name)) throw new NoteError(`key name "${name}" must be non-empty, without spaces or '+'`)
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const seed = (privateKey.export({ format: 'der', type: 'pkcs8' }) as Buffer).subarray(PKCS8_PREFIX.length)
  const pub = rawPublicKey(publicKey)
  const id = computeKeyId(name, type, pub).toString('hex')
  const t = Buffer.from([TYPE_BYTE[type]])
  return {
    skey: `PRIVATE+KEY+${name}+${id}+${Buffer.concat([t, seed]).toString('base64')}`,
    vkey: `${name}+${id}+${Buffer.concat([t, pub]).toString('base64')}`,
  }
}

/** A new Ed25519 key for signing notes (log checkpoints): type 0x01. */
export function generateSignerKey(name: string): { skey: string; vkey: string } {
  return generate(name, 'ed25519')
}

/** A new Ed25519 witness key for C2SP tlog-cosignature/v1: type 0x04 in its key id, vkey and skey. */
export function generateWitnessKey(name: string): { skey: string; vkey: string } {
  return generate(name, 'cosignature')
}

/** The verifier key matching a signer key (what to publish). */
export function verifierKeyOf(skey: string): string {
  const k = parseSignerKey(skey)
  const material = Buffer.concat([Buffer.from([TYPE_BYTE[k.type]]), rawPublicKey(k.publicKey)])
  return `${k.name}+${k.keyId.toString('hex')}+${material.toString('base64')}`
}
