// The stored-tree implementation against a recursive RFC 6962 reference on random trees up to 5,000 leaves, and
// exhaustive byte flips of proofs on small trees.
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ProofError } from './errors.ts'
import { leafHash } from './hash.ts'
import { MemoryTree } from './memory-tree.ts'
import {
  consistencyProof,
  inclusionProof,
  newCompleteNodes,
  rootAt,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from './merkle.ts'
import { refMTH, refPATH, refPROOF } from './test-reference.ts'

/** A small seeded PRNG (mulberry32) so a failure can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0
  return (max: number) => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * max)
  }
}

const hexes = (hs: readonly Buffer[]) => hs.map((h) => h.toString('hex'))

/** Builds a stored tree of random leaves appended in random batch sizes; returns leaf inputs and the tree. */
async function randomTree(size: number, rand: (n: number) => number) {
  const inputs = Array.from({ length: size }, () => randomBytes(1 + rand(40)))
  const tree = new MemoryTree()
  const rootsBySize = new Map<number, Buffer>([[0, tree.root]])
  for (let at = 0; at < size; ) {
    const batch = Math.min(size - at, 1 + rand(rand(2) === 0 ? 3 : 300))
    await tree.append(inputs.slice(at, at + batch).map(leafHash))
    at += batch
    rootsBySize.set(at, tree.root)
  }
  return { inputs, tree, rootsBySize }
}

describe('stored tree vs the recursive RFC 6962 reference', () => {
  for (const [seed, size] of [
    [1, 1],
    [2, 2],
    [3, 7],
    [4, 64],
    [5, 255],
    [6, 1000],
    [7, 4097],
    [8, 5000],
  ]) {
    it(`random tree of ${size} leaves (seed ${seed})`, async () => {
      const rand = prng(seed)
      const { inputs, tree, rootsBySize } = await randomTree(size, rand)

      // storage holds exactly every complete subtree, nothing else
      let expected = 0
      for (let level = 0; 2 ** level <= size; level++) expected += Math.floor(size / 2 ** level)
      expect(tree.nodes.size).toBe(expected)

      // roots: every batch boundary, plus sampled sizes (all of them for small trees)
      const sizes = new Set<number>([0, size, ...rootsBySize.keys()])
      for (let i = 0; i < (size <= 300 ? size : 40); i++) sizes.add(size <= 300 ? i : rand(size + 1))
      for (const n of sizes) {
        const want = refMTH(inputs.slice(0, n)).toString('hex')
        expect((await rootAt(n, tree.read)).toString('hex'), `root at ${n}`).toBe(want)
        if (rootsBySize.has(n)) expect(rootsBySize.get(n)?.toString('hex')).toBe(want)
      }
      expect(rootFromLeafHashes(inputs.map(leafHash)).toString('hex')).toBe(refMTH(inputs).toString('hex'))

      // inclusion proofs at random (index, size)
      for (let i = 0; i < 40; i++) {
        const n = 1 + rand(size)
        const m = rand(n)
        const d = inputs.slice(0, n)
        const proof = await inclusionProof(m, n, tree.read)
        expect(hexes(proof), `PATH(${m}, D[${n}])`).toEqual(hexes(refPATH(m, d)))
        verifyInclusion(leafHash(inputs[m]), m, n, proof, refMTH(d))
      }

      // consistency proofs between random sizes
      for (let i = 0; i < 40; i++) {
        const n = 1 + rand(size)
        const m = 1 + rand(n)
        const proof = await consistencyProof(m, n, tree.read)
        expect(hexes(proof), `PROOF(${m}, D[${n}])`).toEqual(hexes(refPROOF(m, inputs.slice(0, n))))
        verifyConsistency(m, n, refMTH(inputs.slice(0, m)), refMTH(inputs.slice(0, n)), proof)
      }
    })
  }

  it('each operation is one batched read of O(log n) hashes', async () => {
    const rand = prng(9)
    const { tree } = await randomTree(3000, rand)
    const counting = new MemoryTree()
    let asked = 0
    const read = async (coords: readonly { level: number; index: number }[]) => {
      asked = Math.max(asked, coords.length)
      return tree.read(coords)
    }
    tree.reads = 0
    await inclusionProof(1234, 3000, read)
    await consistencyProof(1000, 2999, read)
    await rootAt(2999, read)
    expect(tree.reads).toBe(3)
    expect(asked).toBeLessThanOrEqual(2 * 12 + 2)
    // appending reads only the old tree's peaks, once
    await counting.append([leafHash(Buffer.from('a')), leafHash(Buffer.from('b')), leafHash(Buffer.from('c'))])
    counting.reads = 0
    await counting.append([leafHash(Buffer.from('d'))])
    expect(counting.reads).toBe(1)
  })

  it('appending nothing stores nothing and keeps the root; bad sizes are refused', async () => {
    const tree = new MemoryTree()
    await tree.append([1, 2, 3, 4, 5].map((i) => leafHash(Buffer.from([i]))))
    const out = await newCompleteNodes(5, [], tree.read)
    expect(out.nodes).toEqual([])
    expect(out.root).toEqual(tree.root)
    await expect(inclusionProof(5, 5, tree.read)).rejects.toThrow(/index 5 is beyond the tree of size 5/)
    await expect(consistencyProof(6, 5, tree.read)).rejects.toThrow(/oldSize 6 is larger than newSize 5/)
    await expect(rootAt(-1, tree.read)).rejects.toThrow(/size must be a whole number/)
    await expect(newCompleteNodes(5, [Buffer.alloc(31)], tree.read)).rejects.toThrow(/31 bytes, expected 32/)
    expect(await consistencyProof(0, 5, tree.read)).toEqual([])
    expect(await consistencyProof(5, 5, tree.read)).toEqual([])
  })
})

/** Every way of changing one byte of the inputs that must make verification fail. */
function* flips(buf: Buffer): Generator<Buffer> {
  for (let i = 0; i < buf.length; i++)
    for (const mask of [0x01, 0x80]) {
      const copy = Buffer.from(buf)
      copy[i] ^= mask
      yield copy
    }
}

describe('flipping any byte of a proof, root or leaf hash fails verification', () => {
  const inputs = Array.from({ length: 16 }, (_, i) => Buffer.from(`leaf ${i}`))
  const leafHashes = inputs.map(leafHash)

  it('every inclusion proof of every tree up to 16 leaves', async () => {
    const tree = new MemoryTree()
    await tree.append(leafHashes)
    let failures = 0
    for (let n = 1; n <= 16; n++) {
      const root = refMTH(inputs.slice(0, n))
      for (let m = 0; m < n; m++) {
        const proof = await inclusionProof(m, n, tree.read)
        verifyInclusion(leafHashes[m], m, n, proof, root)
        const cases: [Buffer, Buffer[], Buffer][] = []
        for (const bad of flips(root)) cases.push([leafHashes[m], proof, bad])
        for (const bad of flips(leafHashes[m])) cases.push([bad, proof, root])
        proof.forEach((h, j) => {
          for (const bad of flips(h)) cases.push([leafHashes[m], proof.map((x, k) => (k === j ? bad : x)), root])
        })
        for (const [leaf, p, r] of cases) {
          let message = ''
          try {
            verifyInclusion(leaf, m, n, p, r)
          } catch (err) {
            expect(err).toBeInstanceOf(ProofError)
            message = (err as Error).message
          }
          expect(message).toMatch(
            new RegExp(
              `^inclusion of leaf ${m} in tree size ${n}: the proof computes [0-9a-f]{64} but the expected root is ${r.toString('hex')}$`,
            ),
          )
          failures++
        }
        // a hash dropped or added, or the index changed (the size alone is bound by the signed checkpoint, not the proof)
        if (proof.length > 0)
          expect(() => verifyInclusion(leafHashes[m], m, n, proof.slice(1), root)).toThrow(/has \d+ hashes, expected/)
        expect(() => verifyInclusion(leafHashes[m], m, n, [...proof, root], root)).toThrow(/has \d+ hashes, expected/)
        if (n > 1) expect(() => verifyInclusion(leafHashes[m], (m + 1) % n, n, proof, root)).toThrow(ProofError)
      }
    }
    expect(failures).toBeGreaterThan(20_000)
  })

  it('every consistency proof between trees up to 16 leaves', async () => {
    const tree = new MemoryTree()
    await tree.append(leafHashes)
    let failures = 0
    for (let n = 1; n <= 16; n++) {
      const newRoot = refMTH(inputs.slice(0, n))
      for (let m = 1; m <= n; m++) {
        const oldRoot = refMTH(inputs.slice(0, m))
        const proof = await consistencyProof(m, n, tree.read)
        verifyConsistency(m, n, oldRoot, newRoot, proof)
        const cases: [Buffer, Buffer, Buffer[]][] = []
        for (const bad of flips(oldRoot)) cases.push([bad, newRoot, proof])
        for (const bad of flips(newRoot)) cases.push([oldRoot, bad, proof])
        proof.forEach((h, j) => {
          for (const bad of flips(h)) cases.push([oldRoot, newRoot, proof.map((x, k) => (k === j ? bad : x))])
        })
        for (const [o, nr, p] of cases) {
          let message = ''
          try {
            verifyConsistency(m, n, o, nr, p)
          } catch (err) {
            expect(err).toBeInstanceOf(ProofError)
            message = (err as Error).message
          }
          const precise =
            m === n
              ? /^the roots at size \d+ differ: [0-9a-f]{64} and [0-9a-f]{64}$/
              : /^consistency: (old|new) tree of size \d+: the proof computes [0-9a-f]{64} but the expected root is [0-9a-f]{64}$/
          expect(message, `m=${m} n=${n}`).toMatch(precise)
          failures++
        }
        if (m < n) {
          expect(() => verifyConsistency(m, n, oldRoot, newRoot, proof.slice(1))).toThrow(/hashes, expected|is empty/)
          expect(() => verifyConsistency(m, n, oldRoot, newRoot, [...proof, newRoot])).toThrow(/hashes, expected/)
        }
      }
    }
    expect(failures).toBeGreaterThan(20_000)
  })
})
