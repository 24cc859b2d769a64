import { describe, expect, it } from 'vitest'
import { addDays, isWithinSendWindow, localTime, nextSendTime, parseSendWindow, zonedInstant } from './send-window.ts'

const PP = 'Asia/Phnom_Penh' // UTC+7, no daylight saving
const WINDOW = { from: '08:00', to: '20:00' }

describe('send window', () => {
  it('lets a notice go at once inside the window', () => {
    const at = new Date('2026-03-02T03:00:00Z') // 10:00 in Phnom Penh
    expect(isWithinSendWindow(at, WINDOW, PP)).toBe(true)
    expect(nextSendTime(at, WINDOW, PP)).toEqual(at)
  })

  it('defers a notice queued before the window opens to 08:00 the same day', () => {
    const at = new Date('2026-03-01T23:30:00Z') // 06:30 on 2 March in Phnom Penh
    expect(nextSendTime(at, WINDOW, PP).toISOString()).toBe('2026-03-02T01:00:00.000Z')
  })

  it('defers a notice queued after the window closes to 08:00 the next day', () => {
    const at = new Date('2026-03-02T13:00:00Z') // 20:00 exactly: the window is closed
    expect(isWithinSendWindow(at, WINDOW, PP)).toBe(false)
    expect(nextSendTime(at, WINDOW, PP).toISOString()).toBe('2026-03-03T01:00:00.000Z')
    // The last day of a month rolls into the next month.
    expect(nextSendTime(new Date('2026-03-31T16:00:00Z'), WINDOW, PP).toISOString()).toBe('2026-04-01T01:00:00.000Z')
  })

  it('handles a window across midnight and a zone with daylight saving', () => {
    const night = { from: '22:00', to: '06:00' }
    expect(isWithinSendWindow(new Date('2026-03-02T16:00:00Z'), night, PP)).toBe(true) // 23:00
    expect(nextSendTime(new Date('2026-03-02T05:00:00Z'), night, PP).toISOString()).toBe('2026-03-02T15:00:00.000Z')
    // Berlin on the day clocks go forward (29 March 2026): 08:00 local is 06:00 UTC (CEST).
    const berlin = nextSendTime(new Date('2026-03-29T00:30:00Z'), WINDOW, 'Europe/Berlin')
    expect(berlin.toISOString()).toBe('2026-03-29T06:00:00.000Z')
    expect(zonedInstant('2026-01-15', 8 * 60, 'Europe/Berlin').toISOString()).toBe('2026-01-15T07:00:00.000Z')
  })

  it('does calendar arithmetic on local dates', () => {
    expect(localTime(new Date('2026-03-02T18:00:00Z'), PP).date).toBe('2026-03-03')
    expect(addDays('2026-02-27', 2)).toBe('2026-03-01')
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29')
  })

  it('refuses a malformed or empty window, naming the field', () => {
    expect(() => parseSendWindow({ from: '8am', to: '20:00' })).toThrow(/send_window.from/)
    expect(() => parseSendWindow({ from: '08:00', to: '08:00' })).toThrow(/empty/)
    expect(parseSendWindow(WINDOW)).toEqual(WINDOW)
  })
})
