// The leaf stream, in log order: byte checks and hashes come from the workers; here the event ids are checked for
// repeats, the business rules run, and the root is recomputed at every checkpoint size (and the caller's earlier one).
import { EMPTY_ROOT } from '../tlog/hash.ts'
import { EventIds } from './event-ids.ts'
import type { Manifest } from './inputs.ts'
import { type ChunkResult, type LeafFact, NONE } from './leaf-chunk.ts'
import { checkedChunks } from './leaf-stream.ts'
import type { WorkerPool } from './pool.ts'
import { BusinessRules } from './rules.ts'
import { ChunkLevels, MerkleStack } from './tree.ts'
import { type CheckpointSummary, leafWhere, type Problems, type VerifyOptions, type VerifyReport } from './types.ts'

/** A size at which the recomputed root is compared: a bundle checkpoint, or the caller's earlier one. */
export interface Target {
  size: number
  root: Buffer
  checkpoint?: CheckpointSummary
  since?: true
}

const b64 = (b: Buffer) => b.toString('base64')

/** Streams the leaves: byte checks and hashes on the workers, rules and roots here, in log order. */
export async function scanLeaves(
  path: string,
  manifest: Manifest,
  targets: Target[],
  workers: { pool: WorkerPool | null; threads: number },
  problems: Problems,
  options: VerifyOptions,
  report: VerifyReport,
): Promise<BusinessRules> {
  const rules = new BusinessRules(
    (index, eventId, message) => problems.fail({ where: leafWhere(index, eventId), message, index, eventId }),
    (index, eventId, message) => problems.warn({ where: leafWhere(index, eventId), message, index, eventId }),
  )
  const stack = new MerkleStack()
  const ids = new EventIds()
  let next = 0
  let lastGood = -1
  const compare = (size: number, root: () => Buffer) => {
    for (; next < targets.length && targets[next].size === size; next++) {
      const t = targets[next]
      const ok = root().equals(t.root)
      if (t.checkpoint) t.checkpoint.rootMatches = ok
      if (t.since) report.since = { size, root: b64(t.root), consistent: ok }
      if (ok) {
        if (!t.since) lastGood = size
        continue
      }
      const leaves = size === 0 ? 'no leaves' : `leaves 0..${size - 1}`
      if (t.since)
        problems.fail({
          where: 'since',
          message: `the log was rewritten: ${leaves} hash to ${b64(root())}, but the checkpoint kept earlier has root ${b64(t.root)} at size ${size}`,
          size,
        })
      else
        problems.fail({
          where: `checkpoint size ${size}`,
          message: `${leaves} do not hash to its root${lastGood >= 0 ? ` (they do at size ${lastGood}: the difference lies in leaves ${lastGood}..${size - 1})` : ''}`,
          size,
        })
    }
  }
  compare(0, () => EMPTY_ROOT)
  let last: ChunkResult | null = null
  try {
    for await (const chunk of checkedChunks(path, workers.pool, workers.threads)) {
      const levels = new ChunkLevels(chunk.count, chunk.levels)
      let p = 0
      const facts = leafFacts(chunk)
      for (let i = 0; i < chunk.count; i++) {
        const index = chunk.start + i
        if (i > 0 && next < targets.length && targets[next].size === index)
          compare(index, () => partialRoot(stack, levels, i))
        for (; p < chunk.problems.length && chunk.problems[p].offset === i; p++) {
          const { eventId, message } = chunk.problems[p]
          problems.fail({ where: leafWhere(index, eventId), message, index, eventId })
        }
        const fact = facts[i]
        if (!fact) continue
        const earlier = ids.add(fact.e, chunk.facts.isUuid[i] ? chunk.facts.uuids : null, i * 4, index)
        if (earlier !== undefined)
          problems.fail({
            where: leafWhere(index, fact.e),
            message: `event_id ${fact.e} was already used by leaf ${earlier}`,
            index,
            eventId: fact.e,
          })
        rules.check(index, fact)
      }
      levels.pushInto(stack, chunk.count)
      report.leaves = stack.size
      compare(stack.size, () => stack.root())
      last = chunk
      options.onProgress?.({ phase: 'leaves', leaves: stack.size, total: manifest.size })
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (!code) throw err
    problems.fail({
      where: manifest.leaves,
      message: code === 'ENOENT' ? 'the file is missing' : `cannot read it (${code})`,
    })
  }
  if (last?.unterminated)
    problems.fail({
      where: leafWhere(stack.size - 1),
      message: `the last line of ${manifest.leaves} has no newline: the file ends in the middle of a leaf (truncated)`,
      index: stack.size - 1,
    })
  return rules
}

/** The chunk's facts as one object per leaf (null for a leaf with a problem). */
function leafFacts(chunk: ChunkResult): (LeafFact | null)[] {
  const { strings, codes, extras } = chunk.facts
  const ids = chunk.facts.eventIds.split('\n')
  const out: (LeafFact | null)[] = []
  const str = (c: number) => (c === NONE ? undefined : strings[c])
  for (let i = 0; i < chunk.count; i++) {
    if (codes[i * 4] === NONE) {
      out.push(null)
      continue
    }
    const fact: LeafFact = { e: ids[i], a: strings[codes[i * 4]], k: strings[codes[i * 4 + 1]] }
    const s = str(codes[i * 4 + 2])
    if (s !== undefined) {
      fact.s = s
      fact.ss = str(codes[i * 4 + 3])
    }
    out.push(fact)
  }
  for (const e of extras) {
    const fact = out[e.offset] as LeafFact
    fact.t = e.t
    fact.x = e.x
  }
  return out
}

/** The root at the chunk's start + `leaves`: the stack so far plus the chunk's subtrees covering those leaves. */
function partialRoot(stack: MerkleStack, levels: ChunkLevels, leaves: number): Buffer {
  const copy = stack.clone()
  levels.pushInto(copy, leaves)
  return copy.root()
}
