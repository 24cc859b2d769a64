// Streams leaves.jsonl in aligned chunks of CHUNK_LEAVES lines, checked and hashed on worker threads, and yields
// the results in file order. Memory stays bounded: at most a few chunks per thread are read ahead.
import { createReadStream } from 'node:fs'
import type { ChunkResult } from './leaf-chunk.ts'
import { runOn, type WorkerPool } from './pool.ts'

/** 2^12 leaves a chunk: a complete subtree, so a worker returns its root and the main thread pushes one hash. */
export const CHUNK_LEVEL = 12
export const CHUNK_LEAVES = 2 ** CHUNK_LEVEL
const READ_AHEAD_PER_THREAD = 3
const NEWLINE = 0x0a

/** Cuts a byte stream into buffers of exactly `lines` whole lines, each in memory of its own (transferable). */
export class LineChunker {
  private pieces: Uint8Array[] = []
  private counted = 0
  private readonly lines: number

  constructor(lines: number) {
    this.lines = lines
  }

  *feed(buf: Uint8Array): Generator<Uint8Array> {
    let from = 0
    let scan = 0
    while (true) {
      const nl = buf.indexOf(NEWLINE, scan)
      if (nl < 0) break
      scan = nl + 1
      if (++this.counted < this.lines) continue
      yield this.take(buf.subarray(from, scan))
      from = scan
    }
    if (from < buf.length) this.pieces.push(buf.subarray(from))
  }

  /** What is left after the last full chunk (fewer lines, the last perhaps without its newline), or null. */
  end(): Uint8Array | null {
    return this.pieces.length > 0 ? this.take(new Uint8Array(0)) : null
  }

  private take(last: Uint8Array): Uint8Array {
    const parts = [...this.pieces, last]
    const out = new Uint8Array(new ArrayBuffer(parts.reduce((n, p) => n + p.length, 0)))
    let at = 0
    for (const p of parts) {
      out.set(p, at)
      at += p.length
    }
    this.pieces = []
    this.counted = 0
    return out
  }
}

/** The checked chunks of the leaves file in order, from the pool's workers (or this thread without a pool). */
export async function* checkedChunks(
  path: string,
  pool: WorkerPool | null,
  threads: number,
): AsyncGenerator<ChunkResult> {
  const inflight: Promise<ChunkResult>[] = []
  const limit = Math.max(1, threads) * READ_AHEAD_PER_THREAD
  let start = 0
  const submit = (bytes: Uint8Array) => {
    const result = runOn(pool, { type: 'chunk', bytes, start })
    result.catch(() => {}) // awaited below, in order; this only keeps an early failure from going unhandled
    inflight.push(result)
    start += CHUNK_LEAVES
  }
  const chunker = new LineChunker(CHUNK_LEAVES)
  // Each read gets a buffer of its own (fs streams do not reuse them), so pieces may be kept by reference.
  for await (const piece of createReadStream(path, { highWaterMark: 1 << 20 })) {
    for (const bytes of chunker.feed(piece as Buffer)) {
      submit(bytes)
      while (inflight.length >= limit) yield await (inflight.shift() as Promise<ChunkResult>)
    }
  }
  const rest = chunker.end()
  if (rest) submit(rest)
  while (inflight.length > 0) yield await (inflight.shift() as Promise<ChunkResult>)
}
