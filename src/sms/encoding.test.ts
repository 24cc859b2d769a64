import { describe, expect, it } from 'vitest'
import {
  decodeSms,
  encodeSms,
  fillBits,
  gsm7Length,
  gsm7PackedToUnpacked,
  isGsm7,
  packSeptets,
  parseConcatUdh,
  SmsTooLongError,
  septetsToText,
  unpackSeptets,
} from './encoding.ts'
import type { EncodedPart } from './transport.ts'

const hex = (p: EncodedPart) => p.shortMessage.toString('hex')

/** What a phone shows: every part decoded and joined in index order. */
function phoneText(parts: EncodedPart[]): string {
  return parts
    .map((p) => decodeSms(p.dataCoding, p.shortMessage, (p.esmClass & 0x40) !== 0))
    .sort((a, b) => (a.concat?.index ?? 1) - (b.concat?.index ?? 1))
    .map((d) => d.text)
    .join('')
}

const khmer = 'សូមជម្រាបសួរ! លេខទូរស័ព្ទរបស់អ្នកនឹងត្រូវដកហូតក្នុងរយៈពេល ៣០ ថ្ងៃ។ សូមបញ្ចូលទឹកប្រាក់ដើម្បីរក្សាលេខរបស់អ្នក។'

describe('GSM-7 packing', () => {
  it('packs known encodings from the 23.038 examples and common test vectors', () => {
    expect(hex(encodeSms('hello', 1)[0])).toBe('e8329bfd06')
    expect(hex(encodeSms('hellohello', 1)[0])).toBe('e8329bfd4697d9ec37')
    expect(hex(encodeSms('How are you?', 1)[0])).toBe('c8f71d14969741f977fd07')
  })

  it('pads 7 spare bits with CR and drops that CR when decoding', () => {
    const packed = packSeptets([0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37])
    expect(packed.toString('hex')).toBe('31d98c56b3dd1a')
    expect(packed[6] >> 1).toBe(0x0d)
    expect(septetsToText(unpackSeptets(packed))).toBe('1234567')
  })

  it('computes fill bits so septets after a UDH start on a septet boundary', () => {
    expect(fillBits(0)).toBe(0)
    expect(fillBits(6)).toBe(1) // 05 00 03 ref count index: 48 bits + 1 fill = 7 septets
    expect(fillBits(7)).toBe(0) // 16-bit reference header: 56 bits = 8 septets
    // 'h' = 0x68 shifted past the single fill bit.
    const parts = encodeSms('h'.repeat(161), 0x2a)
    expect(parts[0].shortMessage.subarray(0, 7).toString('hex')).toBe('0500032a0201d0')
  })

  it('encodes the basic table and the extension table both ways', () => {
    const all = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡AZÄÖÑÜ§¿azäöñüà'
    const ext = '\f^{}\\[~]|€'
    expect(isGsm7(all + ext)).toBe(true)
    expect(gsm7Length(ext)).toBe(20)
    expect(phoneText(encodeSms(all + ext, 3))).toBe(all + ext)
    expect(hex(encodeSms('€', 1)[0])).toBe('9b32') // ESC 0x65
  })

  it('lays packed GSM-7 out one septet per octet for SMSCs that want it', () => {
    const [single] = encodeSms('hello', 1)
    expect(gsm7PackedToUnpacked(single.shortMessage, false).toString('hex')).toBe('68656c6c6f')
    const parts = encodeSms('x'.repeat(200), 5)
    const unpacked = gsm7PackedToUnpacked(parts[1].shortMessage, true)
    expect(unpacked.subarray(0, 6).toString('hex')).toBe('050003050202')
    expect(decodeSms(0, unpacked, true, { gsm7Packed: false }).text).toBe('x'.repeat(47))
  })
})

describe('segmentation limits', () => {
  it('sends 160 septets as one part and 161 as two', () => {
    const p160 = encodeSms('a'.repeat(160), 1)
    expect(p160).toHaveLength(1)
    expect(p160[0]).toMatchObject({ index: 1, count: 1, dataCoding: 0x00, esmClass: 0x00 })
    expect(p160[0].shortMessage).toHaveLength(140)
    const p161 = encodeSms('a'.repeat(161), 1)
    expect(p161.map((p) => [p.index, p.count, p.esmClass])).toEqual([
      [1, 2, 0x40],
      [2, 2, 0x40],
    ])
    expect(p161[0].shortMessage).toHaveLength(140) // 6 UDH octets + 153 septets with one fill bit
    expect(phoneText(p161)).toBe('a'.repeat(161))
  })

  it('fits exactly 153 septets per part of a long message', () => {
    expect(encodeSms('b'.repeat(153 * 3), 1)).toHaveLength(3)
    expect(encodeSms('b'.repeat(153 * 3 + 1), 1)).toHaveLength(4)
    for (const part of encodeSms('b'.repeat(153 * 3), 1)) {
      expect(decodeSms(0, part.shortMessage, true).text).toHaveLength(153)
    }
  })

  it('counts extension characters double and never splits an escape pair', () => {
    expect(encodeSms('€'.repeat(80), 1)).toHaveLength(1) // 160 septets
    expect(encodeSms('€'.repeat(81), 1)).toHaveLength(2) // 162 septets
    const text = `${'a'.repeat(152)}€${'c'.repeat(10)}` // the € would straddle septets 153/154
    const parts = encodeSms(text, 9)
    expect(parts).toHaveLength(2)
    const decoded = parts.map((p) => decodeSms(0, p.shortMessage, true).text)
    expect(decoded[0]).toBe('a'.repeat(152))
    expect(decoded[1]).toBe(`€${'c'.repeat(10)}`)
  })

  it('writes the concatenation header with the 8-bit reference, count and index', () => {
    const parts = encodeSms('z'.repeat(400), 0x1ff)
    expect(parts.map((p) => p.shortMessage.subarray(0, 6).toString('hex'))).toEqual([
      '050003ff0301',
      '050003ff0302',
      '050003ff0303',
    ])
    expect(parseConcatUdh(Buffer.from('0608040102030201', 'hex'))).toEqual({ reference: 0x0102, count: 3, index: 2 })
  })

  it('refuses a text that would need more than 255 parts', () => {
    expect(() => encodeSms('a'.repeat(153 * 255 + 1), 1)).toThrow(SmsTooLongError)
    expect(encodeSms('a'.repeat(153 * 255), 1)).toHaveLength(255)
  })
})

describe('UCS-2', () => {
  it('sends any text with a non-GSM character as UCS-2 big-endian', () => {
    const [part] = encodeSms('Hi ç', 1)
    expect(part.dataCoding).toBe(0x08)
    expect(hex(part)).toBe('00480069002000e7')
  })

  it('sends Khmer as UCS-2, 70 characters single, 67 per part, and round-trips', () => {
    expect(isGsm7(khmer)).toBe(false)
    const parts = encodeSms(khmer, 77)
    expect(khmer.length).toBeGreaterThan(70)
    expect(parts).toHaveLength(Math.ceil(khmer.length / 67))
    for (const p of parts) {
      expect(p.dataCoding).toBe(0x08)
      expect(p.shortMessage.length - 6).toBeLessThanOrEqual(134)
    }
    expect(phoneText(parts)).toBe(khmer)
    expect(encodeSms('ក'.repeat(70), 1)).toHaveLength(1)
    expect(encodeSms('ក'.repeat(71), 1)).toHaveLength(2)
    expect(encodeSms('ក'.repeat(134), 1)).toHaveLength(2)
    expect(encodeSms('ក'.repeat(135), 1)).toHaveLength(3)
  })

  it('never splits a surrogate pair', () => {
    const text = `${'ក'.repeat(66)}😀tail${'ក'.repeat(10)}`
    const parts = encodeSms(text, 4)
    const decoded = parts.map((p) => decodeSms(8, p.shortMessage, true).text)
    expect(decoded[0]).toBe('ក'.repeat(66))
    expect(decoded[1].startsWith('😀')).toBe(true)
    expect(decoded.join('')).toBe(text)
  })
})

describe('decodeSms', () => {
  it('reads Latin-1/IA5 codings byte per character and the 0xF0 class group', () => {
    expect(decodeSms(0x03, Buffer.from('café', 'latin1'), false).text).toBe('café')
    expect(decodeSms(0x01, Buffer.from('YES 123456'), false).text).toBe('YES 123456')
    expect(decodeSms(0xf0, encodeSms('STATUS', 1)[0].shortMessage, false).text).toBe('STATUS')
  })

  it('round-trips mixed texts through encode and decode', () => {
    for (const text of ['', 'NO', 'Your code: 123456. Do not share it.', '[a]{b}~|^€\\', `${'x'.repeat(300)}€`]) {
      expect(phoneText(encodeSms(text, 200))).toBe(text)
    }
  })
})
