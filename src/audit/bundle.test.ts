// The bundle writer on its own: leaves arrive in windows and in chunks that cut lines anywhere; the file keeps the
// exact bytes, the root is recomputed on the way, and a bundle that does not match its checkpoint gets no manifest.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BundleSource, StreamingRoot, writeBundle } from './bundle.ts'
import { encodeLeaf } from './leaf.ts'
import { leafHash } from './tlog/hash.ts'
import { rootFromLeafHashes } from './tlog/merkle.ts'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'numguard-bundle-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

const leaves = Array.from({ length: 53 }, (_, i) =>
  encodeLeaf({
    event_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    action: 'test',
    data: { i, s: 'ü\n"' },
  }),
)

function source(
  root: Buffer,
  cut: number,
  sizes = [10, 30, 53],
): BundleSource & { requests: [number, number][]; pages: [number, number][] } {
  const pages: [number, number][] = []
  const requests: [number, number][] = []
  return {
    requests,
    pages,
    publicKey: async () => ({ origin: 'test/log', vkey: 'test/log+00000000+AQ==', witnesses: ['w+00000000+BA=='] }),
    checkpoint: async () => ({ size: leaves.length, root, note: 'test/log\n53\nroot\n\n— test/log sig\n' }),
    leafLines: (start, end) => ({
      async *[Symbol.asyncIterator]() {
        requests.push([start, end])
        const bytes = Buffer.concat(leaves.slice(start, end).flatMap((l) => [l, Buffer.from('\n')]))
        for (let at = 0; at < bytes.length; at += cut) yield bytes.subarray(at, at + cut)
      },
    }),
    // Two a page, as a server pages them.
    checkpoints: async (after, upTo) => {
      pages.push([after, upTo])
      return sizes
        .filter((s) => s > after && s <= upTo)
        .slice(0, 2)
        .map((size) => ({ size, note: `note ${size}\n` }))
    },
  }
}

describe('writeBundle', () => {
  it('writes the exact bytes a window at a time and checks their root against the checkpoint', async () => {
    const root = rootFromLeafHashes(leaves.map(leafHash))
    const src = source(root, 37)
    const progress: number[] = []
    const out = await writeBundle(join(dir, 'ok'), src, { window: 20, onProgress: (p) => progress.push(p.leaves) })
    expect(out).toMatchObject({ size: 53, checkpoints: 3, origin: 'test/log' })
    expect(out.root.equals(root)).toBe(true)
    expect(src.requests).toEqual([
      [0, 20],
      [20, 40],
      [40, 53],
    ])
    expect(progress.at(-1)).toBe(53)
    const file = await readFile(join(dir, 'ok', 'leaves.jsonl'))
    expect(file.equals(Buffer.concat(leaves.flatMap((l) => [l, Buffer.from('\n')])))).toBe(true)
    const cps = (await readFile(join(dir, 'ok', 'checkpoints.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(cps.map((c) => c.size)).toEqual([10, 30, 53])
    expect(JSON.parse(await readFile(join(dir, 'ok', 'manifest.json'), 'utf8'))).toMatchObject({
      format: 'numguard-audit-bundle/1',
      size: 53,
      leaves: 'leaves.jsonl',
      checkpoints: 'checkpoints.jsonl',
      checkpoints_selected: 'cosigned, daily, latest',
    })
    expect(await readFile(join(dir, 'ok', 'witnesses.txt'), 'utf8')).toBe('w+00000000+BA==\n')
    // Pages follow the last size written and stop at the bundle's size.
    expect(src.pages).toEqual([
      [0, 53],
      [30, 53],
    ])
  })

  it('ends with the checkpoint its leaves were checked against, even when the pages leave it out', async () => {
    const root = rootFromLeafHashes(leaves.map(leafHash))
    const out = await writeBundle(join(dir, 'latest'), source(root, 1000, [10, 30]))
    expect(out.checkpoints).toBe(3)
    const cps = (await readFile(join(dir, 'latest', 'checkpoints.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(cps).toEqual([
      { size: 10, note: 'note 10\n' },
      { size: 30, note: 'note 30\n' },
      { size: 53, note: 'test/log\n53\nroot\n\n— test/log sig\n' },
    ])
  })

  it('refuses leaves that do not hash to the checkpoint’s root, and writes no manifest', async () => {
    const wrong = rootFromLeafHashes(leaves.slice(1).map(leafHash))
    await expect(writeBundle(join(dir, 'bad'), source(wrong, 1000))).rejects.toThrow(
      /not to the root of the checkpoint/,
    )
    expect(await readdir(join(dir, 'bad'))).not.toContain('manifest.json')
  })

  it('computes the RFC 6962 root of every prefix as it grows', () => {
    const tree = new StreamingRoot()
    const hashes = leaves.map(leafHash)
    expect(tree.root().equals(rootFromLeafHashes([]))).toBe(true)
    hashes.forEach((h, i) => {
      tree.push(h)
      expect(tree.root().equals(rootFromLeafHashes(hashes.slice(0, i + 1))), `size ${i + 1}`).toBe(true)
    })
  })
})
