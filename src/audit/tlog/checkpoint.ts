import { NoteError } from './errors.ts'
import { parseVerifierKey } from './keys.ts'
import { type Checkpoint, openNote, parseCheckpoint, parseNote } from './note.ts'

export type Cosignature = { name: string; keyId: string; timestamp: number }
export type OpenedCheckpoint = Checkpoint & {
  body: string
  /** The log's verified signature. */
  signedBy: { name: string; keyId: string }
  /** Verified cosignatures by the witness keys given. */
  cosignatures: Cosignature[]
  /** Signature lines by keys not given (kept, not trusted). */
  unverified: { name: string; keyId: string }[]
}

export type OpenCheckpointOptions = {
  /** Witness verifier keys (type 0x04) whose cosignatures are verified when present. */
  witnesses?: readonly string[]
  /** 'all': every witness given must have cosigned; a number: at least that many of them. Default 0. */
  requireWitnesses?: 'all' | number
  /** Refuse a checkpoint whose origin line differs. */
  origin?: string
}

/**
 * Opens a signed checkpoint: the log's Ed25519 signature must be present and valid, the body must be a strict
 * C2SP checkpoint, and every cosignature by a given witness key must verify. Throws NoteError saying what failed.
 */
export function openCheckpoint(
  note: string | Uint8Array,
  logVkey: string,
  opts: OpenCheckpointOptions = {},
): OpenedCheckpoint {
  const log = parseVerifierKey(logVkey)
  if (log.type !== 'ed25519') throw new NoteError(`log key ${log.name} is a witness key (type 0x04), not a log key`)
  const witnesses = (opts.witnesses ?? []).map(parseVerifierKey)
  for (const w of witnesses)
    if (w.type !== 'cosignature') throw new NoteError(`witness key ${w.name} is not a cosignature key (type 0x04)`)
  const logId = log.keyId.toString('hex')

  const parsed = parseNote(note)
  const checkpoint = parseCheckpoint(parsed.body)
  const opened = openNoteExplained(note, [logVkey, ...(opts.witnesses ?? [])], log.name, logId, parsed.signatures)
  const signedBy = opened.verified.find((v) => v.name === log.name && v.keyId === logId)
  if (!signedBy) throw new NoteError(missingSignature('log', log.name, logId, parsed.signatures))
  if (opts.origin !== undefined && checkpoint.origin !== opts.origin)
    throw new NoteError(`checkpoint origin is "${checkpoint.origin}", expected "${opts.origin}"`)

  const cosignatures = opened.verified
    .filter((v) => v.timestamp !== undefined)
    .map((v) => ({ name: v.name, keyId: v.keyId, timestamp: v.timestamp as number }))
  const need = opts.requireWitnesses === 'all' ? witnesses.length : (opts.requireWitnesses ?? 0)
  if (cosignatures.length < need) {
    const missing = witnesses.filter((w) => !cosignatures.some((c) => c.keyId === w.keyId.toString('hex')))
    const why = missing.map((w) => missingSignature('witness', w.name, w.keyId.toString('hex'), parsed.signatures))
    throw new NoteError(`checkpoint has ${cosignatures.length} of the ${need} cosignatures required: ${why.join('; ')}`)
  }
  return {
    ...checkpoint,
    body: opened.body,
    signedBy: { name: signedBy.name, keyId: signedBy.keyId },
    cosignatures,
    unverified: opened.unverified,
  }
}

function openNoteExplained(
  note: string | Uint8Array,
  keys: string[],
  logName: string,
  logId: string,
  signatures: { name: string; keyId: string }[],
) {
  try {
    return openNote(note, keys)
  } catch (err) {
    if (err instanceof NoteError && err.message.startsWith('note has no signature by a known key'))
      throw new NoteError(missingSignature('log', logName, logId, signatures))
    throw err
  }
}

function missingSignature(role: string, name: string, keyId: string, sigs: { name: string; keyId: string }[]) {
  const sameName = sigs.filter((s) => s.name === name).map((s) => s.keyId)
  const hint = sameName.length > 0 ? ` (a line named ${name} has key id ${sameName.join(', ')})` : ''
  return `no signature by the ${role} key ${name} with key id ${keyId}${hint}`
}
