// checkpoints.jsonl, streamed: a bundle may hold a checkpoint per integration batch (up to one per leaf), so notes
// are read a batch at a time, opened on the workers, and judged here in file order — signed by the log key, every
// cosignature by a known witness valid, sizes ascending, one root per size. Lines by keys nobody names (a witness
// retired from the configuration) are ignored, as C2SP signed-note requires of verifiers, and counted.
import { createReadStream, existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Key, Manifest } from './inputs.ts'
import { LineChunker } from './leaf-stream.ts'
import type { OpenedNote } from './notes.ts'
import { runOn, type WorkerPool } from './pool.ts'
import type { Problems, UnknownSignature, WitnessSummary } from './types.ts'

export interface SignedCheckpoint {
  size: number
  root: Buffer
  cosignedBy: (WitnessSummary & Key)[]
}

type Witnesses = Map<string, WitnessSummary & Key>
/** Unknown signers by "name keyId", in the order first seen. */
export type UnknownSigners = Map<string, UnknownSignature>
/** One line: its checkpoint (size and note), or why it is not one. */
type Line = { size: number; note: string } | { problem: string }
interface Batch {
  first: number
  lines: Line[]
  opened: Promise<OpenedNote[]>
}

const NOTES_PER_JOB = 1_000
const utf8 = new TextDecoder('utf-8', { fatal: true })

export async function readCheckpoints(
  dir: string,
  manifest: Manifest,
  key: Key | null,
  witnesses: Witnesses,
  problems: Problems,
  workers: { pool: WorkerPool | null; threads: number },
  unknown: UnknownSigners = new Map(),
): Promise<SignedCheckpoint[]> {
  const path = join(dir, manifest.checkpoints)
  if (!existsSync(path)) {
    problems.fail({ where: manifest.checkpoints, message: 'the file is missing' })
    return []
  }
  if (!key) return []
  const keys = { log: key.vkey, witnesses: [...witnesses.values()].map((w) => w.vkey), origin: manifest.origin }
  const out: SignedCheckpoint[] = []
  const inflight: Batch[] = []
  let lines = 0
  let unterminated = false
  const submit = (bytes: Uint8Array) => {
    const parsed = parseLines(bytes)
    const notes = parsed.flatMap((l) => ('note' in l ? [l.note] : []))
    const opened = runOn(workers.pool, { type: 'notes', notes, keys })
    opened.catch(() => {}) // awaited in order below
    inflight.push({ first: lines, lines: parsed, opened })
    lines += parsed.length
  }
  const settle = async () => {
    const batch = inflight.shift() as Batch
    judge(batch, await batch.opened, { out, witnesses, unknown }, manifest.checkpoints, problems)
  }
  const chunker = new LineChunker(NOTES_PER_JOB)
  for await (const piece of createReadStream(path)) {
    for (const bytes of chunker.feed(piece as Buffer)) {
      submit(bytes)
      while (inflight.length > workers.threads * 2) await settle()
    }
  }
  const rest = chunker.end()
  if (rest) {
    unterminated = rest[rest.length - 1] !== 0x0a
    submit(rest)
  }
  while (inflight.length > 0) await settle()
  if (unterminated)
    problems.fail({ where: manifest.checkpoints, message: 'the last line has no newline: the file is truncated' })
  if (lines === 0)
    problems.fail({ where: manifest.checkpoints, message: 'no checkpoint: no signature vouches for the leaves' })
  return out
}

function parseLines(bytes: Uint8Array): Line[] {
  let text: string
  let valid = true
  try {
    text = utf8.decode(bytes)
  } catch {
    // Some line is not UTF-8: decode leniently and name the lines holding a replacement character.
    text = Buffer.from(bytes).toString('utf8')
    valid = false
  }
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  return lines.map((line) => {
    if (!valid && line.includes('\ufffd')) return { problem: 'not valid UTF-8' }
    try {
      const entry = JSON.parse(line)
      if (typeof entry?.size === 'number' && Number.isSafeInteger(entry.size) && typeof entry.note === 'string')
        return { size: entry.size, note: entry.note }
      return { problem: 'expected {"size": <whole number>, "note": "<signed note>"}' }
    } catch (err) {
      return { problem: `not JSON (${(err as Error).message})` }
    }
  })
}

/** Judges a batch's lines in order, with the notes the workers opened. */
function judge(
  batch: Batch,
  opened: OpenedNote[],
  into: { out: SignedCheckpoint[]; witnesses: Witnesses; unknown: UnknownSigners },
  file: string,
  problems: Problems,
) {
  const { out, witnesses, unknown } = into
  let n = 0
  batch.lines.forEach((line, i) => {
    if ('problem' in line) {
      problems.fail({ where: `${file} line ${batch.first + i + 1}`, message: line.problem })
      return
    }
    const { size } = line
    const fail = (message: string) => problems.fail({ where: `checkpoint size ${size}`, message, size })
    const note = opened[n++]
    if ('error' in note) {
      fail(note.error)
      return
    }
    // Counted once per checkpoint, whatever the number of lines by the key (it signs nothing we rely on).
    for (const id of new Set(note.unknown.map((u) => `${u.name} ${u.keyId}`))) {
      const [name, keyId] = id.split(' ')
      const seen = unknown.get(id) ?? { name, keyId, checkpoints: 0 }
      seen.checkpoints++
      unknown.set(id, seen)
    }
    if (note.size !== size) {
      fail(`the note says size ${note.size}`)
      return
    }
    const root = Buffer.from(note.root)
    const previous = out[out.length - 1]
    if (previous && size < previous.size) fail(`it comes after checkpoint size ${previous.size}: sizes must ascend`)
    else if (previous && size === previous.size && !previous.root.equals(root))
      fail(`a second checkpoint of size ${size} has another root: the log forked`)
    const cosignedBy = note.cosigners.map((id) => witnesses.get(id) as WitnessSummary & Key)
    for (const w of cosignedBy) {
      w.cosigned++
      w.latestSize = Math.max(w.latestSize ?? 0, size)
    }
    out.push({ size, root, cosignedBy })
  })
}
