import type { App } from '../app.ts'
import type { Actor } from '../audit/actor.ts'
import { runCommand } from '../audit/run-command.ts'
import { expireReservations } from '../inventory/reservations.ts'

const WORKER: Actor = { kind: 'system', component: 'worker' }

/** One pass over due work; each task is its own short transaction. Later issues add their sweeps here. */
export async function runDueWork(app: App): Promise<Record<string, number>> {
  let expired = 0
  for (;;) {
    const out = await runCommand(app.deps, WORKER, (ctx) => expireReservations(ctx))
    expired += out.expired
    if (out.expired === 0) break
  }
  return { reservations_expired: expired }
}

export function startWorker(app: App, intervalMs = 10_000): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve()
  let stopped = false
  let busy = false
  const tick = () => {
    if (busy) return // a long pass is still running: never two passes at once in one process
    busy = true
    running = runDueWork(app)
      .then((done) => {
        if (Object.values(done).some((n) => n > 0)) app.logger.info({ done }, 'worker pass')
      })
      .catch((err) => app.logger.error({ err }, 'worker pass failed'))
      .finally(() => {
        busy = false
      })
  }
  const timer = setInterval(() => {
    if (!stopped) tick()
  }, intervalMs)
  timer.unref()
  tick()
  return {
    stop: async () => {
      stopped = true
      clearInterval(timer)
      await running
    },
  }
}
