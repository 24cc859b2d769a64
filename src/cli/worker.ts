// `numguard worker`: the worker loop alone, beside servers or other workers on the same PostgreSQL database. Every
// task claims its rows with leases (FOR UPDATE SKIP LOCKED), so any number of workers may run side by side; a
// worker killed mid-pass leaves leases that simply run out. The embedded database is one process's: refused.
import { loadConfig } from '../config.ts'
import { openApp } from '../runtime.ts'
import { runDueWork, startWorker } from '../worker/loop.ts'
import { CliError } from './errors.ts'

export interface WorkerOptions {
  /** Seconds between passes. */
  interval: number
  /** Run passes until one finds nothing to do, then exit (cron, tests). */
  once?: boolean
}

export async function runWorker(options: WorkerOptions): Promise<void> {
  const config = loadConfig()
  if (!config.databaseUrl) {
    throw new CliError(
      'numguard worker runs on PostgreSQL only (set DATABASE_URL): two processes on one embedded database would ' +
        'corrupt it, and `numguard serve` already runs the worker inside the server',
    )
  }
  const opened = await openApp(config, { sms: true })
  const { app } = opened
  console.error(
    `numguard worker: pid ${process.pid}, PostgreSQL, ${config.mode} mode, clock ${app.clock.now().toISOString()}` +
      (options.once ? ', until nothing is due' : `, a pass every ${options.interval} s`),
  )
  if (options.once) {
    try {
      const total: Record<string, number> = {}
      for (let pass = 1; ; pass++) {
        const done = await runDueWork(app)
        for (const [k, v] of Object.entries(done)) total[k] = (total[k] ?? 0) + v
        if (Object.values(done).every((n) => n === 0) || pass >= 1000) break
      }
      console.log(JSON.stringify({ worker: 'done', ...total }))
    } finally {
      await opened.close()
    }
    return
  }
  const worker = startWorker(app, options.interval * 1000)
  await new Promise<void>((resolve) => {
    let stopping = false
    const stop = async (signal: string) => {
      if (stopping) return
      stopping = true
      app.logger.info({ signal }, 'worker stopping: finishing the current pass')
      await worker.stop()
      await opened.close()
      resolve()
    }
    process.on('SIGINT', () => void stop('SIGINT'))
    process.on('SIGTERM', () => void stop('SIGTERM'))
  })
}
