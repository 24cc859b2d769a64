import { describe, expect, it } from 'vitest'
import { encodeSms } from './encoding.ts'
import { formatDate, NOTICE_TEMPLATES, type NoticeTemplate, renderNotice } from './templates.ts'

const SAMPLE: Record<string, string | number> = {
  msisdn: '+85512345678',
  daysLeft: 30,
  withdrawalDate: '2026-06-01',
  reclaimUntil: '2026-08-30',
  code: '123456',
  action: 'a SIM swap',
  date: '2026-06-01',
  text: 'Hello',
  staff: 'Sok Dara',
  place: 'Phnom Penh Central',
  minutes: 10,
}

describe('notice templates', () => {
  it('writes dates the way each language does', () => {
    expect(formatDate('2026-06-01', 'en')).toBe('1 June 2026')
    expect(formatDate('2026-06-01', 'km')).toBe('១ មិថុនា ២០២៦')
  })

  it('renders the inactivity warning in English and Khmer', () => {
    const en = renderNotice('inactivity_warning', 'en', SAMPLE)
    expect(en).toContain('Top up within 30 days, before 1 June 2026, to keep your number')
    const km = renderNotice('inactivity_warning', 'km', SAMPLE)
    expect(km).toContain('៣០ ថ្ងៃ')
    expect(km).toContain('១ មិថុនា ២០២៦')
    expect(km).toContain('+85512345678')
    // Khmer goes as UCS-2 in several parts; English fits GSM-7.
    expect(encodeSms(km, 1)[0].dataCoding).toBe(0x08)
    expect(encodeSms(km, 1).length).toBeGreaterThan(1)
    expect(encodeSms(en, 1)[0].dataCoding).toBe(0x00)
  })

  it('renders every template in both languages without a hole', () => {
    for (const name of Object.keys(NOTICE_TEMPLATES) as NoticeTemplate[]) {
      for (const lang of ['en', 'km'] as const) {
        const text = renderNotice(name, lang, SAMPLE)
        expect(text).not.toMatch(/undefined|\$\{/)
        expect(text.length).toBeGreaterThan(4)
      }
    }
  })

  it('masks secret parameters and names a missing one', () => {
    const masked = renderNotice('one_time_code', 'en', SAMPLE, ['code'])
    expect(masked).toContain('is ******. Reply YES ******')
    expect(masked).not.toContain('123456')
    expect(() => renderNotice('withdrawal', 'en', { msisdn: '+85512345678' })).toThrow(/reclaimUntil/)
  })
})
