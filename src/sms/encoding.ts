// SMS text encoding of our own (the smpp package would send English as data_coding 0x01 and split badly):
// GSM 03.38 / 3GPP TS 23.038 default alphabet packed 7-bit, UCS-2 for anything else (Khmer always),
// and long texts split into concatenated parts with an 8-bit-reference UDH that never splits an escape
// pair or a UTF-16 surrogate pair.
import type { DataCoding, EncodedPart } from './transport.ts'

// Index = septet value. 0x1B is the escape to the extension table (never a character of its own).
const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'
const GSM7_EXTENSION: Record<string, number> = {
  '\f': 0x0a,
  '^': 0x14,
  '{': 0x28,
  '}': 0x29,
  '\\': 0x2f,
  '[': 0x3c,
  '~': 0x3d,
  ']': 0x3e,
  '|': 0x40,
  '€': 0x65,
}
const ESC = 0x1b
const CR = 0x0d

const basicEncode = new Map<string, number>()
for (let i = 0; i < GSM7_BASIC.length; i++) if (i !== ESC) basicEncode.set(GSM7_BASIC[i], i)
const extensionDecode = new Map<number, string>(Object.entries(GSM7_EXTENSION).map(([c, v]) => [v, c]))

export const GSM7_SINGLE_SEPTETS = 160
export const GSM7_PART_SEPTETS = 153
export const UCS2_SINGLE_CHARS = 70
export const UCS2_PART_CHARS = 67
/** An 8-bit concatenation reference allows at most 255 parts. */
export const MAX_PARTS = 255

export class SmsTooLongError extends Error {
  readonly code = 'sms_too_long'
  readonly parts: number
  constructor(parts: number) {
    super(`The text needs ${parts} SMS parts; at most ${MAX_PARTS} can be concatenated`)
    this.name = 'SmsTooLongError'
    this.parts = parts
  }
}

/** One character's septets: [septet] for the basic table, [ESC, septet] for the extension; null if not GSM-7. */
function charSeptets(ch: string): number[] | null {
  const basic = basicEncode.get(ch)
  if (basic !== undefined) return [basic]
  const ext = GSM7_EXTENSION[ch]
  return ext === undefined ? null : [ESC, ext]
}

/** The text as GSM-7 units (one per character, escape pairs kept together), or null when any character is not GSM-7. */
function toGsm7Units(text: string): number[][] | null {
  const units: number[][] = []
  for (const ch of text) {
    const septets = charSeptets(ch)
    if (!septets) return null
    units.push(septets)
  }
  return units
}

export function isGsm7(text: string): boolean {
  return toGsm7Units(text) !== null
}

/** Septets the text costs in GSM-7 (extension characters count double), or null when it must go as UCS-2. */
export function gsm7Length(text: string): number | null {
  const units = toGsm7Units(text)
  return units === null ? null : units.reduce((n, u) => n + u.length, 0)
}

/** Fill bits that align the first septet after a UDH of `udhOctets` octets (0 without a UDH). */
export function fillBits(udhOctets: number): number {
  return (7 - ((udhOctets * 8) % 7)) % 7
}

/**
 * Packs septets LSB-first starting `fill` bits into the first octet. When the last octet would end with 7
 * spare bits they carry CR, as 23.038 §6.1.2.3.1 asks, so a receiver does not read a spurious '@'.
 */
export function packSeptets(septets: readonly number[], fill = 0): Buffer {
  const bits = fill + septets.length * 7
  const out = Buffer.alloc(Math.ceil(bits / 8))
  const all = bits % 8 === 1 ? [...septets, CR] : septets
  let pos = fill
  for (const s of all) {
    for (let b = 0; b < 7; b++, pos++) {
      if (pos >= out.length * 8) break
      if ((s >> b) & 1) out[pos >> 3] |= 1 << (pos & 7)
    }
  }
  return out
}

/** Inverse of packSeptets; a CR filling exactly the last 7 bits is padding and dropped. */
export function unpackSeptets(bytes: Buffer, fill = 0): number[] {
  const bits = bytes.length * 8 - fill
  const count = Math.max(0, Math.floor(bits / 7))
  const out: number[] = []
  let pos = fill
  for (let i = 0; i < count; i++) {
    let s = 0
    for (let b = 0; b < 7; b++, pos++) if ((bytes[pos >> 3] >> (pos & 7)) & 1) s |= 1 << b
    out.push(s)
  }
  if (count > 0 && bits % 7 === 0 && out[count - 1] === CR) out.pop()
  return out
}

/** GSM-7 septets (one per value, escape pairs as two) to text; unknown escapes show as the basic character, per 23.038. */
export function septetsToText(septets: readonly number[]): string {
  let text = ''
  for (let i = 0; i < septets.length; i++) {
    const s = septets[i] & 0x7f
    if (s === ESC && i + 1 < septets.length) {
      const next = septets[++i] & 0x7f
      text += extensionDecode.get(next) ?? GSM7_BASIC[next]
    } else if (s !== ESC) {
      text += GSM7_BASIC[s]
    }
  }
  return text
}

function concatUdh(reference: number, count: number, index: number): Buffer {
  return Buffer.from([0x05, 0x00, 0x03, reference & 0xff, count, index])
}

/** Groups units into chunks of at most `limit` size without splitting a unit. */
function chunk<T>(units: readonly T[], size: (u: T) => number, limit: number): T[][] {
  const chunks: T[][] = []
  let current: T[] = []
  let used = 0
  for (const u of units) {
    const n = size(u)
    if (used + n > limit) {
      chunks.push(current)
      current = []
      used = 0
    }
    current.push(u)
    used += n
  }
  if (current.length > 0 || chunks.length === 0) chunks.push(current)
  return chunks
}

function assemble(
  chunks: Buffer[],
  dataCoding: DataCoding,
  reference: number,
  payload: (chunk: Buffer, udhOctets: number) => Buffer,
): EncodedPart[] {
  if (chunks.length > MAX_PARTS) throw new SmsTooLongError(chunks.length)
  if (chunks.length === 1) {
    return [{ index: 1, count: 1, dataCoding, esmClass: 0x00, shortMessage: payload(chunks[0], 0) }]
  }
  return chunks.map((c, i) => {
    const udh = concatUdh(reference, chunks.length, i + 1)
    return {
      index: i + 1,
      count: chunks.length,
      dataCoding,
      esmClass: 0x40,
      shortMessage: Buffer.concat([udh, payload(c, udh.length)]),
    }
  })
}

/**
 * Encodes a text into the parts that go out as submit_sm short_message. GSM-7 (data_coding 0x00, packed) when every
 * character is in the default alphabet or its extension, else UCS-2 (0x08, UTF-16BE). `reference` is the 8-bit
 * concatenation reference shared by the parts (callers vary it per message so a phone does not merge two texts).
 */
export function encodeSms(text: string, reference: number): EncodedPart[] {
  const units = toGsm7Units(text)
  if (units) {
    const total = units.reduce((n, u) => n + u.length, 0)
    const groups = total <= GSM7_SINGLE_SEPTETS ? [units] : chunk(units, (u) => u.length, GSM7_PART_SEPTETS)
    const chunks = groups.map((g) => Buffer.from(g.flat()))
    return assemble(chunks, 0x00, reference, (septets, udh) => packSeptets([...septets], fillBits(udh)))
  }
  // UTF-16 code units; a surrogate pair (outside the BMP) is one unit of two so a part never ends mid-pair.
  const codeUnits: string[] = Array.from(text)
  const total = text.length
  const groups = total <= UCS2_SINGLE_CHARS ? [codeUnits] : chunk(codeUnits, (c) => c.length, UCS2_PART_CHARS)
  const chunks = groups.map((g) => utf16be(g.join('')))
  return assemble(chunks, 0x08, reference, (bytes) => bytes)
}

function utf16be(text: string): Buffer {
  const le = Buffer.from(text, 'utf16le')
  return le.swap16()
}

export interface ConcatInfo {
  reference: number
  count: number
  index: number
}

export interface DecodedSms {
  text: string
  /** The concatenation header (8- or 16-bit reference), when the part carries one. */
  concat: ConcatInfo | null
}

/** Reads the concatenation element from a UDH (IEI 0x00, 8-bit ref, or 0x08, 16-bit ref). */
export function parseConcatUdh(udh: Buffer): ConcatInfo | null {
  let i = 1
  while (i + 1 < udh.length) {
    const iei = udh[i]
    const len = udh[i + 1]
    const data = udh.subarray(i + 2, i + 2 + len)
    if (iei === 0x00 && len === 3) return { reference: data[0], count: data[1], index: data[2] }
    if (iei === 0x08 && len === 4) return { reference: data.readUInt16BE(0), count: data[2], index: data[3] }
    i += 2 + len
  }
  return null
}

export type TextAlphabet = 'gsm7' | 'ucs2' | 'latin1'

/** Which alphabet a data_coding names (SMPP 3.4 §5.2.19, plus the 0xF0 message-class group). */
export function alphabetOf(dataCoding: number): TextAlphabet {
  if ((dataCoding & 0xf0) === 0xf0) return dataCoding & 0x04 ? 'latin1' : 'gsm7'
  if (dataCoding === 0x08) return 'ucs2'
  if (dataCoding === 0x00) return 'gsm7'
  // 0x01 IA5/ASCII, 0x03 Latin-1, 0x02/0x04 8-bit binary: byte per character.
  return 'latin1'
}

/**
 * Decodes a short_message. `hasUdh` is the UDHI bit of esm_class; GSM-7 is read packed (with fill bits after the
 * UDH) unless `gsm7Packed` is false (an SMSC that sends one septet per octet).
 */
export function decodeSms(
  dataCoding: number,
  bytes: Buffer,
  hasUdh: boolean,
  options: { gsm7Packed?: boolean } = {},
): DecodedSms {
  let udhOctets = 0
  let concat: ConcatInfo | null = null
  if (hasUdh && bytes.length > 0) {
    udhOctets = Math.min(bytes.length, bytes[0] + 1)
    concat = parseConcatUdh(bytes.subarray(0, udhOctets))
  }
  const body = bytes.subarray(udhOctets)
  const alphabet = alphabetOf(dataCoding)
  let text: string
  if (alphabet === 'gsm7') {
    const septets = options.gsm7Packed === false ? [...body] : unpackSeptets(body, fillBits(udhOctets))
    text = septetsToText(septets)
  } else if (alphabet === 'ucs2') {
    const even = Buffer.from(body.subarray(0, body.length - (body.length % 2)))
    text = even.swap16().toString('utf16le')
  } else {
    text = body.toString('latin1')
  }
  return { text, concat }
}

/** Re-lays a packed GSM-7 short_message as one septet per octet (for SMSCs configured that way), UDH kept. */
export function gsm7PackedToUnpacked(shortMessage: Buffer, hasUdh: boolean): Buffer {
  const udhOctets = hasUdh && shortMessage.length > 0 ? Math.min(shortMessage.length, shortMessage[0] + 1) : 0
  const septets = unpackSeptets(shortMessage.subarray(udhOctets), fillBits(udhOctets))
  return Buffer.concat([shortMessage.subarray(0, udhOctets), Buffer.from(septets)])
}
