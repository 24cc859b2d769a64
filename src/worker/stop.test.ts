// Stopping the worker (SIGTERM, Ctrl-C) asks the pass in flight to end at its next task boundary: stop() returns
// once that pass has seen the request, instead of waiting for all its work (the demo's first pass can take minutes).
import { describe, expect, it } from 'vitest'
import type { App } from '../app.ts'
import { isStopping } from '../platform/stopping.ts'
import { startWorker } from './loop.ts'

const quietApp = () => ({ logger: { info() {}, warn() {}, error() {} } }) as unknown as App

describe('stopping the worker', () => {
  it('ends a long pass at its next task boundary', async () => {
    const app = quietApp()
    let tasks = 0
    let started!: () => void
    const running = new Promise<void>((resolve) => {
      started = resolve
    })
    // A pass of endless tasks that, like the sweep and the SMS sender, checks for a stop between tasks.
    const pass = async (a: App) => {
      started()
      while (!isStopping(a)) {
        tasks++
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      return { tasks }
    }
    const worker = startWorker(app, 60_000, pass)
    await running
    expect(isStopping(app)).toBe(false)
    await worker.stop()
    expect(isStopping(app)).toBe(true)
    expect(tasks).toBeGreaterThan(0)
  })
})
