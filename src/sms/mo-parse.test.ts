import { describe, expect, it } from 'vitest'
import { maskMoText, parseMo } from './mo-parse.ts'

describe('MO keywords', () => {
  it('reads YES with its code in any case and spacing, with Khmer digits', () => {
    expect(parseMo('YES 123456')).toMatchObject({ keyword: 'YES', code: '123456' })
    expect(parseMo('  yes  123 456 ')).toMatchObject({ keyword: 'YES', code: '123456' })
    expect(parseMo('Yes123456')).toMatchObject({ keyword: 'YES', code: '123456' })
    expect(parseMo('YES ១២៣៤៥៦')).toMatchObject({ keyword: 'YES', code: '123456' })
    expect(parseMo('YES')).toEqual({ keyword: 'YES', rest: '' })
    expect(parseMo('YES 12')).toEqual({ keyword: 'YES', rest: '12' })
  })

  it('reads the other keywords and nothing else', () => {
    expect(parseMo('no').keyword).toBe('NO')
    expect(parseMo('Lock').keyword).toBe('LOCK')
    expect(parseMo('UNLOCK please').keyword).toBe('UNLOCK')
    expect(parseMo('status?').keyword).toBe('STATUS')
    expect(parseMo('NOPE').keyword).toBeNull()
    expect(parseMo('សួស្តី').keyword).toBeNull()
    expect(parseMo('').keyword).toBeNull()
  })

  it('masks codes before anything is stored', () => {
    expect(maskMoText('YES 123456')).toBe('YES ******')
    expect(maskMoText('yes 12 34 56')).toBe('yes ** ** **')
    expect(maskMoText('YES ១២៣៤៥៦')).toBe('YES ******')
    expect(maskMoText('my code is 9876 thanks')).toBe('my code is **** thanks')
    expect(maskMoText('STATUS')).toBe('STATUS')
    expect(maskMoText('NO 12')).toBe('NO 12')
  })
})
