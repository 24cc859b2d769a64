import { describe, expect, test } from 'vitest'
import { normaliseEventMsisdn, parseInstant, validateEvents } from './validate.ts'

describe('parseInstant', () => {
  test('reads ISO 8601 instants with a zone exactly as Date.parse does', () => {
    for (const text of [
      '2026-03-02T10:00:00Z',
      '2026-03-02T10:00:00.123456Z',
      '2026-03-02T10:00:00+07:00',
      '2026-03-02T10:00-0700',
      '2024-02-29T23:59:59.9Z',
    ])
      expect(parseInstant(text)).toBe(Date.parse(text))
  })
  test('refuses what Date.parse would roll over or guess', () => {
    for (const text of [
      '2026-02-29T00:00:00Z',
      '2026-02-28T24:00:00Z',
      '2026-03-02T10:00:00',
      '2026-03-02',
      '1969-12-31T23:59:59Z',
      '2026-03-02T10:00:00+24:00',
      '2026-13-01T00:00:00Z',
    ])
      expect(parseInstant(text), text).toBeNull()
  })
})

describe('validateEvents', () => {
  const now = new Date('2026-03-02T03:00:00Z')
  const event = { msisdn: '+85512000001', kind: 'usage', occurred_at: '2026-03-01T00:00:00Z', source: 'ocs' }
  test('a NUL in a text field is a bad row, not a failed batch', () => {
    const out = validateEvents([{ ...event, external_id: 'a\u0000b' }], { now, country: 'KH' })
    expect(out.rows).toEqual([])
    expect(out.problems).toMatchObject([{ index: 0, code: 'invalid', field: 'external_id' }])
  })
  test('rows come back in key order whatever order they were sent in', () => {
    const out = validateEvents(
      [
        { ...event, external_id: 'b' },
        { ...event, external_id: 'a', source: 'z' },
        { ...event, external_id: 'a' },
      ],
      { now, country: 'KH' },
    )
    expect(out.rows.map((r) => [r.source, r.externalId, r.index])).toEqual([
      ['ocs', 'a', 2],
      ['ocs', 'b', 0],
      ['z', 'a', 1],
    ])
  })
  test('numbers in every spelling become E.164', () => {
    expect(normaliseEventMsisdn('012 000 001', 'KH')).toBe('+85512000001')
    expect(normaliseEventMsisdn('0085512000001', 'KH')).toBe('+85512000001')
    expect(normaliseEventMsisdn(85512000001, 'KH')).toBe('+85512000001')
    expect(() => normaliseEventMsisdn('+0123', 'KH')).toThrow('is not a phone number')
  })
})
