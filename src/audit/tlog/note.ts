import { sign, verify } from 'node:crypto'
import { NoteError } from './errors.ts'
import {
  decodeBase64Strict,
  generateSignerKey,
  generateWitnessKey,
  isValidKeyName,
  isWellFormed,
  type KeyType,
  type ParsedSignerKey,
  type ParsedVerifierKey,
  parseSignerKey,
  parseVerifierKey,
  verifierKeyOf,
} from './keys.ts'

export type { KeyType, ParsedSignerKey, ParsedVerifierKey }
export { generateSignerKey, generateWitnessKey, NoteError, parseSignerKey, parseVerifierKey, verifierKeyOf }

export type Checkpoint = { origin: string; size: number; rootHash: Buffer; extensions: string[] }
export type NoteSignature = { name: string; keyId: string; signature: Buffer; line: string }
export type OpenedNote = {
  body: string
  verified: { name: string; keyId: string; timestamp?: number }[]
  unverified: { name: string; keyId: string }[]
}

/** Notes above this are refused before any parsing (a checkpoint with a few cosignatures is under 1 KB). */
export const MAX_NOTE_BYTES = 1_000_000
/** At least 16 must be accepted (C2SP); more than this is refused as abuse. */
export const MAX_SIGNATURES = 100
const EM_DASH_PREFIX = '\u2014 '
const COSIGNATURE_HEADER = 'cosignature/v1\n'

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true })

/** Decodes note bytes strictly (bad UTF-8 is refused) and checks size and characters. */
function noteText(note: string | Uint8Array): string {
  let text: string
  if (typeof note === 'string') {
    if (!isWellFormed(note)) throw new NoteError('note is not valid UTF-8 (it has an unpaired surrogate)')
    if (Buffer.byteLength(note, 'utf8') > MAX_NOTE_BYTES)
      throw new NoteError(`note is larger than ${MAX_NOTE_BYTES} bytes`)
    text = note
  } else {
    if (note.length > MAX_NOTE_BYTES) throw new NoteError(`note is larger than ${MAX_NOTE_BYTES} bytes`)
    try {
      text = fatalUtf8.decode(note)
    } catch {
      throw new NoteError('note is not valid UTF-8')
    }
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused here
  const bad = /[\u0000-\u0009\u000b-\u001f]/.exec(text)
  if (bad) throw new NoteError(`note has a control character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')}`)
  return text
}

function checkBody(body: string): void {
  if (body.length === 0 || !body.endsWith('\n')) throw new NoteError('note text must be non-empty and end in a newline')
}

/** Splits a note into its text and signature lines without verifying anything (C2SP signed-note syntax, strict). */
export function parseNote(note: string | Uint8Array): { body: string; signatures: NoteSignature[] } {
  const text = noteText(note)
  if (!text.endsWith('\n')) throw new NoteError('note does not end in a newline')
  const split = text.lastIndexOf('\n\n')
  if (split < 0) throw new NoteError('note has no blank line before its signatures')
  const body = text.slice(0, split + 1)
  const sigText = text.slice(split + 2)
  if (sigText.length === 0) throw new NoteError('note has no signature lines')
  const lines = sigText.slice(0, -1).split('\n')
  if (lines.length > MAX_SIGNATURES) throw new NoteError(`note has more than ${MAX_SIGNATURES} signatures`)
  const signatures = lines.map((line, i) => {
    const where = `signature line ${i + 1}`
    if (!line.startsWith(EM_DASH_PREFIX)) throw new NoteError(`${where} does not start with "— "`)
    const rest = line.slice(EM_DASH_PREFIX.length)
    const space = rest.indexOf(' ')
    if (space < 0) throw new NoteError(`${where} has no space between key name and signature`)
    const name = rest.slice(0, space)
    const b64 = rest.slice(space + 1)
    if (!isValidKeyName(name)) throw new NoteError(`${where} has an invalid key name "${name}"`)
    const bytes = decodeBase64Strict(b64)
    if (!bytes) throw new NoteError(`${where} (${name}) is not canonical standard base64`)
    if (bytes.length < 5) throw new NoteError(`${where} (${name}) is too short to hold a key id and a signature`)
    return { name, keyId: bytes.subarray(0, 4).toString('hex'), signature: bytes.subarray(4), line: `${line}\n` }
  })
  return { body, signatures }
}

const signatureLine = (name: string, keyId: Buffer, sig: Buffer) =>
  `${EM_DASH_PREFIX}${name} ${Buffer.concat([keyId, sig]).toString('base64')}\n`

/** Signs `body` with an Ed25519 (type 0x01) signer key: the full note, body + blank line + one signature line. */
export function signNote(body: string, skey: string): string {
  checkBody(body)
  noteText(body)
  const key = parseSignerKey(skey)
  if (key.type !== 'ed25519')
    throw new NoteError(`signer key ${key.name} is a witness (cosignature) key, not a note key`)
  const sig = sign(null, Buffer.from(body, 'utf8'), key.privateKey)
  return `${body}\n${signatureLine(key.name, key.keyId, sig)}`
}

const cosignedMessage = (body: string, timestamp: number) =>
  Buffer.from(`${COSIGNATURE_HEADER}time ${timestamp}\n${body}`, 'utf8')

/**
 * A C2SP tlog-cosignature/v1 line over a checkpoint body: "— <name> base64(keyId ‖ u64be timestamp ‖ Ed25519 sig)".
 * Append it to the signed checkpoint note to publish the cosignature.
 */
export function cosignCheckpoint(body: string, witnessSkey: string, timestampSeconds: number): string {
  checkBody(body)
  noteText(body)
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0)
    throw new NoteError(`cosignature timestamp must be whole seconds since the epoch (got ${timestampSeconds})`)
  const key = parseSignerKey(witnessSkey)
  if (key.type !== 'cosignature') throw new NoteError(`signer key ${key.name} is not a witness (cosignature) key`)
  const ts = Buffer.alloc(8)
  ts.writeBigUInt64BE(BigInt(timestampSeconds))
  const sig = sign(null, cosignedMessage(body, timestampSeconds), key.privateKey)
  return signatureLine(key.name, key.keyId, Buffer.concat([ts, sig]))
}

function verifyOne(body: string, s: NoteSignature, key: ParsedVerifierKey): number | undefined {
  if (key.type === 'ed25519') {
    if (s.signature.length !== 64 || !verify(null, Buffer.from(body, 'utf8'), key.publicKey, s.signature))
      throw new NoteError(`the signature by ${s.name} (key id ${s.keyId}) does not verify`)
    return undefined
  }
  if (s.signature.length !== 72)
    throw new NoteError(`the cosignature by ${s.name} (key id ${s.keyId}) is ${s.signature.length} bytes, expected 72`)
  const ts = s.signature.readBigUInt64BE(0)
  if (ts > BigInt(Number.MAX_SAFE_INTEGER))
    throw new NoteError(`the cosignature by ${s.name} has an impossible timestamp ${ts}`)
  const timestamp = Number(ts)
  if (!verify(null, cosignedMessage(body, timestamp), key.publicKey, s.signature.subarray(8)))
    throw new NoteError(`the cosignature by ${s.name} (key id ${s.keyId}, time ${timestamp}) does not verify`)
  return timestamp
}

/**
 * Opens a signed note against the given verifier keys (log keys type 0x01 and witness keys type 0x04). Signatures
 * by unknown keys (name and key id not both matching) are returned as unverified; a known key's signature that
 * fails, a malformed note, or a note with no verified signature at all throws NoteError (C2SP signed-note).
 * Pass bytes (Buffer) when reading from a file or the network so bad UTF-8 is caught.
 */
export function openNote(note: string | Uint8Array, verifiers: readonly string[]): OpenedNote {
  const { body, signatures } = parseNote(note)
  const known = new Map<string, ParsedVerifierKey>()
  for (const v of verifiers) {
    const k = parseVerifierKey(v)
    known.set(`${k.name} ${k.keyId.toString('hex')}`, k)
  }
  const verified: OpenedNote['verified'] = []
  const unverified: OpenedNote['unverified'] = []
  const seen = new Set<string>()
  for (const s of signatures) {
    const id = `${s.name} ${s.keyId}`
    const key = known.get(id)
    if (!key) {
      if (!seen.has(s.line)) unverified.push({ name: s.name, keyId: s.keyId })
      seen.add(s.line)
      continue
    }
    const timestamp = verifyOne(body, s, key) // every signature by a known key must verify, repeats included
    if (seen.has(id)) continue
    seen.add(id)
    verified.push(
      timestamp === undefined ? { name: s.name, keyId: s.keyId } : { name: s.name, keyId: s.keyId, timestamp },
    )
  }
  if (verified.length === 0) {
    const names = [...known.values()].map((k) => `${k.name}+${k.keyId.toString('hex')}`).join(', ') || 'none given'
    throw new NoteError(`note has no signature by a known key (known: ${names})`)
  }
  return { body, verified, unverified }
}

/** The checkpoint body (C2SP tlog-checkpoint): origin, decimal size, base64 root, extension lines; ends in "\n". */
export function formatCheckpoint(c: {
  origin: string
  size: number
  rootHash: Buffer
  extensions?: readonly string[]
}): string {
  if (c.origin.length === 0 || c.origin.includes('\n'))
    throw new NoteError('checkpoint origin must be one non-empty line')
  if (!Number.isSafeInteger(c.size) || c.size < 0)
    throw new NoteError(`checkpoint size ${c.size} is not a whole number`)
  if (c.rootHash.length !== 32) throw new NoteError(`checkpoint root hash is ${c.rootHash.length} bytes, expected 32`)
  for (const e of c.extensions ?? [])
    if (e.length === 0 || e.includes('\n'))
      throw new NoteError('checkpoint extension lines must be non-empty single lines')
  const body = `${[c.origin, String(c.size), c.rootHash.toString('base64'), ...(c.extensions ?? [])].join('\n')}\n`
  noteText(body)
  return body
}

/** Parses a checkpoint body strictly; throws NoteError naming the line that is wrong. */
export function parseCheckpoint(body: string): Checkpoint {
  noteText(body)
  if (!body.endsWith('\n')) throw new NoteError('checkpoint does not end in a newline')
  const lines = body.slice(0, -1).split('\n')
  if (lines.length < 3) throw new NoteError(`checkpoint has ${lines.length} lines, expected at least 3`)
  const [origin, sizeText, rootText, ...extensions] = lines
  if (origin.length === 0) throw new NoteError('checkpoint origin line is empty')
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText))
    throw new NoteError(`checkpoint size line "${sizeText}" is not a decimal number without leading zeros`)
  const size = Number(sizeText)
  if (!Number.isSafeInteger(size)) throw new NoteError(`checkpoint size ${sizeText} is too large`)
  const rootHash = decodeBase64Strict(rootText)
  if (rootHash?.length !== 32) throw new NoteError(`checkpoint root hash line "${rootText}" is not base64 of 32 bytes`)
  extensions.forEach((e, i) => {
    if (e.length === 0) throw new NoteError(`checkpoint extension line ${i + 1} is empty`)
  })
  return { origin, size, rootHash, extensions }
}
