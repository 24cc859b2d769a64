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
  after: '2026-03-03 10:00',
  reference: 'KH-2026-000001',
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

  it('announces a lost-SIM swap to the number and the alternate contact with the way to stop it, in GSM-7', () => {
    for (const name of ['sim_swap_lost_number', 'sim_swap_lost_alt_contact'] as const) {
      const en = renderNotice(name, 'en', SAMPLE)
      expect(en).toContain('+85512345678')
      expect(en).toContain('after 2026-03-03 10:00')
      expect(en).toMatch(/reply NO from .* or call us at once to stop it/)
      // English stays GSM-7 and within two parts, with the longest number and date the operator writes.
      const parts = encodeSms(en, 1)
      expect(parts[0].dataCoding).toBe(0x00)
      expect(parts.length).toBeLessThanOrEqual(2)
      expect(renderNotice(name, 'km', SAMPLE)).toContain('NO')
    }
    // The alternate contact is told that the NO must come from the number, not from their own phone.
    expect(renderNotice('sim_swap_lost_alt_contact', 'en', SAMPLE)).toContain('reply NO from +85512345678')
  })

  it('masks secret parameters and names a missing one', () => {
    const masked = renderNotice('one_time_code', 'en', SAMPLE, ['code'])
    expect(masked).toContain('is ******. Reply YES ******')
    expect(masked).not.toContain('123456')
    expect(() => renderNotice('withdrawal', 'en', { msisdn: '+85512345678' })).toThrow(/reclaimUntil/)
  })
})
