// C2SP tlog-witness add-checkpoint, without HTTP: request parsing and the decision the witness takes.

import { EMPTY_ROOT, NoteError, ProofError, parseCheckpoint, parseNote, verifyConsistency } from '../tlog/index.ts'
import { decodeBase64Strict } from '../tlog/keys.ts'
import type { Checkpoint } from '../tlog/note.ts'

/** The spec's cap on proof lines (a proof for a 2^63-leaf tree). */
export const MAX_PROOF_LINES = 63
/** A checkpoint note (at most 1 MB) plus the old size line and 63 proof lines. */
export const MAX_REQUEST_BYTES = 1_000_000 + 64 * 64

export type AddCheckpointRequest = { oldSize: number; proof: Buffer[]; note: Buffer }

export class BadRequest extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'BadRequest'
  }
}

/** Formats the request body: "old N\n", one base64 proof hash per line, a blank line, then the signed note. */
export function formatAddCheckpoint(oldSize: number, proof: readonly Buffer[], note: string): string {
  return `old ${oldSize}\n${proof.map((h) => `${h.toString('base64')}\n`).join('')}\n${note}`
}

/** Parses the request body strictly; throws BadRequest naming what is wrong. */
export function parseAddCheckpoint(body: Buffer): AddCheckpointRequest {
  let at = 0
  const nextLine = (what: string) => {
    const nl = body.indexOf(0x0a, at)
    if (nl < 0) throw new BadRequest(`${what} does not end in a newline`)
    const line = body.subarray(at, nl).toString('latin1')
    at = nl + 1
    return line
  }
  const first = nextLine('the old size line')
  const m = /^old (0|[1-9][0-9]*)$/.exec(first)
  if (!m) throw new BadRequest('the first line must be "old <size>" (decimal, no leading zeros)')
  const oldSize = Number(m[1])
  if (!Number.isSafeInteger(oldSize)) throw new BadRequest(`old size ${m[1]} is too large`)
  const proof: Buffer[] = []
  for (;;) {
    const line = nextLine(`proof line ${proof.length + 1}`)
    if (line === '') break
    if (proof.length === MAX_PROOF_LINES) throw new BadRequest(`more than ${MAX_PROOF_LINES} consistency proof lines`)
    const hash = decodeBase64Strict(line)
    if (hash?.length !== 32) throw new BadRequest(`proof line ${proof.length + 1} is not base64 of a 32-byte hash`)
    proof.push(hash)
  }
  return { oldSize, proof, note: body.subarray(at) }
}

/** The parsed note and checkpoint of a request, or BadRequest when they are malformed. */
export function readCheckpoint(note: Buffer): Checkpoint {
  try {
    return parseCheckpoint(parseNote(note).body)
  } catch (err) {
    if (err instanceof NoteError) throw new BadRequest(`the checkpoint is malformed: ${err.message}`)
    throw err
  }
}

export type Held = { size: number; rootHash: Buffer }

export type Decision =
  | { kind: 'accept' }
  | { kind: 'bad_request'; message: string }
  | { kind: 'conflict'; size: number }
  | { kind: 'fork'; message: string }
  | { kind: 'inconsistent'; message: string }

/**
 * What the witness does with a correctly signed checkpoint of a known log, given what it holds for that origin
 * (nothing: size 0). Order as in the spec: old size vs checkpoint size, old size vs held size, then the proof.
 */
export function decide(held: Held | undefined, req: AddCheckpointRequest, cp: Checkpoint): Decision {
  const heldSize = held?.size ?? 0
  if (req.oldSize > cp.size)
    return { kind: 'bad_request', message: `old size ${req.oldSize} is larger than the checkpoint size ${cp.size}` }
  if (req.oldSize !== heldSize) return { kind: 'conflict', size: heldSize }
  if (req.oldSize === 0) {
    if (req.proof.length > 0) return { kind: 'bad_request', message: 'the proof must be empty when the old size is 0' }
    if (cp.size === 0 && !cp.rootHash.equals(held?.rootHash ?? EMPTY_ROOT))
      return { kind: 'fork', message: 'the checkpoint of size 0 does not have the empty tree root' }
    return { kind: 'accept' }
  }
  const heldRoot = (held as Held).rootHash
  if (cp.size === req.oldSize) {
    if (req.proof.length > 0)
      return { kind: 'bad_request', message: 'the proof must be empty when the checkpoint size equals the old size' }
    if (!cp.rootHash.equals(heldRoot))
      return {
        kind: 'fork',
        message: `fork: size ${cp.size} has root ${cp.rootHash.toString('base64')} but this witness cosigned root ${heldRoot.toString('base64')}`,
      }
    return { kind: 'accept' }
  }
  try {
    verifyConsistency(req.oldSize, cp.size, heldRoot, cp.rootHash, req.proof)
  } catch (err) {
    if (err instanceof ProofError)
      return { kind: 'inconsistent', message: `the consistency proof does not verify: ${err.message}` }
    throw err
  }
  return { kind: 'accept' }
}
