// The console's in-browser proof check (web/src/pages/audit/verify.ts) against the pure core, under Node's WebCrypto
// (the same API the browser has): proofs that verify, proofs that must not, and the note's Ed25519 signature.
import { describe, expect, it } from 'vitest'
import { loadSigner } from '../../src/audit/signer.ts'
import { leafHash } from '../../src/audit/tlog/hash.ts'
import { inclusionProof, rootFromLeafHashes } from '../../src/audit/tlog/merkle.ts'
import { formatCheckpoint } from '../../src/audit/tlog/note.ts'
import { parseCheckpointNote, verifyLeafInclusion, verifyNoteSignature } from '../../web/src/pages/audit/verify.ts'

const leaves = Array.from({ length: 13 }, (_, i) => Buffer.from(`{"i":${i},"v":"numguard-leaf/1"}`))
const hashes = leaves.map(leafHash)
const b64 = (b: Buffer) => b.toString('base64')

/** Proofs from the pure core, read from an in-memory complete-subtree store. */
async function proof(index: number, size: number): Promise<string[]> {
  const read = async (coords: readonly { level: number; index: number }[]) =>
    coords.map((c) => rootFromLeafHashes(hashes.slice(c.index * 2 ** c.level, (c.index + 1) * 2 ** c.level)))
  return (await inclusionProof(index, size, read)).map(b64)
}

describe('the console’s proof check', () => {
  it('accepts every leaf of trees of every size up to 13, and refuses a wrong leaf, index or root', async () => {
    for (let size = 1; size <= leaves.length; size++) {
      const root = b64(rootFromLeafHashes(hashes.slice(0, size)))
      for (let index = 0; index < size; index++) {
        const p = await proof(index, size)
        expect(await verifyLeafInclusion(b64(leaves[index]), index, size, p, root), `${index} of ${size}`).toBe(true)
        if (size > 1) {
          const other = (index + 1) % size
          expect(await verifyLeafInclusion(b64(leaves[other]), index, size, p, root)).toBe(false)
          expect(await verifyLeafInclusion(b64(leaves[index]), other, size, p, root)).toBe(false)
        }
        expect(
          await verifyLeafInclusion(b64(leaves[index]), index, size, p, b64(Buffer.from(hashes[0]).reverse())),
        ).toBe(false)
      }
    }
  })

  it('reads a checkpoint note and checks its signature with the published key; a changed body fails', async () => {
    const signer = loadSigner({})
    const root = rootFromLeafHashes(hashes)
    const note = signer.sign(formatCheckpoint({ origin: signer.origin, size: 13, rootHash: root }))
    expect(parseCheckpointNote(note)).toEqual({ origin: 'numguard.demo/log', size: 13, root: b64(root) })
    expect(await verifyNoteSignature(note, signer.vkey)).toBe(true)
    expect(await verifyNoteSignature(note.replace('\n13\n', '\n12\n'), signer.vkey)).toBe(false)
  })
})
