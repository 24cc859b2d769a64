// The log's loop in the server is event-driven: a pass right after a command, one safety pass per idle interval
// (not a pass every 250 ms), signing at most once a second under load, failures retried with a back-off. Timers are
// faked (setTimeout and performance.now): each test moves time and awaits the passes it expects.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { SYSTEM } from '../../test/helpers/factories.ts'
import type { App } from '../app.ts'
import { loadAuditLogConfig } from './log-config.ts'
import { type AuditLogPass, type AuditLogService, IDLE_PASS_MS, startAuditLog } from './log-service.ts'
import { audited, recordAudit } from './record.ts'
import { runCommand } from './run-command.ts'
import { currentHead } from './tree-store.ts'

type Outcome = AuditLogPass | Error

/** Starts the service with a recorder of its passes; `next()` is the next pass's outcome (ask before moving time). */
function watched(app: App, options: { idleMs?: number } = {}) {
  const seen: Outcome[] = []
  let wake: ((o: Outcome) => void) | undefined
  const service = startAuditLog(app, {
    ...options,
    onPass: (o) => {
      seen.push(o)
      wake?.(o)
      wake = undefined
    },
  })
  const next = () => new Promise<Outcome>((r) => (wake = r))
  return { service, seen, next }
}

const pass = (o: Outcome): AuditLogPass => {
  if (o instanceof Error) throw o
  return o
}

/** Writes `n` records in one command through `app`'s deps (which poke the app's own loop). */
async function record(app: App, n: number): Promise<void> {
  await runCommand(app.deps, SYSTEM, async (ctx) => {
    const receipts = []
    for (let i = 0; i < n; i++) receipts.push(await recordAudit(ctx, { action: 'clock.advanced', data: { i } }))
    return audited(null, [receipts[0], ...receipts.slice(1)])
  })
}

let t: TestApp
/** Each test's own App over the shared database: the loop's per-app state (last signing time) starts afresh. */
let app: App
let service: AuditLogService | undefined
beforeAll(async () => {
  t = await openTestApp()
})
afterAll(() => t.close())
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] })
  app = { ...t.app, deps: { db: t.app.db, clock: t.app.clock } }
})
afterEach(async () => {
  await service?.stop()
  service = undefined
  vi.useRealTimers()
})

describe('the audit log loop in the server', () => {
  it('when idle, runs one safety pass per idle interval, which takes records no command poked about', async () => {
    const w = watched(app)
    service = w.service
    await service.idle()
    expect(w.seen).toHaveLength(1)
    // The old loop ran a pass every 250 ms: 19 more by now.
    await vi.advanceTimersByTimeAsync(IDLE_PASS_MS - 100)
    expect(w.seen).toHaveLength(1)

    // Another process (no poke here) records something: the safety pass integrates and signs it.
    const elsewhere = { db: t.app.db, clock: t.app.clock }
    await runCommand(elsewhere, SYSTEM, async (ctx) =>
      audited(null, [await recordAudit(ctx, { action: 'clock.advanced', data: { from: 'elsewhere' } })]),
    )
    await vi.advanceTimersByTimeAsync(50)
    expect(w.seen).toHaveLength(1)
    const safety = w.next()
    await vi.advanceTimersByTimeAsync(100)
    const p = pass(await safety)
    expect(p.integrated).toBe(1)
    expect(p.checkpoint).toBe((await currentHead(t.app.db)).size)
    expect(w.seen).toHaveLength(2)
  })

  it('passes right after a command; under load integrates at once and signs when the second ends', async () => {
    const w = watched(app)
    service = w.service
    await service.idle()
    await vi.advanceTimersByTimeAsync(2_000) // the first pass's signature is over a second old

    let coming = w.next()
    await record(app, 3) // pokes: a pass after the 20 ms debounce, not after the idle interval
    await vi.advanceTimersByTimeAsync(20)
    const first = pass(await coming)
    expect(first).toMatchObject({ integrated: 3, unsigned: false })
    expect(first.checkpoint).toBe(first.size)

    // 100 ms later, another command: integrated at once, its checkpoint waits for the second to end.
    await vi.advanceTimersByTimeAsync(100)
    coming = w.next()
    await record(app, 2)
    await vi.advanceTimersByTimeAsync(20)
    const second = pass(await coming)
    expect(second).toMatchObject({ integrated: 2, size: first.size + 2, checkpoint: undefined, unsigned: true })
    coming = w.next()
    await vi.advanceTimersByTimeAsync(1_000)
    const signed = pass(await coming)
    expect(signed).toMatchObject({ integrated: 0, checkpoint: second.size })
  })

  it('retries a failing pass soon, backing off, and idle() does not wait for the retry', async () => {
    const broken: App = {
      ...app,
      config: { ...app.config, auditLog: { ...loadAuditLogConfig({}), keyFile: '/nonexistent/log-key.txt' } },
    }
    const w = watched(broken)
    service = w.service
    await service.idle() // the first pass failed; the caller is not held up by the retry
    expect(w.seen).toHaveLength(1)
    expect(w.seen[0]).toBeInstanceOf(Error)
    let coming = w.next()
    await vi.advanceTimersByTimeAsync(250)
    expect(await coming).toBeInstanceOf(Error)
    await vi.advanceTimersByTimeAsync(499)
    expect(w.seen).toHaveLength(2)
    coming = w.next()
    await vi.advanceTimersByTimeAsync(1)
    expect(await coming).toBeInstanceOf(Error)
    // Backing off, doubling, never slower than the idle interval.
    for (const delay of [1_000, 2_000, 4_000, IDLE_PASS_MS, IDLE_PASS_MS]) {
      const before = w.seen.length
      await vi.advanceTimersByTimeAsync(delay - 1)
      expect(w.seen).toHaveLength(before)
      coming = w.next()
      await vi.advanceTimersByTimeAsync(1)
      expect(await coming).toBeInstanceOf(Error)
    }
    expect(w.seen).toHaveLength(8)
  })
})
