import { describe, expect, it } from 'vitest'
import { type SchedulerTimers, SendScheduler } from './scheduler.ts'

/** A clock the test moves by hand; timers fire when it passes their deadline. */
function fakeTimers() {
  let now = 0
  let timers: { at: number; fn: () => void }[] = []
  const api: SchedulerTimers = {
    now: () => now,
    setTimer(fn, ms) {
      const t = { at: now + ms, fn }
      timers.push(t)
      return () => {
        timers = timers.filter((x) => x !== t)
      }
    },
  }
  const advance = (ms: number) => {
    const target = now + ms
    for (;;) {
      const due = timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at)[0]
      if (!due) break
      timers = timers.filter((t) => t !== due)
      now = due.at
      due.fn()
    }
    now = target
  }
  return { api, advance }
}

function harness(options: { window: number; ratePerSecond: number; burst?: number }) {
  const clock = fakeTimers()
  const scheduler = new SendScheduler({ ...options, timers: clock.api })
  const sent: { name: string; release: () => void }[] = []
  const dropped: string[] = []
  const add = (name: string, priority: 'otp' | 'bulk') =>
    scheduler.enqueue(
      priority,
      (release) => sent.push({ name, release }),
      () => dropped.push(name),
    )
  return { scheduler, sent, dropped, add, advance: clock.advance }
}

describe('SendScheduler', () => {
  it('sends nothing until opened and keeps at most `window` parts in flight', () => {
    const h = harness({ window: 3, ratePerSecond: 1_000_000, burst: 100 })
    for (let i = 0; i < 10; i++) h.add(`b${i}`, 'bulk')
    expect(h.sent).toHaveLength(0)
    h.scheduler.setOpen(true)
    // Bulk leaves one of the three slots to the otp lane.
    expect(h.sent.map((s) => s.name)).toEqual(['b0', 'b1'])
    h.add('o0', 'otp')
    expect(h.sent.map((s) => s.name)).toEqual(['b0', 'b1', 'o0'])
    expect(h.scheduler.inFlight).toBe(3)
    h.sent[0].release()
    h.sent[0].release() // a second release is ignored
    expect(h.scheduler.inFlight).toBe(2)
    expect(h.sent.map((s) => s.name)).toEqual(['b0', 'b1', 'o0'])
    h.sent[2].release()
    expect(h.sent.map((s) => s.name)).toEqual(['b0', 'b1', 'o0', 'b2'])
  })

  it('dispatches otp before queued bulk', () => {
    const h = harness({ window: 1, ratePerSecond: 1_000_000, burst: 100 })
    h.scheduler.setOpen(true)
    for (let i = 0; i < 3; i++) h.add(`b${i}`, 'bulk')
    h.add('o0', 'otp')
    h.add('o1', 'otp')
    for (let i = 0; i < 4; i++) h.sent[i].release()
    expect(h.sent.map((s) => s.name)).toEqual(['b0', 'o0', 'o1', 'b1', 'b2'])
  })

  it('limits the send rate with a token bucket', () => {
    const h = harness({ window: 100, ratePerSecond: 10 })
    h.scheduler.setOpen(true)
    for (let i = 0; i < 25; i++) h.add(`b${i}`, 'bulk')
    expect(h.sent).toHaveLength(1)
    h.advance(99)
    expect(h.sent).toHaveLength(1)
    h.advance(1)
    expect(h.sent).toHaveLength(2)
    h.advance(1_000)
    expect(h.sent).toHaveLength(12)
    h.scheduler.penalise(1_000) // the SMSC said "throttled": about a second of silence
    h.advance(1_000)
    expect(h.sent).toHaveLength(12)
    h.advance(100)
    expect(h.sent).toHaveLength(13)
  })

  it('stops while closed and drops queued parts on request', () => {
    const h = harness({ window: 1, ratePerSecond: 1_000 })
    h.scheduler.setOpen(true)
    h.add('a', 'bulk')
    h.add('b', 'bulk')
    h.scheduler.setOpen(false)
    h.sent[0].release()
    expect(h.sent).toHaveLength(1)
    h.scheduler.dropAll(new Error('unbound'))
    expect(h.dropped).toEqual(['b'])
    expect(h.scheduler.queued).toBe(0)
  })

  it('rejects nonsense limits', () => {
    expect(() => new SendScheduler({ window: 0, ratePerSecond: 1 })).toThrow(RangeError)
    expect(() => new SendScheduler({ window: 1, ratePerSecond: 0 })).toThrow(RangeError)
  })
})
