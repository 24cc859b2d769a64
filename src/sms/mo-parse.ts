// Reading what a subscriber texted: the keyword (YES <code>, NO, LOCK, UNLOCK, STATUS; any case, Khmer or ASCII
// digits), and the text as stored: with codes masked, since `YES 123456` carries a one-time code.

export const MO_KEYWORDS = ['YES', 'NO', 'LOCK', 'UNLOCK', 'STATUS'] as const
export type MoKeyword = (typeof MO_KEYWORDS)[number]

export interface ParsedMo {
  /** The keyword, or null when the text starts with none of them. */
  keyword: MoKeyword | null
  /** For YES: the code that follows, as ASCII digits (4 to 10 of them); spaces between digits are ignored. */
  code?: string
  /** What follows the keyword, normalised (upper case, ASCII digits, single spaces); codes stay in memory only. */
  rest: string
}

const KHMER_ZERO = 0x17e0

/** Khmer digits (០–៩) and full-width forms become ASCII; whitespace collapses. */
export function normaliseMoText(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[\u17e0-\u17e9]/g, (d) => String(d.charCodeAt(0) - KHMER_ZERO))
    .replace(/\s+/g, ' ')
    .trim()
}

export function parseMo(text: string): ParsedMo {
  const normal = normaliseMoText(text).toUpperCase()
  const m = /^([A-Z]+)[\s.,:;!-]*(.*)$/.exec(normal)
  const word = m?.[1] as MoKeyword | undefined
  if (!m || !word || !MO_KEYWORDS.includes(word)) return { keyword: null, rest: normal }
  const rest = m[2].trim()
  if (word !== 'YES') return { keyword: word, rest }
  const digits = rest.replace(/[\s-]/g, '')
  return /^[0-9]{4,10}$/.test(digits) ? { keyword: 'YES', code: digits, rest } : { keyword: 'YES', rest }
}

const DIGIT = '[0-9\\u17e0-\\u17e9]'
const DIGIT_RUN = new RegExp(`${DIGIT}{4,}`, 'g')
const ANY_DIGIT = new RegExp(DIGIT, 'g')

/**
 * The text as it may be stored and logged: after YES every digit is masked (however the code was spaced), and
 * elsewhere any run of four or more digits (a code typed without its keyword, an ID number).
 */
export function maskMoText(text: string): string {
  const yes = /^(\s*yes)(.*)$/is.exec(text.normalize('NFKC'))
  if (yes) return `${yes[1]}${yes[2].replace(ANY_DIGIT, '*')}`.slice(0, 1000)
  return text.replace(DIGIT_RUN, (run) => '*'.repeat(run.length)).slice(0, 1000)
}
