// The streaming root (a stack of complete subtrees) and the workers' leaf hashes agree with the tlog core.
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { leafHash } from '../tlog/hash.ts'
import { rootFromLeafHashes } from '../tlog/merkle.ts'
import { processChunk } from './leaf-chunk.ts'
import { LineChunker } from './leaf-stream.ts'
import { ChunkLevels, MerkleStack } from './tree.ts'

const leaves = Array.from({ length: 300 }, (_, i) => randomBytes(1 + (i % 40)))
const hashes = leaves.map((l) => leafHash(l))

describe('MerkleStack', () => {
  it('gives the RFC 6962 root at every size from 0 to 300, leaf by leaf', () => {
    const stack = new MerkleStack()
    for (let size = 0; size <= leaves.length; size++) {
      expect(stack.root().equals(rootFromLeafHashes(hashes.slice(0, size))), `size ${size}`).toBe(true)
      if (size < leaves.length) stack.push(0, hashes[size])
    }
  })

  it('takes aligned subtrees of 2^k leaves, then single leaves, and copies independently', () => {
    const stack = new MerkleStack()
    stack.push(6, rootFromLeafHashes(hashes.slice(0, 64)))
    stack.push(6, rootFromLeafHashes(hashes.slice(64, 128)))
    const copy = stack.clone()
    copy.pushLeaves(Buffer.concat(hashes.slice(128, 139)), 11)
    expect(copy.root().equals(rootFromLeafHashes(hashes.slice(0, 139)))).toBe(true)
    expect(stack.size).toBe(128)
    expect(stack.root().equals(rootFromLeafHashes(hashes.slice(0, 128)))).toBe(true)
    expect(() => copy.push(2, hashes[0])).toThrow('a subtree of 4 leaves cannot start at leaf 139')
  })
})

describe('ChunkLevels', () => {
  it('gives the root at every size inside a chunk from O(log n) subtrees, after a stack of earlier leaves', () => {
    const before = new MerkleStack()
    before.pushLeaves(Buffer.concat(hashes.slice(0, 64)), 64)
    const chunk = hashes.slice(64, 64 + 50)
    const bytes = new Uint8Array(ChunkLevels.byteLength(chunk.length))
    bytes.set(Buffer.concat(chunk))
    const levels = ChunkLevels.build(chunk.length, bytes)
    for (let n = 0; n <= chunk.length; n++) {
      const stack = before.clone()
      levels.pushInto(stack, n)
      expect(stack.size).toBe(64 + n)
      expect(stack.root().equals(rootFromLeafHashes(hashes.slice(0, 64 + n))), `size ${64 + n}`).toBe(true)
    }
  })
})

describe('processChunk', () => {
  it('hashes each line as a leaf, the first included, and builds the chunk levels', () => {
    const lines = Array.from({ length: 16 }, (_, i) => Buffer.from(`{"n":${i}}`))
    const bytes = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]))
    const chunk = processChunk(new Uint8Array(bytes), 0)
    expect(Buffer.from(chunk.levels.subarray(0, 16 * 32))).toEqual(Buffer.concat(lines.map((l) => leafHash(l))))
    const levels = new ChunkLevels(16, chunk.levels)
    expect(levels.node(4, 0)).toEqual(rootFromLeafHashes(lines.map((l) => leafHash(l))))
    expect(levels.node(2, 3)).toEqual(rootFromLeafHashes(lines.slice(12).map((l) => leafHash(l))))
  })
})

describe('LineChunker', () => {
  it('cuts a stream into chunks of whole lines wherever the reads end', () => {
    const text = Array.from({ length: 23 }, (_, i) => `line ${i}\n`).join('')
    const chunker = new LineChunker(5)
    const out: string[] = []
    for (let at = 0; at < text.length; at += 7)
      for (const c of chunker.feed(Buffer.from(text.slice(at, at + 7)))) out.push(Buffer.from(c).toString())
    out.push(Buffer.from(chunker.end() as Uint8Array).toString())
    expect(out.map((c) => c.split('\n').length - 1)).toEqual([5, 5, 5, 5, 3])
    expect(out.join('')).toBe(text)
  })
})
