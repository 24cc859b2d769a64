// Every published known-answer vector in test/vectors/tlog (copied from the shared set, see its README) and every
// must-reject probe, run against the stored-tree implementation and the note/checkpoint code.
import { createHash, verify } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { openCheckpoint } from './checkpoint.ts'
import { ProofError } from './errors.ts'
import { EMPTY_ROOT, leafHash } from './hash.ts'
import { parseVerifierKey, verifierKeyOf } from './keys.ts'
import { MemoryTree } from './memory-tree.ts'
import {
  consistencyProof,
  inclusionProof,
  rootAt,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from './merkle.ts'
import {
  cosignCheckpoint,
  formatCheckpoint,
  generateWitnessKey,
  NoteError,
  openNote,
  parseCheckpoint,
  parseNote,
  signNote,
} from './note.ts'

const dir = new URL('../../../test/vectors/tlog/', import.meta.url)
// biome-ignore lint/suspicious/noExplicitAny: vector files are untyped JSON read for tests
const load = (name: string): any => JSON.parse(readFileSync(new URL(name, dir), 'utf8'))
const hex = (s: string) => Buffer.from(s, 'hex')
const b64 = (s: string) => Buffer.from(s, 'base64')

describe('rfc6962-reference-tree-8.json', () => {
  const v = load('rfc6962-reference-tree-8.json')
  const inputs: Buffer[] = v.leafInputsHex.map(hex)

  it('leaf hashes, every perfect subtree hash and the root at every size 0..8', async () => {
    expect(inputs.map((i) => leafHash(i).toString('hex'))).toEqual(v.leafHashes)
    const tree = new MemoryTree()
    await tree.append(inputs.map(leafHash))
    v.perfectSubtreeHashesByLevel.forEach((hashes: string[], level: number) => {
      hashes.forEach((h, index) => {
        expect(tree.nodes.get(`${level}:${index}`)?.toString('hex')).toBe(h)
      })
    })
    expect(tree.nodes.size).toBe(8 + 4 + 2 + 1)
    expect(v.rootsBySize).toHaveLength(9)
    for (const { treeSize, root } of v.rootsBySize) {
      expect((await rootAt(treeSize, tree.read)).toString('hex')).toBe(root)
      expect(rootFromLeafHashes(inputs.slice(0, treeSize).map(leafHash)).toString('hex')).toBe(root)
      const grown = new MemoryTree()
      for (const input of inputs.slice(0, treeSize)) await grown.append([leafHash(input)]) // one leaf at a time
      expect(grown.root.toString('hex')).toBe(root)
    }
    expect(EMPTY_ROOT.toString('hex')).toBe(v.rootsBySize[0].root)
  })

  it('all 36 inclusion proofs are generated identically and verify', async () => {
    const tree = new MemoryTree()
    await tree.append(inputs.map(leafHash))
    expect(v.inclusion).toHaveLength(36)
    for (const p of v.inclusion) {
      const proof = await inclusionProof(p.leafIndex, p.treeSize, tree.read)
      expect(proof.map((h) => h.toString('hex'))).toEqual(p.proof)
      expect(() => verifyInclusion(hex(p.leafHash), p.leafIndex, p.treeSize, proof, hex(p.root))).not.toThrow()
    }
  })

  it('all 36 consistency proofs are generated identically and verify', async () => {
    const tree = new MemoryTree()
    await tree.append(inputs.map(leafHash))
    expect(v.consistency).toHaveLength(36)
    for (const p of v.consistency) {
      const proof = await consistencyProof(p.size1, p.size2, tree.read)
      expect(proof.map((h) => h.toString('hex'))).toEqual(p.proof)
      expect(() => verifyConsistency(p.size1, p.size2, hex(p.root1), hex(p.root2), proof)).not.toThrow()
    }
  })
})

describe('transparency-dev-merkle-probes.json', () => {
  const v = load('transparency-dev-merkle-probes.json')
  const proofOf = (p: string[] | null) => (p ?? []).map(b64)

  it('has the 98 + 98 probes, 184 of them must-reject', () => {
    expect(v.inclusion).toHaveLength(v.counts.inclusion)
    expect(v.consistency).toHaveLength(v.counts.consistency)
    const rejects = [...v.inclusion, ...v.consistency].filter((p) => p.wantErr).length
    expect(rejects).toBe(v.counts.mustReject)
  })

  it('every inclusion probe: accepted or rejected with a ProofError as upstream expects', () => {
    for (const p of v.inclusion) {
      const run = () => verifyInclusion(b64(p.leafHash), p.leafIdx, p.treeSize, proofOf(p.proof), b64(p.root))
      if (p.wantErr) expect(run, p.file).toThrow(ProofError)
      else expect(run, p.file).not.toThrow()
    }
  })

  it('every consistency probe: accepted or rejected with a ProofError as upstream expects', () => {
    for (const p of v.consistency) {
      const run = () => verifyConsistency(p.size1, p.size2, b64(p.root1), b64(p.root2), proofOf(p.proof))
      if (p.wantErr) expect(run, p.file).toThrow(ProofError)
      else expect(run, p.file).not.toThrow()
    }
  })
})

describe('ct-argon2020-real-proofs.json', () => {
  const v = load('ct-argon2020-real-proofs.json')

  it('verifies the real 30-hash inclusion proof of leaf 10000 in 961,984,013 leaves', () => {
    const { inclusion: inc } = v
    expect(leafHash(b64(inc.leafInput)).toString('base64')).toBe(inc.leafHash)
    expect(inc.proof).toHaveLength(30)
    verifyInclusion(b64(inc.leafHash), inc.leafIndex, inc.treeSize, inc.proof.map(b64), b64(v.sth.rootHash))
    expect(() =>
      verifyInclusion(b64(inc.leafHash), inc.leafIndex + 1, inc.treeSize, inc.proof.map(b64), b64(inc.root)),
    ).toThrow(ProofError)
  })

  it('verifies the real consistency proof from 3,654,490 to 961,984,013', () => {
    const c = v.consistency
    verifyConsistency(c.size1, c.size2, b64(c.root1), b64(c.root2), c.proof.map(b64))
    expect(() => verifyConsistency(c.size1, c.size2, b64(c.root2), b64(c.root1), c.proof.map(b64))).toThrow(
      /old tree of size 3654490/,
    )
  })
})

describe('signed-note-checkpoint.json', () => {
  const cases = Object.fromEntries(load('signed-note-checkpoint.json').cases.map((c: { id: string }) => [c.id, c]))

  it('signs byte-for-byte like Go (Ed25519 is deterministic) and opens the result', () => {
    const c = cases['peter-sign']
    expect(signNote(c.text, c.skey)).toBe(c.signedNote)
    expect(verifierKeyOf(c.skey)).toBe(c.vkey)
    expect(parseVerifierKey(c.vkey).keyId.toString('hex')).toBe('c74f20a3')
    const opened = openNote(Buffer.from(c.signedNote), [c.vkey])
    expect(opened).toEqual({ body: c.text, verified: [{ name: 'PeterNeumann', keyId: 'c74f20a3' }], unverified: [] })
  })

  it('keeps a well-formed signature by an unknown key as unverified, verifies it once its key is known', () => {
    const peter = cases['peter-sign']
    const enoch = cases['enoch-second-signature']
    const note = peter.signedNote + enoch.signatureLine
    const one = openNote(note, [peter.vkey])
    expect(one.verified.map((s) => s.name)).toEqual(['PeterNeumann'])
    expect(one.unverified).toEqual([{ name: 'EnochRoot', keyId: 'af0cfe78' }])
    const both = openNote(note, [peter.vkey, enoch.vkey])
    expect(both.verified.map((s) => s.name)).toEqual(['PeterNeumann', 'EnochRoot'])
    expect(() => openNote(note, [])).toThrow(/no signature by a known key/)
  })

  it('opens the real sum.golang.org tree head and parses its body', () => {
    const c = cases['sum.golang.org-real-tree-head']
    const opened = openCheckpoint(c.signedNote, c.vkey)
    expect(opened.origin).toBe(c.expect.origin)
    expect(opened.size).toBe(c.expect.treeSize)
    expect(opened.rootHash.toString('base64')).toBe(c.expect.rootHash)
    expect(opened.signedBy).toEqual({ name: 'sum.golang.org', keyId: '033de0ae' })
  })

  it('formats the sumdb tree note exactly', () => {
    const c = cases['sumdb-format-tree']
    const body = formatCheckpoint({
      origin: 'go.sum database tree',
      size: 123456789012,
      rootHash: leafHash(Buffer.from('hello world')),
    })
    expect(body).toBe(c.text)
    expect(parseCheckpoint(body).size).toBe(123456789012)
  })

  it('parses the C2SP checkpoint example (format only: its key is not published)', () => {
    const c = cases['c2sp-checkpoint-example-format-only']
    const { body, signatures } = parseNote(c.signedNote)
    const cp = parseCheckpoint(body)
    expect([cp.origin, cp.size, cp.rootHash.toString('base64')]).toEqual([
      c.expect.origin,
      c.expect.treeSize,
      c.expect.rootHash,
    ])
    expect(signatures.map((s) => s.name)).toEqual(['example.com/behind-the-sofa'])
    expect(() => openNote(c.signedNote, [])).toThrow(NoteError)
  })

  it('cosignature/v1 signs exactly the C2SP message: header, time line, checkpoint body', () => {
    const c = cases['c2sp-cosignature-v1-message-format-only']
    const body = `${cases['c2sp-checkpoint-example-format-only'].signedNote.split('\n\n')[0]}\n`
    const witness = generateWitnessKey('witness.example/w1')
    const line = cosignCheckpoint(body, witness.skey, 1679315147)
    const raw = b64(line.slice('\u2014 witness.example/w1 '.length, -1))
    const key = parseVerifierKey(witness.vkey)
    expect(raw.subarray(0, 4)).toEqual(key.keyId)
    expect(raw.readBigUInt64BE(4)).toBe(1679315147n)
    expect(verify(null, Buffer.from(c.signedMessage), key.publicKey, raw.subarray(12))).toBe(true)
    // the key id uses type byte 0x04
    const pub = b64(witness.vkey.split('+').slice(2).join('+')).subarray(1)
    const id = createHash('sha256')
      .update('witness.example/w1\n')
      .update(Buffer.from([4]))
      .update(pub)
      .digest()
    expect(key.keyId).toEqual(id.subarray(0, 4))
  })

  it('reproduces the derived checkpoint of the 8-leaf tree', async () => {
    const c = cases['derived-checkpoint-reference-tree-8']
    const tree = new MemoryTree()
    await tree.append(load('rfc6962-reference-tree-8.json').leafInputsHex.map((h: string) => leafHash(hex(h))))
    const body = formatCheckpoint({ origin: 'PeterNeumann', size: tree.size, rootHash: tree.root })
    expect(body).toBe(c.text)
    expect(signNote(body, c.skey)).toBe(c.signedNote)
    const opened = openCheckpoint(c.signedNote, c.vkey, { origin: 'PeterNeumann' })
    expect([opened.size, opened.rootHash.toString('base64')]).toEqual([c.expect.treeSize, c.expect.rootHash])
  })
})

describe('accumulated-130-leaf.json', () => {
  const v = load('accumulated-130-leaf.json')
  const d = Array.from({ length: 130 }, (_, i) => Buffer.from([i]))
  const hashes = d.map(leafHash)
  const bitCeil = (n: number) => {
    let p = 1
    while (p < n) p *= 2
    return p
  }
  const ranges: [number, number][] = []
  for (let end = 0; end <= 130; end++)
    for (let start = 0; start <= end; start++)
      if (start === 0 || start === end || start % bitCeil(end - start) === 0) ranges.push([start, end])

  it('every aligned subtree hash (roots at all sizes 0..130 included)', async () => {
    const full = new MemoryTree()
    await full.append(hashes)
    const acc = createHash('sha256')
    for (const [start, end] of ranges) {
      const root = start === 0 ? await rootAt(end, full.read) : rootFromLeafHashes(hashes.slice(start, end))
      acc.update(`[${start}, ${end}) ${root.toString('hex')}\n`)
    }
    expect(acc.digest('hex')).toBe(v.vectors.find((x: { name: string }) => x.name === 'subtree-hash').sha256)
  })

  it('every inclusion proof of every aligned subtree', async () => {
    const full = new MemoryTree()
    await full.append(hashes)
    const acc = createHash('sha256')
    for (const [start, end] of ranges) {
      let read = full.read
      if (start !== 0) {
        const sub = new MemoryTree()
        await sub.append(hashes.slice(start, end))
        read = sub.read
      }
      for (let index = start; index < end; index++) {
        const proof = await inclusionProof(index - start, end - start, read)
        acc.update(`${index} [${start}, ${end})${proof.map((h) => ` ${h.toString('hex')}`).join('')}\n`)
      }
    }
    expect(acc.digest('hex')).toBe(v.vectors.find((x: { name: string }) => x.name === 'subtree-inclusion-proof').sha256)
  })
})
