// The duplicate-id table: exact on UUIDs (all 128 bits kept), strings for anything else, through many growths.
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { EventIds, uuidWords } from './event-ids.ts'

function add(ids: EventIds, id: string, index: number): number | undefined {
  const words = new Uint32Array(4)
  return ids.add(id, uuidWords(id, words, 0) ? words : null, 0, index)
}

describe('uuidWords', () => {
  it('reads the 128 bits of a canonical lower-case UUID, and nothing else', () => {
    const words = new Uint32Array(4)
    expect(uuidWords('0123abcd-4567-89ef-0123-456789abcdef', words, 0)).toBe(true)
    expect([...words].map((w) => w.toString(16).padStart(8, '0')).join('')).toBe('0123abcd456789ef0123456789abcdef')
    for (const other of [
      '0123ABCD-4567-89ef-0123-456789abcdef',
      '0123abcd456789ef0123456789abcdef',
      'x',
      '0123abcd-4567-89ef-0123-456789abcdeg',
    ])
      expect(uuidWords(other, words, 0), other).toBe(false)
  })
})

describe('EventIds', () => {
  it('names the earlier leaf of a repeated id among 200,000, random and time-ordered', () => {
    const ids = new EventIds()
    const all = Array.from({ length: 100_000 }, () => randomUUID())
    // Time-ordered (v7-like): the first 48 bits count up, so only the mixing spreads them.
    for (let i = 0; i < 100_000; i++) all.push(`0190${i.toString(16).padStart(4, '0')}-0000-7000-8000-000000000000`)
    const repeated = all.filter((id, i) => add(ids, id, i) !== undefined)
    expect(repeated).toEqual([])
    expect(add(ids, all[12_345], 200_000)).toBe(12_345)
    expect(add(ids, all[150_000], 200_001)).toBe(150_000)
  })

  it('keeps other ids as strings; an upper-case spelling is another id', () => {
    const ids = new EventIds()
    const id = randomUUID()
    expect(add(ids, id, 0)).toBeUndefined()
    expect(add(ids, id.toUpperCase(), 1)).toBeUndefined()
    expect(add(ids, 'same-id', 2)).toBeUndefined()
    expect(add(ids, 'same-id', 3)).toBe(2)
    expect(add(ids, id.toUpperCase(), 4)).toBe(1)
  })
})
