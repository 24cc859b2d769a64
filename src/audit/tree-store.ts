// The stored Merkle tree: integration (audit_integrate in SQL, migration 020), and reads for roots and proofs.
// Every hash the tree stores is computed by the database's own function; this side only asks and reads.
import { type Kysely, sql } from 'kysely'
import type { DB } from '../db/types.ts'
import { consistencyProof, inclusionProof, type NodeCoord, type NodeReader, rootAt } from './tlog/merkle.ts'

type Reader = Kysely<DB>

/** bytea comes back as a Buffer from pg and as a Uint8Array from PGlite. */
export const bytes = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length))

/** Queued records integrated per transaction: the lock is held for one batch only. */
export const INTEGRATION_BATCH = 5_000

export interface Integrated {
  oldSize: number
  newSize: number
  root: Buffer
}

/**
 * Integrates up to `max` queued records in one transaction (one integrator at a time, the others wait for the lock
 * and then continue from where it stopped).
 */
export async function integrateBatch(db: Reader, max = INTEGRATION_BATCH): Promise<Integrated> {
  const { rows } = await sql<{
    old_size: number
    new_size: number
    root: Uint8Array
  }>`SELECT old_size, new_size, root FROM audit_integrate(${max}::integer)`.execute(db)
  const row = rows[0]
  return { oldSize: Number(row.old_size), newSize: Number(row.new_size), root: bytes(row.root) }
}

/** Integrates until the queue is empty (or `maxBatches` batches ran); returns the first and last sizes. */
export async function integrateAll(
  db: Reader,
  options: { batch?: number; maxBatches?: number } = {},
): Promise<Integrated & { integrated: number }> {
  const batch = options.batch ?? INTEGRATION_BATCH
  let first: Integrated | undefined
  let last: Integrated | undefined
  for (let i = 0; i < (options.maxBatches ?? Number.POSITIVE_INFINITY); i++) {
    last = await integrateBatch(db, batch)
    first ??= last
    if (last.newSize - last.oldSize < batch) break
  }
  if (!first || !last) throw new Error('maxBatches must be at least 1')
  return { oldSize: first.oldSize, newSize: last.newSize, root: last.root, integrated: last.newSize - first.oldSize }
}

/** Reads stored complete-subtree hashes in one query, in the order asked; a missing one is an error. */
export function nodeReader(db: Reader): NodeReader {
  return async (coords: readonly NodeCoord[]) => {
    if (coords.length === 0) return []
    const levels = coords.map((c) => c.level)
    const indexes = coords.map((c) => c.index)
    const { rows } = await sql<{ o: number; hash: Uint8Array }>`
      SELECT c.o, t.hash
        FROM unnest(${levels}::smallint[], ${indexes}::bigint[]) WITH ORDINALITY AS c(level, index, o)
        JOIN audit_tree_nodes t ON t.level = c.level AND t.index = c.index
       ORDER BY c.o`.execute(db)
    if (rows.length !== coords.length) {
      const found = new Set(rows.map((r) => Number(r.o)))
      const missing = coords.find((_, i) => !found.has(i + 1))
      throw new Error(`the stored tree has no node at level ${missing?.level} index ${missing?.index}`)
    }
    return rows.map((r) => bytes(r.hash))
  }
}

export interface TreeHead {
  size: number
  root: Buffer
}

/** The tree as integrated so far. */
export async function currentHead(db: Reader): Promise<TreeHead> {
  const row = await db.selectFrom('audit_log_state').select(['size', 'root']).executeTakeFirstOrThrow()
  return { size: Number(row.size), root: bytes(row.root) }
}

/** The recorded root at `size`, or undefined when the tree never had that size. */
export async function headAt(db: Reader, size: number): Promise<TreeHead | undefined> {
  const row = await db
    .selectFrom('audit_tree_heads')
    .select(['size', 'root'])
    .where('size', '=', size)
    .executeTakeFirst()
  return row ? { size: Number(row.size), root: bytes(row.root) } : undefined
}

/** The root at `size` recomputed from the stored subtrees (O(log n) reads), independent of audit_tree_heads. */
export function recomputeRoot(db: Reader, size: number): Promise<Buffer> {
  return rootAt(size, nodeReader(db))
}

export function proveInclusion(db: Reader, index: number, size: number): Promise<Buffer[]> {
  return inclusionProof(index, size, nodeReader(db))
}

export function proveConsistency(db: Reader, oldSize: number, newSize: number): Promise<Buffer[]> {
  return consistencyProof(oldSize, newSize, nodeReader(db))
}
