import canonicalize from 'canonicalize'
import { sha256Hex } from '../access/index.ts'
import { ValidationError } from '../domain/errors.ts'

/**
 * The SHA-256 an approver signs: of the payload's canonical JSON (RFC 8785), so the same request always hashes the
 * same whatever the key order, and reading it back from jsonb hashes the same again.
 */
export function payloadSha256(payload: Record<string, unknown>): string {
  const text = canonicalize(payload)
  if (text === undefined) throw new ValidationError('payload', 'the payload must be a JSON object')
  return sha256Hex(text)
}
