// Opens many signed checkpoints against keys parsed once. A bundle may hold a checkpoint per integration batch — up
// to one per leaf — so the tlog core's openCheckpoint, which parses its keys on every call, is too slow here: this
// does the same checks (notes.test.ts holds the two to the same verdicts and messages) and runs on the workers.
import { verify } from 'node:crypto'
import { parseVerifierKey } from '../tlog/keys.ts'
import { parseCheckpoint, parseNote } from '../tlog/note.ts'

export interface NoteKeys {
  log: string
  witnesses: string[]
  origin: string
}

export type OpenedNote =
  | { size: number; root: Uint8Array; cosigners: string[]; unknown: { name: string; keyId: string }[] }
  | { error: string }

const COSIGNATURE_HEADER = 'cosignature/v1\n'

/** Opens each note: its body a strict checkpoint of `origin`, signed by the log key; every known cosignature valid. */
export function openNotes(notes: readonly string[], keys: NoteKeys): OpenedNote[] {
  const log = parseVerifierKey(keys.log)
  const logId = `${log.name} ${log.keyId.toString('hex')}`
  const witnesses = new Map(
    keys.witnesses.map((w) => {
      const k = parseVerifierKey(w)
      return [`${k.name} ${k.keyId.toString('hex')}`, k]
    }),
  )
  return notes.map((note) => {
    try {
      return openOne(note, keys.origin, log, logId, witnesses)
    } catch (err) {
      return { error: (err as Error).message }
    }
  })
}

function openOne(
  note: string,
  origin: string,
  log: ReturnType<typeof parseVerifierKey>,
  logId: string,
  witnesses: Map<string, ReturnType<typeof parseVerifierKey>>,
): OpenedNote {
  const { body, signatures } = parseNote(Buffer.from(note, 'utf8'))
  const checkpoint = parseCheckpoint(body)
  const text = Buffer.from(body, 'utf8')
  let signed = false
  const cosigners = new Set<string>()
  const unknown = new Map<string, { name: string; keyId: string }>()
  for (const s of signatures) {
    const id = `${s.name} ${s.keyId}`
    if (id === logId) {
      if (s.signature.length !== 64 || !verify(null, text, log.publicKey, s.signature))
        throw new Error(`the signature by ${s.name} (key id ${s.keyId}) does not verify`)
      signed = true
      continue
    }
    const witness = witnesses.get(id)
    if (!witness) {
      unknown.set(s.line, { name: s.name, keyId: s.keyId })
      continue
    }
    if (s.signature.length !== 72)
      throw new Error(`the cosignature by ${s.name} (key id ${s.keyId}) is ${s.signature.length} bytes, expected 72`)
    const time = s.signature.readBigUInt64BE(0)
    if (time > BigInt(Number.MAX_SAFE_INTEGER))
      throw new Error(`the cosignature by ${s.name} has an impossible timestamp ${time}`)
    const message = Buffer.from(`${COSIGNATURE_HEADER}time ${time}\n${body}`, 'utf8')
    if (!verify(null, message, witness.publicKey, s.signature.subarray(8)))
      throw new Error(`the cosignature by ${s.name} (key id ${s.keyId}, time ${time}) does not verify`)
    cosigners.add(id)
  }
  if (!signed) {
    const sameName = signatures.filter((s) => s.name === log.name).map((s) => s.keyId)
    const hint = sameName.length > 0 ? ` (a line named ${log.name} has key id ${sameName.join(', ')})` : ''
    throw new Error(`no signature by the log key ${log.name} with key id ${log.keyId.toString('hex')}${hint}`)
  }
  if (checkpoint.origin !== origin) throw new Error(`checkpoint origin is "${checkpoint.origin}", expected "${origin}"`)
  return {
    size: checkpoint.size,
    root: new Uint8Array(checkpoint.rootHash),
    cosigners: [...cosigners],
    unknown: [...unknown.values()],
  }
}
