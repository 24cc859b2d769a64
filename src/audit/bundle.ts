// Writes the self-contained audit bundle (format in /work/notes/tlog-contract.md, "Bundle"): leaves streamed to
// disk a window at a time (a million leaves never sit in memory), their root recomputed on the way and checked
// against the signed checkpoint the bundle ends with, the manifest written last so a cut-short export has none.
// Checkpoints: not one per integration batch but those a reader relies on (EXPORT_SELECTION, named in the manifest).
import { once } from 'node:events'
import { createWriteStream, type WriteStream } from 'node:fs'
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { EMPTY_ROOT, leafHash, nodeHash } from './tlog/hash.ts'

export const BUNDLE_FORMAT = 'numguard-audit-bundle/1'
/**
 * Which checkpoints a bundle carries (the manifest's `checkpoints_selected`): every cosigned one, the last one signed
 * on each UTC day, and the latest, whose size is the bundle's. The log signs up to one a second under load; these
 * are the ones a reader relies on, and the verifier checks the root at each against the leaves.
 */
export const EXPORT_SELECTION = 'cosigned, daily, latest'

/** Where a bundle's contents come from (the CLI reads them from the server's API). */
export interface BundleSource {
  publicKey(): Promise<{ origin: string; vkey: string; witnesses: string[] }>
  /** The latest checkpoint, or the one of `size`. */
  checkpoint(size?: number): Promise<{ size: number; root: Buffer; note: string }>
  /** Leaves [start, end): the exact bytes, each followed by "\n", in chunks of any size. */
  leafLines(start: number, end: number): AsyncIterable<Uint8Array>
  /**
   * The checkpoints to export (EXPORT_SELECTION: every cosigned one, the last of each UTC day, the latest) with
   * sizes in (after, upTo], ascending, a page at a time.
   */
  checkpoints(after: number, upTo: number): Promise<{ size: number; note: string }[]>
}

/** The RFC 6962 root of a growing list of leaf hashes, in O(log n) memory: a stack of complete subtrees. */
export class StreamingRoot {
  private readonly stack: { level: number; hash: Buffer }[] = []
  size = 0

  push(hash: Buffer): void {
    let node = { level: 0, hash }
    while (this.stack.length > 0 && this.stack[this.stack.length - 1].level === node.level) {
      const left = this.stack.pop() as { level: number; hash: Buffer }
      node = { level: node.level + 1, hash: nodeHash(left.hash, node.hash) }
    }
    this.stack.push(node)
    this.size++
  }

  root(): Buffer {
    if (this.stack.length === 0) return EMPTY_ROOT
    let acc = this.stack[this.stack.length - 1].hash
    for (let i = this.stack.length - 2; i >= 0; i--) acc = nodeHash(this.stack[i].hash, acc)
    return acc
  }
}

export interface ExportProgress {
  leaves: number
  total: number
}

export interface ExportResult {
  dir: string
  origin: string
  size: number
  root: Buffer
  checkpoints: number
}

/** Leaves are fetched this many at a time (one request each). */
export const EXPORT_WINDOW = 100_000

export async function writeBundle(
  dir: string,
  source: BundleSource,
  options: { size?: number; now?: Date; window?: number; onProgress?: (p: ExportProgress) => void } = {},
): Promise<ExportResult> {
  await prepareDirectory(dir)
  const key = await source.publicKey()
  const checkpoint = await source.checkpoint(options.size)
  const total = checkpoint.size
  await writeFile(join(dir, 'public-key.txt'), `${key.vkey}\n`)
  await writeFile(join(dir, 'witnesses.txt'), key.witnesses.map((w) => `${w}\n`).join(''))

  const tree = new StreamingRoot()
  const leaves = createWriteStream(join(dir, 'leaves.jsonl'))
  try {
    let pending = Buffer.alloc(0)
    const window = options.window ?? EXPORT_WINDOW
    for (let start = 0; start < total; start += window) {
      const end = Math.min(total, start + window)
      for await (const chunk of source.leafLines(start, end)) {
        // Hash whole lines as they complete; the bytes go to disk exactly as received.
        let data = pending.length > 0 ? Buffer.concat([pending, chunk]) : Buffer.from(chunk)
        let nl = data.indexOf(10)
        while (nl >= 0) {
          tree.push(leafHash(data.subarray(0, nl)))
          data = data.subarray(nl + 1)
          nl = data.indexOf(10)
        }
        pending = Buffer.from(data)
        await write(leaves, chunk)
        options.onProgress?.({ leaves: tree.size, total })
      }
      if (pending.length > 0 || tree.size !== end)
        throw new Error(`the server sent ${tree.size} whole leaves where ${end} were expected`)
      options.onProgress?.({ leaves: tree.size, total })
    }
  } finally {
    leaves.end()
    await once(leaves, 'close')
  }
  const root = tree.root()
  if (!root.equals(checkpoint.root))
    throw new Error(
      `the exported leaves hash to ${root.toString('base64')}, not to the root of the checkpoint of size ${total} (${checkpoint.root.toString('base64')}): the bundle is incomplete, nothing was certified`,
    )

  const cps = createWriteStream(join(dir, 'checkpoints.jsonl'))
  let count = 0
  try {
    let last = 0 // the size of the last line written: pages start after it
    const line = async (cp: { size: number; note: string }) => {
      await write(cps, `${JSON.stringify({ size: cp.size, note: cp.note })}\n`)
      count++
      last = cp.size
    }
    for (;;) {
      const page = (await source.checkpoints(last, total)).filter((cp) => cp.size > last && cp.size <= total)
      if (page.length === 0) break
      for (const cp of page) await line(cp)
      if (last === total) break
    }
    // The bundle ends with the checkpoint whose root the leaves were just checked against, whatever the pages held.
    if (count === 0 || last < total) await line(checkpoint)
  } finally {
    cps.end()
    await once(cps, 'close')
  }
  const manifest = {
    format: BUNDLE_FORMAT,
    origin: key.origin,
    size: total,
    exported_at: (options.now ?? new Date()).toISOString(),
    leaves: 'leaves.jsonl',
    checkpoints: 'checkpoints.jsonl',
    checkpoints_selected: EXPORT_SELECTION,
  }
  await writeFile(join(dir, 'manifest.json.partial'), `${JSON.stringify(manifest, null, 2)}\n`)
  await rename(join(dir, 'manifest.json.partial'), join(dir, 'manifest.json'))
  return { dir, origin: key.origin, size: total, root, checkpoints: count }
}

async function prepareDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true })
  const present = await readdir(dir)
  if (present.length > 0) throw new Error(`${dir} is not empty: export into a new or empty directory`)
}

async function write(stream: WriteStream, data: Uint8Array | string): Promise<void> {
  if (!stream.write(data)) await once(stream, 'drain')
}
