// The markets numguard serves: each number range belongs to one, and each has its own floors (what no policy of
// that market may go below), its first policy version (the defaults), its SIM-swap cooling and its time zone.
// Migration 034 holds the same rows (`markets`, and each market's version 1 in `recycling_policies`); a test keeps
// the two in step. Floors change only with a release: a new migration, never an UPDATE at run time.
// Where each figure comes from is said beside it: a regulator's rule from docs/DOMAIN.md's regulatory anchors, or
// "numguard's default" where no regulator sets one. Pure: no I/O.
import { ValidationError } from './errors.ts'
import { DEFAULT_POLICY, FLOORS, type PolicyFloors, type PolicyParams } from './policy.ts'

export const MARKET_CODES = ['KH', 'IN', 'MY', 'US'] as const
export type MarketCode = (typeof MARKET_CODES)[number]

/** Ranges imported before markets existed, and imports that name none, belong here (NUMGUARD_COUNTRY's default). */
export const DEFAULT_MARKET: MarketCode = 'KH'

export interface Market {
  code: MarketCode
  name: string
  /** The E.164 country calling code every number of the market's ranges starts with (without `+`). */
  callingCode: string
  timeZone: string
  floors: Readonly<PolicyFloors>
  /** Version 1 of the market's policy series. */
  defaults: Readonly<PolicyParams>
  /** Transfers, terminations and KYC changes are refused this many days after any SIM swap of the number. */
  swapCoolingDays: number
  /** A SIM must have served the number this long before a reply from it counts as the holder's consent. */
  simTenureDays: number
}

/** The 30-day window after a SIM swap of docs/DOMAIN.md's request table (numguard's default in every market). */
const SWAP_COOLING_DAYS = 30

export const MARKETS: Readonly<Record<MarketCode, Readonly<Market>>> = Object.freeze({
  // Cambodia: the regulator's stages are 60 days outgoing barred, then 30 days fully barred, so withdrawal on day 90
  // (DOMAIN: regulatory anchors). No regulator figure for aging, warnings or the send window: numguard's defaults
  // (aging 90 days, floor 45, business up to 365; 3 warnings, floor 2, the last final 5 days before withdrawal;
  // 08:00–20:00).
  KH: {
    code: 'KH',
    name: 'Cambodia',
    callingCode: '855',
    timeZone: 'Asia/Phnom_Penh',
    floors: FLOORS,
    defaults: DEFAULT_POLICY,
    swapCoolingDays: SWAP_COOLING_DAYS,
    simTenureDays: SWAP_COOLING_DAYS,
  },
  // India: no deactivation before 90 days of non-use (withdrawal floor 90) and a number is not reissued for 90 days
  // (aging floor 90); no port within 7 days of a SIM swap, which numguard's 30-day cooling covers. Send window
  // 09:00–21:00: numguard's default for India (no regulator figure in DOMAIN's anchors).
  IN: {
    code: 'IN',
    name: 'India',
    callingCode: '91',
    timeZone: 'Asia/Kolkata',
    floors: { ...FLOORS, agingDays: 90 },
    defaults: { ...DEFAULT_POLICY, send_window: { from: '09:00', to: '21:00' }, time_zone: 'Asia/Kolkata' },
    swapCoolingDays: SWAP_COOLING_DAYS,
    simTenureDays: SWAP_COOLING_DAYS,
  },
  // Malaysia: quarantine of at least 6 months. numguard counts calendar days, and six calendar months are at most
  // 184 days (July–December), so the aging floor and default are 184 days for residential and business numbers.
  // Withdrawal day, warnings and the send window: numguard's defaults.
  MY: {
    code: 'MY',
    name: 'Malaysia',
    callingCode: '60',
    timeZone: 'Asia/Kuala_Lumpur',
    floors: { ...FLOORS, agingDays: 184 },
    defaults: { ...DEFAULT_POLICY, aging_days: 184, business_aging_days: 184, time_zone: 'Asia/Kuala_Lumpur' },
    swapCoolingDays: SWAP_COOLING_DAYS,
    simTenureDays: SWAP_COOLING_DAYS,
  },
  // United States: aging at least 45 days, at most 90 for residential numbers and 365 for business numbers
  // (47 CFR 52.15(f)(1)(ii)). Withdrawal day, warnings and the send window: numguard's defaults. One time zone for
  // the whole market (Eastern) is numguard's simplification: ranges do not carry their own zone yet.
  US: {
    code: 'US',
    name: 'United States',
    callingCode: '1',
    timeZone: 'America/New_York',
    floors: { ...FLOORS, agingDaysMax: 90 },
    defaults: { ...DEFAULT_POLICY, time_zone: 'America/New_York' },
    swapCoolingDays: SWAP_COOLING_DAYS,
    simTenureDays: SWAP_COOLING_DAYS,
  },
})

export function isMarketCode(value: unknown): value is MarketCode {
  return typeof value === 'string' && (MARKET_CODES as readonly string[]).includes(value)
}

/** A market named by an API caller or the CLI: one of MARKET_CODES, or a 400 naming the field. */
export function parseMarket(value: unknown, field = 'market'): MarketCode {
  if (!isMarketCode(value)) {
    throw new ValidationError(field, `${field} must be one of ${MARKET_CODES.join(', ')}`, { got: value ?? null })
  }
  return value
}

/** The market of an import that names none: the operator's country when it is a market, Cambodia otherwise. */
export function defaultMarket(operatorCountry: string): MarketCode {
  return isMarketCode(operatorCountry) ? operatorCountry : DEFAULT_MARKET
}

/** The market whose calling code an E.164 number starts with (the longest code wins), if any. */
export function marketOfMsisdn(msisdn: string): MarketCode | undefined {
  const digits = msisdn.replace(/^\+/, '')
  return MARKET_CODES.filter((c) => digits.startsWith(MARKETS[c].callingCode)).sort(
    (a, b) => MARKETS[b].callingCode.length - MARKETS[a].callingCode.length,
  )[0]
}
