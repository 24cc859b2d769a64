import { Metadata, parsePhoneNumberFromString } from 'libphonenumber-js/max'
import { describe, expect, it } from 'vitest'
import { ValidationError } from './errors.ts'
import { MAX_RANGE_SIZE, parseMsisdn, parseRange } from './msisdn.ts'

/** The error `fn` throws (failing the test if it throws none). */
function thrown(fn: () => unknown): ValidationError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError)
    return err as ValidationError
  }
  throw new Error('expected a ValidationError')
}

/** The full parser's answer, which the range check must reproduce. */
function isMobileByFullParse(e164: string): boolean {
  const p = parsePhoneNumberFromString(e164)
  return Boolean(p?.isValid() && ['MOBILE', 'FIXED_LINE_OR_MOBILE'].includes(p.getType() ?? ''))
}

describe('parseMsisdn', () => {
  it.each([
    ['+85512345678', '+85512345678'],
    ['85512345678', '+85512345678'],
    [' +855 12 345 678 ', '+85512345678'],
    ['+855123456789', '+855123456789'], // 9-digit national mobile numbers exist too
  ])('accepts %j as %s', (input, e164) => {
    expect(parseMsisdn(input)).toBe(e164)
  })

  it('refuses a Cambodian fixed line (+855 23, Phnom Penh) as not mobile', () => {
    expect(parsePhoneNumberFromString('+85523212345')?.getType()).toBe('FIXED_LINE') // the premise
    const err = thrown(() => parseMsisdn('+85523212345'))
    expect(err.code).toBe('invalid_input')
    expect(err.details).toMatchObject({ field: 'msisdn', type: 'FIXED_LINE' })
  })

  it.each([
    ['letters', 'call me maybe'],
    ['a number with letters in it', '+8551234567x'],
    ['too short', '+855'],
    ['too long for the pattern', '+855123456789012345678'],
    ['too long for a Cambodian number', '+8551234567890123'],
    ['an unassigned Cambodian prefix', '+85596000000'],
    ['not a string', 85512345678],
    ['nothing', undefined],
  ])('refuses %s', (_what, input) => {
    const err = thrown(() => parseMsisdn(input, 'number'))
    expect(err.status).toBe(400)
    expect(err.details.field).toBe('number')
  })
})

describe('parseRange', () => {
  it('accepts +85512000000..+85512099999 as 100,000 numbers', () => {
    expect(parseRange('+85512000000', '+85512099999')).toEqual({
      first: '+85512000000',
      last: '+85512099999',
      firstValue: 85512000000n,
      lastValue: 85512099999n,
      size: 100_000,
      country: 'KH',
    })
  })

  it('accepts a range of one number', () => {
    expect(parseRange('85512345678', '+85512345678').size).toBe(1)
  })

  it(`accepts exactly ${MAX_RANGE_SIZE.toLocaleString('en')} numbers and refuses one more`, () => {
    expect(parseRange('+85512000000', '+85512999999').size).toBe(MAX_RANGE_SIZE)
    const err = thrown(() => parseRange('+85512000000', '+85513000000'))
    expect(err.details).toMatchObject({ field: 'last', size: MAX_RANGE_SIZE + 1 })
  })

  it('refuses last before first', () => {
    expect(thrown(() => parseRange('+85512000010', '+85512000009')).details.field).toBe('last')
  })

  it('refuses first and last of different lengths', () => {
    expect(thrown(() => parseRange('+85512345678', '+855123456789')).details.field).toBe('last')
  })

  it('refuses first and last in different countries', () => {
    // Both are 11-digit E.164 mobiles, Cambodia and Hong Kong.
    expect(thrown(() => parseRange('+85255400000', '+85512345678')).details.field).toBe('last')
  })

  it('refuses a Cambodian range that runs from a mobile prefix (95) into an unassigned one (96)', () => {
    expect(isMobileByFullParse('+85595999999')).toBe(true)
    expect(isMobileByFullParse('+85596000000')).toBe(false)
    const err = thrown(() => parseRange('+85595999990', '+85596000009'))
    expect(err.details.field).toBe('last')
  })

  // Every gap in Cambodia's mobile plan is a whole 1,000,000-number prefix block, so no Cambodian range within the
  // size limit can start and end on mobiles with a non-mobile inside. Hong Kong's 5550 block is one.
  it('refuses a range whose ends are mobile but which contains non-mobile numbers, naming the first', () => {
    expect(isMobileByFullParse('+85255499990')).toBe(true)
    expect(isMobileByFullParse('+85255500000')).toBe(false)
    expect(isMobileByFullParse('+85255600009')).toBe(true)
    const err = thrown(() => parseRange('+85255499990', '+85255600009'))
    expect(err.details).toMatchObject({ field: 'first', number: '+85255500000' })
  })

  it.each([
    ['+85512000000', '+85512099999'],
    ['+85510999000', '+85511001000'],
    ['+85581000000', '+85581001999'],
    ['+85255499000', '+85255600999'],
    ['+855123450000', '+855123459999'],
  ])('agrees with parsing every number of %s..%s one by one', (first, last) => {
    expect(isMobileByFullParse(first) && isMobileByFullParse(last)).toBe(true) // so only the inside can be wrong
    const from = BigInt(first.slice(1))
    const size = Number(BigInt(last.slice(1)) - from) + 1
    let firstInvalid: string | null = null
    for (let i = 0; i < size && !firstInvalid; i++) {
      const e164 = `+${from + BigInt(i)}`
      if (!isMobileByFullParse(e164)) firstInvalid = e164
    }
    if (firstInvalid) expect(thrown(() => parseRange(first, last)).details.number).toBe(firstInvalid)
    else expect(parseRange(first, last).size).toBe(size)
  })
})

// parseRange checks a range against the plan's MOBILE pattern (fast) and only cross-checks a sample with the full
// parser. That is sound only if the pattern test and the full parser agree; this checks it on sampled Cambodian
// numbers of every national length, including prefixes that are fixed-line or unassigned.
describe('the fast MOBILE-pattern check behind parseRange', () => {
  it('agrees with full parsing on a sample of Cambodian numbers', () => {
    const metadata = new Metadata()
    metadata.selectNumberingPlan('KH')
    const plan = metadata.numberingPlan as unknown as {
      nationalNumberPattern(): string
      type(name: string): { pattern(): string } | undefined
    }
    const general = new RegExp(`^(?:${plan.nationalNumberPattern()})$`)
    const mobile = new RegExp(`^(?:${plan.type('MOBILE')?.pattern()})$`)
    let seed = 7
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
      return seed / 2 ** 31
    }
    let mobiles = 0
    let others = 0
    for (let i = 0; i < 20_000; i++) {
      const length = 8 + (i % 3)
      const national =
        String(1 + Math.floor(random() * 9)) +
        String(Math.floor(random() * 10 ** (length - 1))).padStart(length - 1, '0')
      const fast = general.test(national) && mobile.test(national)
      const full = isMobileByFullParse(`+855${national}`)
      expect(fast, `+855${national}`).toBe(full)
      if (full) mobiles++
      else others++
    }
    // The sample must hold both kinds for the comparison to mean anything.
    expect(mobiles).toBeGreaterThan(1000)
    expect(others).toBeGreaterThan(1000)
  })
})
