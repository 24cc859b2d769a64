// The RFC 6962 root of a growing log, kept as the O(log n) stack of its complete subtrees (the binary digits of
// its size): appending never needs an earlier leaf, and the root at any size is the stack folded from the right.
import { hash } from 'node:crypto'
import { EMPTY_ROOT, nodeHash } from '../tlog/hash.ts'

export class MerkleStack {
  private readonly levels: number[] = []
  private readonly hashes: Buffer[] = []
  private leaves = 0

  get size(): number {
    return this.leaves
  }

  /** Appends the root of a complete subtree of 2^level leaves; the log's size must be a multiple of 2^level. */
  push(level: number, hash: Buffer): void {
    const width = 2 ** level
    if (this.leaves % width !== 0) throw new Error(`a subtree of ${width} leaves cannot start at leaf ${this.leaves}`)
    let h = hash
    let l = level
    while (this.levels.length > 0 && this.levels[this.levels.length - 1] === l) {
      this.levels.pop()
      h = nodeHash(this.hashes.pop() as Buffer, h)
      l++
    }
    if (this.levels.length > 0 && this.levels[this.levels.length - 1] < l)
      throw new Error(`a subtree of ${width} leaves cannot follow a smaller one`)
    this.levels.push(l)
    this.hashes.push(h)
    this.leaves += width
  }

  /** Appends leaf hashes one by one (32 bytes each, back to back in `hashes`), the first `count` of them. */
  pushLeaves(hashes: Uint8Array, count: number): void {
    for (let i = 0; i < count; i++) this.push(0, Buffer.from(hashes.buffer, hashes.byteOffset + i * 32, 32))
  }

  /** MTH of the leaves appended so far (RFC 6962 §2.1): the empty hash for none. */
  root(): Buffer {
    if (this.hashes.length === 0) return EMPTY_ROOT
    let h = this.hashes[this.hashes.length - 1]
    for (let i = this.hashes.length - 2; i >= 0; i--) h = nodeHash(this.hashes[i], h)
    return h
  }

  clone(): MerkleStack {
    const copy = new MerkleStack()
    copy.levels.push(...this.levels)
    copy.hashes.push(...this.hashes)
    copy.leaves = this.leaves
    return copy
  }
}

/**
 * Every complete subtree of a chunk of leaves, level by level: level 0 the leaf hashes, level l the hashes of the
 * floor(count / 2^l) aligned subtrees of 2^l leaves, back to back. With them, the root at any size inside the chunk
 * costs O(log n) hashes (a checkpoint per leaf stays cheap).
 */
export class ChunkLevels {
  readonly count: number
  readonly bytes: Uint8Array
  private readonly offsets: number[] = []

  constructor(count: number, bytes: Uint8Array) {
    this.count = count
    this.bytes = bytes
    let at = 0
    for (let n = count; n > 0; n = Math.floor(n / 2)) {
      this.offsets.push(at)
      at += n * 32
    }
  }

  /** The byte length of all levels of a chunk of `count` leaves. */
  static byteLength(count: number): number {
    let total = 0
    for (let n = count; n > 0; n = Math.floor(n / 2)) total += n * 32
    return total
  }

  /**
   * Computes levels 1.. from the leaf hashes already in level 0: nodeHash (SHA-256 of 0x01 ‖ left ‖ right) in one
   * call per node, the two children being adjacent in the level below (tree.test.ts checks the roots against tlog's).
   */
  static build(count: number, bytes: Uint8Array): ChunkLevels {
    const levels = new ChunkLevels(count, bytes)
    const input = Buffer.alloc(65)
    input[0] = 1
    for (let l = 1, n = Math.floor(count / 2); n > 0; l++, n = Math.floor(n / 2)) {
      const below = bytes.byteOffset + levels.offsets[l - 1]
      for (let i = 0; i < n; i++) {
        input.set(new Uint8Array(bytes.buffer, below + i * 64, 64), 1)
        bytes.set(hash('sha256', input, 'buffer'), levels.offsets[l] + i * 32)
      }
    }
    return levels
  }

  node(level: number, index: number): Buffer {
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.offsets[level] + index * 32, 32)
  }

  /** Pushes the chunk's first `leaves` leaves onto `stack` (whose size is where the chunk starts) as whole subtrees. */
  pushInto(stack: MerkleStack, leaves: number): void {
    let offset = 0
    for (let level = this.offsets.length - 1; level >= 0; level--) {
      if (((leaves >> level) & 1) === 0) continue
      stack.push(level, this.node(level, offset >> level))
      offset += 2 ** level
    }
  }
}
