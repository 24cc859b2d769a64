// The partner access log on the hot path: every answer is in the log before it leaves (the request awaits its row),
// but the rows of concurrent requests share one multi-row INSERT (group commit) instead of a round trip each. While
// one batch is being written the next fills up; nothing waits on a timer. The queue is bounded: past MAX_QUEUED rows
// a check is refused (503) rather than answered unlogged. close() writes what is queued before the pool goes away.
import type { PartnerDb } from './db.ts'
import { CamaraError } from './errors.ts'
import { type AccessLogEntry, insertAccessLogRows } from './queries.ts'

export const MAX_BATCH = 256
export const MAX_QUEUED = 10_000

interface Pending {
  entry: AccessLogEntry
  done: (err?: unknown) => void
}

export interface AccessLogWriter {
  write(entry: AccessLogEntry): Promise<void>
  /** Resolves when every row written so far is in the database. */
  close(): Promise<void>
}

export interface AccessLogWriterOptions {
  maxBatch?: number
  maxQueued?: number
  /** Write through a named prepared statement (PostgreSQL only; see queries.ts). */
  prepared?: boolean
}

export function createAccessLogWriter(db: PartnerDb, options: AccessLogWriterOptions = {}): AccessLogWriter {
  const { maxBatch = MAX_BATCH, maxQueued = MAX_QUEUED, prepared = false } = options
  const insertRows = (entries: AccessLogEntry[]) => insertAccessLogRows(db, entries, prepared)
  const queue: Pending[] = []
  let flushing: Promise<void> | null = null

  async function flush(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.splice(0, maxBatch)
      try {
        await insertRows(batch.map((p) => p.entry))
        for (const p of batch) p.done()
      } catch (err) {
        if (batch.length === 1) batch[0].done(err)
        // One bad row must not fail its neighbours' answers: each is written alone and fails alone.
        else await Promise.all(batch.map((p) => insertRows([p.entry]).then(() => p.done(), p.done)))
      }
    }
  }

  function kick(): Promise<void> {
    if (!flushing)
      flushing = flush().finally(() => {
        flushing = null
      })
    return flushing
  }

  return {
    write(entry) {
      if (queue.length >= maxQueued)
        return Promise.reject(
          new CamaraError(503, 'UNAVAILABLE', 'The partner access log is behind; try again shortly', 1),
        )
      return new Promise<void>((resolve, reject) => {
        queue.push({ entry, done: (err) => (err === undefined ? resolve() : reject(err)) })
        void kick()
      })
    },
    async close() {
      while (flushing || queue.length > 0) await kick()
    },
  }
}
