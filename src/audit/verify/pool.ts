// Worker threads for the verifier's parallel work; the caller awaits each job's result in its own order.
import { Worker } from 'node:worker_threads'
import { type Job, type JobResult, runJob } from './worker.ts'

interface Pending {
  resolve: (r: unknown) => void
  reject: (e: Error) => void
  worker: Worker
}

export class WorkerPool {
  private readonly workers: Worker[] = []
  private readonly load = new Map<Worker, number>()
  private readonly pending = new Map<number, Pending>()
  private nextId = 0
  private failure: Error | null = null

  constructor(threads: number) {
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(new URL('./worker.ts', import.meta.url))
      worker.on('message', (m: { id: number; result: unknown }) => this.settle(m.id, m.result))
      worker.on('error', (err) => this.abort(err))
      worker.on('exit', (code) => {
        if (code !== 0) this.abort(new Error(`a verifier worker thread exited with code ${code}`))
      })
      this.workers.push(worker)
      this.load.set(worker, 0)
    }
  }

  /** Sends the job to the least busy worker; a chunk's bytes move there (the caller must not use them again). */
  run<J extends Job>(job: J): Promise<JobResult<J>> {
    if (this.failure) return Promise.reject(this.failure)
    const worker = this.workers.reduce((a, b) => ((this.load.get(b) ?? 0) < (this.load.get(a) ?? 0) ? b : a))
    const id = this.nextId++
    this.load.set(worker, (this.load.get(worker) ?? 0) + 1)
    return new Promise<JobResult<J>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: unknown) => void, reject, worker })
      worker.postMessage({ id, job }, job.type === 'chunk' ? [job.bytes.buffer as ArrayBuffer] : [])
    })
  }

  private settle(id: number, result: unknown): void {
    const p = this.pending.get(id)
    if (!p) return
    this.pending.delete(id)
    this.load.set(p.worker, (this.load.get(p.worker) ?? 1) - 1)
    p.resolve(result)
  }

  private abort(err: Error): void {
    this.failure ??= err
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
  }

  async close(): Promise<void> {
    this.failure ??= new Error('the verifier pool is closed')
    await Promise.all(this.workers.map((w) => w.terminate()))
  }
}

/** Runs a job on the pool, or on this thread without one. */
export function runOn<J extends Job>(pool: WorkerPool | null, job: J): Promise<JobResult<J>> {
  return pool ? pool.run(job) : Promise.resolve(runJob(job).result as JobResult<J>)
}
