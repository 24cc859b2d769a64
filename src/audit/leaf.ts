// An audit leaf: the exact bytes the Merkle tree hashes. RFC 8785 canonical JSON of the envelope with its version
// tag; stored as bytea and served as is, never re-serialised, so a verifier hashes exactly what was written.
import { createHash, randomBytes } from 'node:crypto'
import canonicalize from 'canonicalize'

export const LEAF_VERSION = 'numguard-leaf/1'

/** A personal value committed by a leaf, and the salt that blinds it (both kept only until erased). */
export interface PersonalCommitment {
  field: string
  salt: Buffer
  value: string
  /** hex SHA-256(salt ‖ UTF-8 value): what the leaf holds. */
  commitment: string
}

/** The canonical bytes of an envelope; the version tag always wins over a `v` the envelope might carry. */
export function encodeLeaf(envelope: Record<string, unknown>): Buffer {
  const text = canonicalize({ ...envelope, v: LEAF_VERSION })
  if (text === undefined) throw new Error('an audit envelope must be a JSON object')
  return Buffer.from(text, 'utf8')
}

export function decodeLeaf(leaf: Uint8Array): Record<string, unknown> {
  return JSON.parse(Buffer.from(leaf).toString('utf8'))
}

export function commitmentOf(salt: Uint8Array, value: string): string {
  return createHash('sha256').update(salt).update(value, 'utf8').digest('hex')
}

/** Blinds each present personal value with a fresh 16-byte salt; null and undefined values are left out. */
export function commitPersonal(personal: Record<string, string | null | undefined>): PersonalCommitment[] {
  const out: PersonalCommitment[] = []
  for (const [field, value] of Object.entries(personal)) {
    if (value === null || value === undefined) continue
    const salt = randomBytes(16)
    out.push({ field, salt, value, commitment: commitmentOf(salt, value) })
  }
  return out
}
