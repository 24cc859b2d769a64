import { afterEach, describe, expect, it, vi } from 'vitest'
import { type Clock, MovableClock, parseDuration } from './clock.ts'

afterEach(() => {
  vi.restoreAllMocks()
})

describe('MovableClock', () => {
  it('never goes backwards when the system clock steps back', () => {
    const wall = vi.spyOn(Date, 'now').mockReturnValue(Date.parse('2025-03-01T10:00:00Z'))
    const clock = new MovableClock()
    const before = clock.now().getTime()
    wall.mockReturnValue(Date.parse('2025-03-01T09:00:00Z'))
    expect(clock.now().getTime()).toBeGreaterThanOrEqual(before)
  })

  it('moves forward by exactly what advance adds', () => {
    const base: Clock = { now: () => new Date('2025-03-01T00:00:00Z') }
    const clock = new MovableClock(0, base)
    expect(clock.advance(86_400_000).toISOString()).toBe('2025-03-02T00:00:00.000Z')
    expect(clock.offsetMs).toBe(86_400_000)
  })

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('rejects advance(%s) and keeps its time', (ms) => {
    const base: Clock = { now: () => new Date('2025-03-01T00:00:00Z') }
    const clock = new MovableClock(5_000, base)
    expect(() => clock.advance(ms)).toThrow(RangeError)
    expect(clock.offsetMs).toBe(5_000)
  })
})

describe('parseDuration', () => {
  it.each([
    ['45s', 45_000],
    ['90m', 5_400_000],
    ['12h', 43_200_000],
    ['30d', 2_592_000_000],
    [' 7 d ', 604_800_000],
  ])('parses %j', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  it.each(['', '30', 'd', '1.5h', '-3d', '3w', '1234567s'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeNull()
  })
})
