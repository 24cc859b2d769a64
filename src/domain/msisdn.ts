import { getCountryCallingCode, Metadata, parsePhoneNumberFromString } from 'libphonenumber-js/max'
import { ValidationError } from './errors.ts'

const MOBILE_TYPES = new Set(['MOBILE', 'FIXED_LINE_OR_MOBILE'])
export const MAX_RANGE_SIZE = 1_000_000

/** Parses a number into E.164 and requires it to be a valid mobile number (libphonenumber-js `/max`). */
export function parseMsisdn(input: unknown, field = 'msisdn'): string {
  if (typeof input !== 'string' || !/^\+?[0-9 ()-]{6,20}$/.test(input.trim())) {
    throw new ValidationError(field, `${field} must be an E.164 number such as +85512345678`)
  }
  const text = input.trim().startsWith('+') ? input.trim() : `+${input.trim()}`
  const parsed = parsePhoneNumberFromString(text)
  if (!parsed?.isValid()) throw new ValidationError(field, `${text} is not a valid phone number`)
  const type = parsed.getType()
  if (!type || !MOBILE_TYPES.has(type)) {
    throw new ValidationError(field, `${text} is not a mobile number`, { type: type ?? 'unknown' })
  }
  return parsed.number
}

/**
 * How people type a number they look up: `+85512000015`, `85512000015`, or nationally `012 000 015` (read in the
 * operator's country). Returns E.164 digits with `+`; it does not judge validity (the lookup does, by finding it).
 */
export function normaliseMsisdnInput(text: string, country: string): string {
  const compact = text.replace(/[\s().-]/g, '')
  if (compact.startsWith('+')) return compact
  if (compact.startsWith('0')) return parsePhoneNumberFromString(compact, country as never)?.number ?? `+${compact}`
  return `+${compact}`
}

/** The start of a number, typed either way: `012` and `85512` both become `+85512` in Cambodia. */
export function normaliseMsisdnPrefix(text: string, country: string): string {
  const compact = text.replace(/[\s().-]/g, '')
  if (compact.startsWith('+')) return compact
  if (compact.startsWith('0')) return `+${getCountryCallingCode(country as never)}${compact.slice(1)}`
  return `+${compact}`
}

export function isMsisdnLike(text: string): boolean {
  return /^\+\d{7,15}$/.test(text)
}

export interface ParsedRange {
  first: string
  last: string
  firstValue: bigint
  lastValue: bigint
  size: number
  country: string
}

/**
 * Validates every number of a range. Parsing a million numbers one by one costs ~7 s, so the range is checked
 * against the country's MOBILE pattern from the same metadata, and a sample is cross-checked by the full parser.
 */
export function parseRange(firstInput: unknown, lastInput: unknown, operatorCountry?: string): ParsedRange {
  const first = parseMsisdn(firstInput, 'first')
  const last = parseMsisdn(lastInput, 'last')
  if (first.length !== last.length)
    throw new ValidationError('last', 'first and last must have the same number of digits')
  const firstValue = BigInt(first.slice(1))
  const lastValue = BigInt(last.slice(1))
  if (lastValue < firstValue) throw new ValidationError('last', 'last must not come before first')
  const size = Number(lastValue - firstValue) + 1
  if (size > MAX_RANGE_SIZE) {
    throw new ValidationError('last', `a range holds at most ${MAX_RANGE_SIZE.toLocaleString('en')} numbers`, { size })
  }
  const country = parsePhoneNumberFromString(first)?.country
  if (!country || parsePhoneNumberFromString(last)?.country !== country) {
    throw new ValidationError('last', 'first and last must belong to one country')
  }
  if (operatorCountry && country !== operatorCountry) {
    throw new ValidationError(
      'first',
      `${first} is a number of ${country}; this operator imports numbers of ${operatorCountry}`,
      {
        country,
      },
    )
  }
  const invalid = firstInvalidNumber(first, firstValue, size, country)
  if (invalid)
    throw new ValidationError('first', `${invalid} in this range is not a valid mobile number`, { number: invalid })
  return { first, last, firstValue, lastValue, size, country }
}

function firstInvalidNumber(first: string, firstValue: bigint, size: number, country: string): string | null {
  const metadata = new Metadata()
  metadata.selectNumberingPlan(country as never)
  // The typings omit the numbering plan's accessors that the runtime has.
  const plan = metadata.numberingPlan as unknown as NumberingPlanAccess | undefined
  const callingCode = plan?.callingCode() ?? ''
  const mobile = plan?.type('MOBILE')?.pattern()
  if (!plan || !mobile) return slowCheck(firstValue, size)
  const general = new RegExp(`^(?:${plan.nationalNumberPattern()})$`)
  const pattern = new RegExp(`^(?:${mobile})$`)
  const sampleEvery = Math.max(1, Math.floor(size / 256))
  const width = first.length - 1
  for (let i = 0; i < size; i++) {
    const e164 = `+${(firstValue + BigInt(i)).toString().padStart(width, '0')}`
    const national = e164.slice(1 + callingCode.length)
    const fast = general.test(national) && pattern.test(national)
    if (i % sampleEvery === 0 && fast !== isMobile(e164)) return slowCheck(firstValue, size)
    if (!fast) return e164
  }
  return null
}

interface NumberingPlanAccess {
  callingCode(): string
  nationalNumberPattern(): string
  type(name: string): { pattern(): string } | undefined
}

function isMobile(e164: string): boolean {
  const p = parsePhoneNumberFromString(e164)
  return Boolean(p?.isValid() && MOBILE_TYPES.has(p.getType() ?? ''))
}

function slowCheck(firstValue: bigint, size: number): string | null {
  for (let i = 0; i < size; i++) {
    const e164 = `+${firstValue + BigInt(i)}`
    if (!isMobile(e164)) return e164
  }
  return null
}
