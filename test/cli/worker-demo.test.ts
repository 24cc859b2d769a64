// `numguard worker` in demo mode: the demo clock is the server's (moved from the console, stored in the database), so
// the worker follows it before every pass; the SMSC simulator and the demo phone live in `numguard serve`, so a demo
// worker without SMPP_URL is refused rather than start a simulator of its own whose SMS nobody would see.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { App } from '../../src/app.ts'
import { followDemoClock } from '../../src/cli/worker.ts'
import { advanceDemoClock } from '../../src/demo/clock.ts'
import { MovableClock } from '../../src/domain/clock.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { SYSTEM } from '../helpers/factories.ts'
import { cliEnv, numguard } from './support.ts'

const DAY = 86_400_000

describe('numguard worker in demo mode', () => {
  it('refuses to run without SMPP_URL, in one line, before it connects to anything', async () => {
    // Nothing listens on port 1: a worker that got as far as the database would fail differently.
    const run = await numguard(['worker', '--once'], cliEnv({ DATABASE_URL: 'postgres://numguard@127.0.0.1:1/none' }))
    expect(run.code).toBe(1)
    expect(run.stderr).toBe(
      'numguard: numguard worker in demo mode needs SMPP_URL: without it it would start an SMSC simulator of its own, ' +
        'whose SMS never reach the demo phone (`numguard serve` already runs the worker, the demo clock and the ' +
        'simulator)\n',
    )
    expect(run.stdout).toBe('')
  })
})

describe('followDemoClock', () => {
  let t: TestApp
  let worker: App
  beforeAll(async () => {
    t = await openTestApp({}, { demoClock: true })
    // The worker process read the demo clock when it started, on the same base time.
    const clock = new MovableClock(0, t.clock)
    worker = { ...t.app, clock, movableClock: clock, deps: { ...t.app.deps, clock } }
  })
  afterAll(() => t.close())

  it('moves the worker’s clock to the one the server moved and stored', async () => {
    expect(worker.clock.now()).toEqual(t.app.clock.now())
    await advanceDemoClock(t.app, SYSTEM, 3 * DAY)
    expect(worker.clock.now().getTime()).toBe(t.app.clock.now().getTime() - 3 * DAY) // behind until it follows
    expect(await followDemoClock(worker)).toEqual(t.app.clock.now())
    expect(worker.clock.now()).toEqual(t.app.clock.now())
    // Nothing moved since: following again leaves it where it is (the clock never goes backwards).
    expect(await followDemoClock(worker)).toEqual(t.app.clock.now())
    await advanceDemoClock(t.app, SYSTEM, DAY)
    expect(await followDemoClock(worker)).toEqual(t.app.clock.now())
  })
})
