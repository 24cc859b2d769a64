// Proofs as the API, the CLI and a case file need them: against a signed checkpoint, O(log n) reads each, and a
// timeline's proofs fetched together in one query.
import type { Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.ts'
import {
  checkpointAt,
  type LeafRow,
  latestCheckpoint,
  leafByEventId,
  leafByIndex,
  type StoredCheckpoint,
  type TimelineFilter,
  timelineLeaves,
} from './queries.ts'
import { consistencyProof, inclusionProof, type NodeCoord, type NodeReader, rootAt } from './tlog/merkle.ts'
import { bytes, currentHead, nodeReader } from './tree-store.ts'

type Db = Kysely<DB>

export class NoCheckpointError extends ConflictError {
  constructor() {
    super('no_checkpoint', 'The audit log has no signed checkpoint yet; try again in a moment')
  }
}

/** The checkpoint a proof is made against: the one of `size`, or the latest. */
export async function checkpointFor(db: Db, size?: number): Promise<StoredCheckpoint> {
  if (size === undefined) {
    const latest = await latestCheckpoint(db)
    if (!latest) throw new NoCheckpointError()
    return latest
  }
  const cp = await checkpointAt(db, size)
  if (!cp) throw new NotFoundError('checkpoint of size', String(size))
  return cp
}

export interface InclusionAnswer {
  leaf: LeafRow
  size: number
  root: Buffer
  proof: Buffer[]
  checkpoint: StoredCheckpoint
}

/** The inclusion proof of one leaf (by index or event id) in a signed checkpoint (default: the latest). */
export async function proveLeafInclusion(
  db: Db,
  target: { index?: number; eventId?: string },
  size?: number,
): Promise<InclusionAnswer> {
  if (target.eventId === undefined && target.index === undefined)
    throw new ValidationError('index', 'give index or event_id')
  // Two independent reads, side by side (separate connections on PostgreSQL): the proof then costs one more.
  const [leaf, checkpoint] = await Promise.all([
    target.eventId !== undefined ? leafByEventId(db, target.eventId) : leafByIndex(db, target.index as number),
    checkpointFor(db, size),
  ])
  if (!leaf) throw new NotFoundError('leaf', String(target.eventId ?? target.index))
  const index = Number(leaf.index)
  if (index >= checkpoint.size)
    throw new ConflictError(
      'not_yet_checkpointed',
      `leaf ${index} is not in the checkpoint of size ${checkpoint.size} yet`,
      {
        index,
        size: checkpoint.size,
      },
    )
  const proof = await inclusionProof(index, checkpoint.size, nodeReader(db))
  return { leaf, size: checkpoint.size, root: checkpoint.root, proof, checkpoint }
}

export interface ConsistencyAnswer {
  from: number
  to: number
  fromRoot: Buffer
  toRoot: Buffer
  proof: Buffer[]
}

/**
 * The consistency proof between two sizes (default `to`: the latest checkpoint), with the roots at both sizes
 * recomputed from the stored subtrees: any size up to the current tree, not only those a batch ended at.
 */
export async function proveConsistencyBetween(db: Db, from: number, to?: number): Promise<ConsistencyAnswer> {
  const newSize = to ?? (await checkpointFor(db)).size
  if (from > newSize) throw new ValidationError('from', `from (${from}) must not be larger than to (${newSize})`)
  const head = await currentHead(db)
  if (newSize > head.size) throw new NotFoundError('tree size', String(newSize))
  const read = batchingReader(db)
  const [fromRoot, toRoot, proof] = await Promise.all([
    rootAt(from, read),
    rootAt(newSize, read),
    consistencyProof(from, newSize, read),
  ])
  return { from, to: newSize, fromRoot, toRoot, proof }
}

/**
 * Collects the reads made in one tick into one query: a timeline's proofs (each its own O(log n) coordinates) then
 * cost one round trip together.
 */
export function batchingReader(db: Db): NodeReader {
  const read = nodeReader(db)
  let pending: { coords: readonly NodeCoord[]; resolve: (h: Buffer[]) => void; reject: (e: unknown) => void }[] = []
  const flush = async () => {
    const batch = pending
    pending = []
    const unique = new Map<string, NodeCoord>()
    for (const p of batch) for (const c of p.coords) unique.set(`${c.level}:${c.index}`, c)
    try {
      const coords = [...unique.values()]
      const hashes = await read(coords)
      const byKey = new Map(coords.map((c, i) => [`${c.level}:${c.index}`, hashes[i]]))
      for (const p of batch) p.resolve(p.coords.map((c) => byKey.get(`${c.level}:${c.index}`) as Buffer))
    } catch (err) {
      for (const p of batch) p.reject(err)
    }
  }
  return (coords) =>
    new Promise((resolve, reject) => {
      if (pending.length === 0) queueMicrotask(() => void flush())
      pending.push({ coords, resolve, reject })
    })
}

export interface TimelineEntry {
  leaf: LeafRow
  /** Null when the leaf came after the checkpoint (it will be in the next one). */
  proof: Buffer[] | null
}

export interface Timeline {
  checkpoint: StoredCheckpoint | undefined
  entries: TimelineEntry[]
}

/** The leaves of a number, staff member, session or request, oldest first, each with its proof in the latest checkpoint. */
export async function timeline(
  db: Db,
  filter: TimelineFilter,
  options: { from?: number; limit: number },
): Promise<Timeline> {
  const [checkpoint, leaves] = await Promise.all([
    latestCheckpoint(db),
    timelineLeaves(db, filter, options.from ?? 0, options.limit),
  ])
  const read = batchingReader(db)
  const entries = await Promise.all(
    leaves.map(async (leaf) => {
      const index = Number(leaf.index)
      const proof = checkpoint && index < checkpoint.size ? await inclusionProof(index, checkpoint.size, read) : null
      return { leaf: { ...leaf, leaf: bytes(leaf.leaf), leaf_hash: bytes(leaf.leaf_hash) }, proof }
    }),
  )
  return { checkpoint, entries }
}
