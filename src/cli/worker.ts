// `numguard worker`: the worker loop alone, beside servers or other workers on the same PostgreSQL database. Every
// task claims its rows with leases (FOR UPDATE SKIP LOCKED), so any number of workers may run side by side; a
// worker killed mid-pass leaves leases that simply run out. The embedded database is one process's: refused.
// In demo mode the clock is the server's, moved from the console and stored in the database: the worker reads it
// again before every pass. The demo's SMSC simulator lives in `numguard serve` (the demo phone is its inbox), so a
// demo worker must be told an SMSC (SMPP_URL) rather than start a simulator of its own whose SMS nobody sees.
import type { App } from '../app.ts'
import { loadConfig } from '../config.ts'
import { CLOCK_OFFSET_KEY } from '../demo/index.ts'
import { openApp } from '../runtime.ts'
import { runDueWork, startWorker } from '../worker/index.ts'
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
  if (config.mode === 'demo' && !config.sms?.smppUrl) {
    throw new CliError(
      'numguard worker in demo mode needs SMPP_URL: without it it would start an SMSC simulator of its own, whose ' +
        'SMS never reach the demo phone (`numguard serve` already runs the worker, the demo clock and the simulator)',
    )
  }
  const opened = await openApp(config, { sms: true })
  const { app } = opened
  const onePass = app.movableClock ? (a: App) => followDemoClock(a).then(() => runDueWork(a)) : runDueWork
  console.error(
    `numguard worker: pid ${process.pid}, PostgreSQL, ${config.mode} mode, clock ${app.clock.now().toISOString()}` +
      (options.once ? ', until nothing is due' : `, a pass every ${options.interval} s`),
  )
  if (options.once) {
    try {
      const total: Record<string, number> = {}
      for (let pass = 1; ; pass++) {
        const done = await onePass(app)
        for (const [k, v] of Object.entries(done)) total[k] = (total[k] ?? 0) + v
        if (Object.values(done).every((n) => n === 0) || pass >= 1000) break
      }
      console.log(JSON.stringify({ worker: 'done', ...total }))
    } finally {
      await opened.close()
    }
    return
  }
  const worker = startWorker(app, options.interval * 1000, onePass)
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

/**
 * Moves this process's demo clock up to the offset the server stored (the demo clock only moves forward, and only
 * by `advanceDemoClock`, which persists it first). Returns the clock's time after.
 */
export async function followDemoClock(app: App): Promise<Date> {
  const clock = app.movableClock
  if (!clock) return app.clock.now()
  const saved = await app.db
    .selectFrom('settings')
    .select('value')
    .where('key', '=', CLOCK_OFFSET_KEY)
    .executeTakeFirst()
  const behind = Number(saved?.value ?? 0) - clock.offsetMs
  return behind > 0 ? clock.advance(behind) : clock.now()
}
