import { ProofError } from './errors.ts'
import { EMPTY_ROOT, nodeHash } from './hash.ts'

export { ProofError }

/** The hash of the COMPLETE subtree of 2^level leaves starting at leaf index·2^level. Storage keeps only these. */
export type NodeCoord = { level: number; index: number }
/** One batched read of stored complete-subtree hashes, in the order asked (one SQL query in the database). */
export type NodeReader = (coords: readonly NodeCoord[]) => Promise<Buffer[]>
export type StoredNode = NodeCoord & { hash: Buffer }

const HASH_SIZE = 32

// Sizes and indexes are JS numbers (exact up to 2^53 - 1); bit operators are 32-bit, so bits are taken by arithmetic.
const pow2 = (level: number) => 2 ** level
const bitAt = (x: number, i: number) => Math.floor(x / pow2(i)) % 2
const shr = (x: number, n: number) => Math.floor(x / pow2(n))
function bitLength(x: number): number {
  let n = 0
  for (let v = x; v > 0; v = Math.floor(v / 2)) n++
  return n
}
function onesCount(x: number): number {
  let n = 0
  for (let v = x; v > 0; v = Math.floor(v / 2)) n += v % 2
  return n
}
function trailingZeros(x: number): number {
  let n = 0
  for (let v = x; v > 0 && v % 2 === 0; v /= 2) n++
  return n
}
/** The largest power of two strictly less than n (n ≥ 2): RFC 6962's split point k. */
function splitPoint(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

function checkSize(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min)
    throw new RangeError(`${name} must be a whole number of ${min} or more (got ${value})`)
}

/**
 * The complete subtrees ("peaks") that make up the range [start, end), largest first, when start is aligned to a
 * power of two at least end - start (always true for the ranges RFC 6962's recursion produces, and for [0, size)).
 */
function peaks(start: number, end: number): NodeCoord[] {
  const out: NodeCoord[] = []
  let pos = start
  for (let level = bitLength(end - start) - 1; level >= 0; level--) {
    if (bitAt(end - start, level) === 1) {
      out.push({ level, index: pos / pow2(level) })
      pos += pow2(level)
    }
  }
  return out
}

/** RFC 6962 MTH of a range from its peaks: node(p0, node(p1, … node(pk-1, pk))). */
function foldPeaks(hashes: readonly Buffer[]): Buffer {
  if (hashes.length === 0) return EMPTY_ROOT
  let acc = hashes[hashes.length - 1]
  for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHash(hashes[i], acc)
  return acc
}

async function readChecked(read: NodeReader, coords: readonly NodeCoord[]): Promise<Buffer[]> {
  if (coords.length === 0) return []
  const got = await read(coords)
  if (got.length !== coords.length)
    throw new Error(`node reader returned ${got.length} hashes for ${coords.length} coordinates`)
  got.forEach((h, i) => {
    if (!h || h.length !== HASH_SIZE)
      throw new Error(`node reader returned no 32-byte hash for level ${coords[i].level} index ${coords[i].index}`)
  })
  return got
}

/** The root of a tree given all its leaf hashes, in memory (iterative, O(n) hashing, O(log n) extra memory). */
export function rootFromLeafHashes(hashes: readonly Buffer[]): Buffer {
  // stack[i] is the hash of a complete subtree; sizes strictly decrease down the stack, as in the binary of count.
  const stack: Buffer[] = []
  const sizes: number[] = []
  for (const h of hashes) {
    let cur = h
    let size = 1
    while (sizes.length > 0 && sizes[sizes.length - 1] === size) {
      cur = nodeHash(stack.pop() as Buffer, cur)
      sizes.pop()
      size *= 2
    }
    stack.push(cur)
    sizes.push(size)
  }
  return foldPeaks(stack)
}

/**
 * Everything the integrator must store after appending `appended` leaf hashes to a tree of `oldSize` leaves: every
 * complete subtree that exists at the new size but not at the old one (level 0, the leaf hashes, included), and the
 * new root. Reads only the old tree's peaks (one batch of at most log2(oldSize) + 1 hashes).
 */
export async function newCompleteNodes(
  oldSize: number,
  appended: readonly Buffer[],
  read: NodeReader,
): Promise<{ nodes: StoredNode[]; root: Buffer }> {
  checkSize('oldSize', oldSize, 0)
  appended.forEach((h, i) => {
    if (h.length !== HASH_SIZE) throw new RangeError(`appended leaf hash ${i} is ${h.length} bytes, expected 32`)
  })
  const newSize = oldSize + appended.length
  checkSize('new size', newSize, 0)
  const oldPeakCoords = peaks(0, oldSize)
  const oldPeakHashes = await readChecked(read, oldPeakCoords)
  const oldPeak = new Map<number, Buffer>() // level → hash; the old tree has at most one peak per level
  for (const [i, c] of oldPeakCoords.entries()) oldPeak.set(c.level, oldPeakHashes[i])

  const nodes: StoredNode[] = []
  let prev: readonly Buffer[] = appended
  let prevStart = oldSize // index of prev[0] at the level below
  for (const [i, hash] of appended.entries()) nodes.push({ level: 0, index: oldSize + i, hash })
  for (let level = 1; pow2(level) <= newSize; level++) {
    const first = shr(oldSize, level) // first subtree at this level that was not complete before
    const end = shr(newSize, level)
    const cur: Buffer[] = []
    for (let index = first; index < end; index++) {
      const l = 2 * index
      // A left child that was already complete is exactly the old tree's peak at the level below.
      const left = l >= prevStart ? prev[l - prevStart] : (oldPeak.get(level - 1) as Buffer)
      const right = prev[l + 1 - prevStart]
      const hash = nodeHash(left, right)
      cur.push(hash)
      nodes.push({ level, index, hash })
    }
    prev = cur
    prevStart = first
  }

  const byKey = new Map<string, Buffer>()
  for (const n of nodes) byKey.set(`${n.level}:${n.index}`, n.hash)
  for (const [i, c] of oldPeakCoords.entries()) byKey.set(`${c.level}:${c.index}`, oldPeakHashes[i])
  const root = foldPeaks(peaks(0, newSize).map((c) => byKey.get(`${c.level}:${c.index}`) as Buffer))
  return { nodes, root }
}

/** The RFC 6962 root at `size` from stored complete subtrees: one read of at most log2(size) + 1 hashes. */
export async function rootAt(size: number, read: NodeReader): Promise<Buffer> {
  checkSize('size', size, 0)
  return foldPeaks(await readChecked(read, peaks(0, size)))
}

/** A proof element is MTH of an aligned range: one or more stored peaks folded together. */
type RangeItem = { start: number; end: number }

async function resolveRanges(items: readonly RangeItem[], read: NodeReader): Promise<Buffer[]> {
  const perItem = items.map((r) => peaks(r.start, r.end))
  const flat = perItem.flat()
  const hashes = await readChecked(read, flat)
  let at = 0
  return perItem.map((coords) => {
    const part = hashes.slice(at, at + coords.length)
    at += coords.length
    return foldPeaks(part)
  })
}

/** RFC 6962 §2.1.1 PATH(index, D[0:size]): the audit path, leaf sibling first. O(log n) hashes in one read. */
export async function inclusionProof(index: number, size: number, read: NodeReader): Promise<Buffer[]> {
  checkSize('size', size, 1)
  checkSize('index', index, 0)
  if (index >= size) throw new RangeError(`index ${index} is beyond the tree of size ${size}`)
  const items: RangeItem[] = [] // collected root-side first, reversed at the end
  let start = 0
  let end = size
  let m = index
  while (end - start > 1) {
    const k = splitPoint(end - start)
    if (m < k) {
      items.push({ start: start + k, end })
      end = start + k
    } else {
      items.push({ start, end: start + k })
      start += k
      m -= k
    }
  }
  return resolveRanges(items.reverse(), read)
}

/**
 * RFC 6962 §2.1.2 PROOF(oldSize, D[0:newSize]). oldSize 0 gives the empty proof (what C2SP tlog-witness sends for
 * a first submission); equal sizes give the empty proof too. Verifying a proof from size 0 is refused (meaningless).
 */
export async function consistencyProof(oldSize: number, newSize: number, read: NodeReader): Promise<Buffer[]> {
  checkSize('oldSize', oldSize, 0)
  checkSize('newSize', newSize, 0)
  if (oldSize > newSize) throw new RangeError(`oldSize ${oldSize} is larger than newSize ${newSize}`)
  if (oldSize === 0 || oldSize === newSize) return []
  const items: RangeItem[] = []
  let start = 0
  let end = newSize
  let m = oldSize
  let complete = true // SUBPROOF's b: whether the old tree is still the whole subtree being walked
  while (m !== end - start) {
    const k = splitPoint(end - start)
    if (m <= k) {
      items.push({ start: start + k, end })
      end = start + k
    } else {
      items.push({ start, end: start + k })
      start += k
      m -= k
      complete = false
    }
  }
  if (!complete) items.push({ start, end })
  return resolveRanges(items.reverse(), read)
}

function checkHash(what: string, h: Buffer | Uint8Array): void {
  if (!h || h.length !== HASH_SIZE) throw new ProofError(`${what} is ${h ? h.length : 0} bytes, expected 32`)
}

function checkProofHashes(kind: string, proof: readonly Buffer[]): void {
  proof.forEach((h, i) => {
    checkHash(`${kind} proof hash ${i}`, h)
  })
}

const hex = (b: Buffer) => b.toString('hex')

function mustMatch(what: string, got: Buffer, want: Buffer): void {
  if (!got.equals(want))
    throw new ProofError(`${what}: the proof computes ${hex(got)} but the expected root is ${hex(want)}`)
}

function chainInner(seed: Buffer, proof: readonly Buffer[], index: number): Buffer {
  let acc = seed
  proof.forEach((h, i) => {
    acc = bitAt(index, i) === 0 ? nodeHash(acc, h) : nodeHash(h, acc)
  })
  return acc
}
function chainInnerRight(seed: Buffer, proof: readonly Buffer[], index: number): Buffer {
  let acc = seed
  proof.forEach((h, i) => {
    if (bitAt(index, i) === 1) acc = nodeHash(h, acc)
  })
  return acc
}
function chainBorderRight(seed: Buffer, proof: readonly Buffer[]): Buffer {
  let acc = seed
  for (const h of proof) acc = nodeHash(h, acc)
  return acc
}
/** How many proof hashes sit below the point where the leaf's path leaves the tree's left edge, and above it. */
function decompose(index: number, size: number): { inner: number; border: number } {
  // index XOR (size - 1), bit by bit (numbers may exceed 32 bits)
  let inner = 0
  for (let i = 0; i < 54; i++) if (bitAt(index, i) !== bitAt(size - 1, i)) inner = i + 1
  return { inner, border: onesCount(shr(index, inner)) }
}

function checkVerifySizes(checks: [string, number, number][]): void {
  for (const [name, value, min] of checks)
    if (!Number.isSafeInteger(value) || value < min)
      throw new ProofError(`${name} must be a whole number of ${min} or more (got ${value})`)
}

/** RFC 9162 §2.1.3.2: checks `proof` shows leaf `leafHash` at `index` in the tree of `size` with `root`. */
export function verifyInclusion(
  leafHash: Buffer,
  index: number,
  size: number,
  proof: readonly Buffer[],
  root: Buffer,
): void {
  checkVerifySizes([
    ['inclusion proof tree size', size, 1],
    ['inclusion proof leaf index', index, 0],
  ])
  if (index >= size) throw new ProofError(`leaf index ${index} is beyond the tree size ${size}`)
  checkHash('leaf hash', leafHash)
  checkHash('root hash', root)
  checkProofHashes('inclusion', proof)
  const { inner, border } = decompose(index, size)
  if (proof.length !== inner + border)
    throw new ProofError(
      `inclusion proof for leaf ${index} of tree size ${size} has ${proof.length} hashes, expected ${inner + border}`,
    )
  const got = chainBorderRight(chainInner(leafHash, proof.slice(0, inner), index), proof.slice(inner))
  mustMatch(`inclusion of leaf ${index} in tree size ${size}`, got, root)
}

/** RFC 9162 §2.1.4.2: checks `proof` shows the tree of `oldSize` with `oldRoot` is a prefix of `newSize`/`newRoot`. */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Buffer,
  newRoot: Buffer,
  proof: readonly Buffer[],
): void {
  checkVerifySizes([
    ['consistency proof old size', oldSize, 0],
    ['consistency proof new size', newSize, 0],
  ])
  if (newSize < oldSize) throw new ProofError(`new size ${newSize} is smaller than old size ${oldSize}`)
  if (oldSize === 0) throw new ProofError('a consistency proof from the empty tree (size 0) is meaningless')
  // Equal sizes: the roots must simply be the same bytes (upstream probes accept this whatever the hash length).
  if (oldSize === newSize) {
    if (proof.length > 0)
      throw new ProofError(`consistency proof between equal sizes ${oldSize} must be empty (has ${proof.length})`)
    if (!oldRoot.equals(newRoot))
      throw new ProofError(`the roots at size ${oldSize} differ: ${hex(oldRoot)} and ${hex(newRoot)}`)
    return
  }
  checkHash('old root hash', oldRoot)
  checkHash('new root hash', newRoot)
  checkProofHashes('consistency', proof)
  if (proof.length === 0) throw new ProofError(`consistency proof from size ${oldSize} to ${newSize} is empty`)

  const decomposed = decompose(oldSize - 1, newSize)
  const shift = trailingZeros(oldSize)
  const inner = decomposed.inner - shift
  // The proof starts with the hash of the old tree's last complete 2^shift subtree, unless that is the old root.
  const oldIsPowerOfTwo = oldSize === pow2(shift)
  const seed = oldIsPowerOfTwo ? oldRoot : proof[0]
  const rest = oldIsPowerOfTwo ? proof : proof.slice(1)
  const want = (oldIsPowerOfTwo ? 0 : 1) + inner + decomposed.border
  if (proof.length !== want)
    throw new ProofError(
      `consistency proof from size ${oldSize} to ${newSize} has ${proof.length} hashes, expected ${want}`,
    )
  const mask = shr(oldSize - 1, shift)
  const old = chainBorderRight(chainInnerRight(seed, rest.slice(0, inner), mask), rest.slice(inner))
  mustMatch(`consistency: old tree of size ${oldSize}`, old, oldRoot)
  const cur = chainBorderRight(chainInner(seed, rest.slice(0, inner), mask), rest.slice(inner))
  mustMatch(`consistency: new tree of size ${newSize}`, cur, newRoot)
}
