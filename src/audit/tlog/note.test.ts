import { describe, expect, it } from 'vitest'
import { openCheckpoint } from './checkpoint.ts'
import { leafHash } from './hash.ts'
import { parseSignerKey, parseVerifierKey, verifierKeyOf } from './keys.ts'
import {
  cosignCheckpoint,
  formatCheckpoint,
  generateSignerKey,
  generateWitnessKey,
  MAX_NOTE_BYTES,
  NoteError,
  openNote,
  parseCheckpoint,
  signNote,
} from './note.ts'

const log = generateSignerKey('numguard.example/audit')
const w1 = generateWitnessKey('regulator.example/w1')
const w2 = generateWitnessKey('auditor.example/w2')
const body = formatCheckpoint({ origin: 'numguard.example/audit', size: 1234, rootHash: leafHash(Buffer.from('x')) })
const signed = signNote(body, log.skey)
const cosigned =
  signed + cosignCheckpoint(body, w1.skey, 1_700_000_000) + cosignCheckpoint(body, w2.skey, 1_700_000_001)
const strict = { witnesses: [w1.vkey, w2.vkey], requireWitnesses: 'all' as const }

function messageOf(f: () => unknown): string {
  try {
    f()
  } catch (err) {
    expect(err).toBeInstanceOf(NoteError)
    return (err as Error).message
  }
  return ''
}

describe('keys', () => {
  it('round-trips generated keys and checks key ids and types', () => {
    expect(verifierKeyOf(log.skey)).toBe(log.vkey)
    expect(verifierKeyOf(w1.skey)).toBe(w1.vkey)
    expect(parseVerifierKey(log.vkey).type).toBe('ed25519')
    expect(parseVerifierKey(w1.vkey).type).toBe('cosignature')
    expect(parseSignerKey(w1.skey).name).toBe('regulator.example/w1')
    const [name, id, material] = log.vkey
      .split('+', 2)
      .concat(log.vkey.slice(log.vkey.indexOf('+', log.vkey.indexOf('+') + 1) + 1))
    expect(messageOf(() => parseVerifierKey(`${name}+00000000+${material}`))).toMatch(/key id 00000000 does not match/)
    expect(messageOf(() => parseVerifierKey(`other+${id}+${material}`))).toMatch(/does not match the key/)
    expect(messageOf(() => parseVerifierKey('nope'))).toMatch(/expected <name>\+<key id>\+<base64 key>/)
    expect(messageOf(() => parseSignerKey(log.vkey))).toMatch(/PRIVATE\+KEY/)
    expect(messageOf(() => generateSignerKey('has space'))).toMatch(/without spaces/)
    expect(messageOf(() => signNote(body, w1.skey))).toMatch(/witness \(cosignature\) key, not a note key/)
    expect(messageOf(() => cosignCheckpoint(body, log.skey, 1))).toMatch(/not a witness \(cosignature\) key/)
  })
})

describe('signed notes (C2SP signed-note)', () => {
  it('opens a note signed by the log and two witnesses, returning cosignature timestamps', () => {
    const opened = openNote(cosigned, [log.vkey, w1.vkey, w2.vkey])
    expect(opened.body).toBe(body)
    expect(opened.verified).toEqual([
      { name: 'numguard.example/audit', keyId: parseVerifierKey(log.vkey).keyId.toString('hex') },
      {
        name: 'regulator.example/w1',
        keyId: parseVerifierKey(w1.vkey).keyId.toString('hex'),
        timestamp: 1_700_000_000,
      },
      { name: 'auditor.example/w2', keyId: parseVerifierKey(w2.vkey).keyId.toString('hex'), timestamp: 1_700_000_001 },
    ])
    expect(openNote(cosigned, [log.vkey]).unverified.map((u) => u.name)).toEqual([
      'regulator.example/w1',
      'auditor.example/w2',
    ])
  })

  it('refuses malformed notes, naming what is wrong', () => {
    const cases: [string | Buffer, RegExp][] = [
      [signed.slice(0, -1), /does not end in a newline/],
      [body, /no blank line before its signatures/],
      [`${body}\n`, /no signature lines/],
      [
        Buffer.concat([Buffer.from(signed.slice(0, 3)), Buffer.from([0xff]), Buffer.from(signed.slice(3))]),
        /not valid UTF-8/,
      ],
      [Buffer.from([...Buffer.from(signed.slice(0, -2)), 0xe2, 0x80, 0x0a]), /not valid UTF-8/],
      [`numguard\ud800\n1\n\n${signed.split('\n\n')[1]}`, /unpaired surrogate/],
      [signed.replace('1234', '12\t34'), /control character U\+0009/],
      [signed.replace('\u2014 ', '- '), /signature line 1 does not start with "— "/],
      [signed.replace(/\u2014 (\S+) /, '\u2014 $1  '), /not canonical standard base64/],
      [signed.replace(/\u2014 \S+ /, '\u2014 a+b '), /invalid key name "a\+b"/],
      [`${signed}\u2014 x AAAA\n`, /too short to hold a key id and a signature/],
      [`${signed}\u2014 x\n`, /no space between key name and signature/],
      [`${body}\n${'\u2014 x AAAAAAAAAAAAAAAA\n'.repeat(101)}`, /more than 100 signatures/],
      [`${'a'.repeat(MAX_NOTE_BYTES)}\n\n${signed.split('\n\n')[1]}`, /larger than 1000000 bytes/],
      [Buffer.alloc(MAX_NOTE_BYTES + 1, 0x61), /larger than 1000000 bytes/],
    ]
    for (const [note, why] of cases)
      expect(
        messageOf(() => openNote(note, [log.vkey])),
        String(why),
      ).toMatch(why)
  })

  it('a note with only unknown-key signatures is refused; a failing known signature refuses the whole note', () => {
    expect(messageOf(() => openNote(signed, [w1.vkey]))).toMatch(/no signature by a known key \(known: regulator/)
    const forged = signed.replace(body, body.replace('1234', '1235'))
    expect(messageOf(() => openNote(forged, [log.vkey]))).toMatch(
      /the signature by numguard.example\/audit .* does not verify/,
    )
    const otherBody = formatCheckpoint({
      origin: 'numguard.example/audit',
      size: 1,
      rootHash: leafHash(Buffer.from('y')),
    })
    const badCosig = signed + cosignCheckpoint(otherBody, w1.skey, 5)
    expect(messageOf(() => openNote(badCosig, [log.vkey, w1.vkey]))).toMatch(
      /the cosignature by regulator.example\/w1 \(key id [0-9a-f]{8}, time 5\) does not verify/,
    )
  })
})

describe('checkpoints (C2SP tlog-checkpoint)', () => {
  it('formats and parses, with extension lines', () => {
    const root = leafHash(Buffer.from('r'))
    const text = formatCheckpoint({ origin: 'o.example/log', size: 0, rootHash: root, extensions: ['ext one'] })
    expect(text).toBe(`o.example/log\n0\n${root.toString('base64')}\next one\n`)
    expect(parseCheckpoint(text)).toEqual({ origin: 'o.example/log', size: 0, rootHash: root, extensions: ['ext one'] })
  })

  it('refuses bad bodies, naming the line', () => {
    const root = leafHash(Buffer.from('r')).toString('base64')
    const cases: [string, RegExp][] = [
      [`o\n012\n${root}\n`, /size line "012" is not a decimal number without leading zeros/],
      [`o\n-1\n${root}\n`, /size line "-1"/],
      [`o\n99999999999999999999\n${root}\n`, /size 99999999999999999999 is too large/],
      [`o\n1\n${root.slice(0, -1)}\n`, /root hash line .* is not base64 of 32 bytes/],
      [`o\n1\n${Buffer.alloc(31).toString('base64')}\n`, /is not base64 of 32 bytes/],
      [`o\n1\n${root}\n\next\n`, /extension line 1 is empty/],
      [`o\n1\n`, /has 2 lines, expected at least 3/],
      [`\n1\n${root}\n`, /origin line is empty/],
      [`o\n1\n${root}`, /does not end in a newline/],
    ]
    for (const [text, why] of cases)
      expect(
        messageOf(() => parseCheckpoint(text)),
        text,
      ).toMatch(why)
  })

  it('openCheckpoint requires the log signature and, when asked, every witness', () => {
    const opened = openCheckpoint(cosigned, log.vkey, strict)
    expect(opened.size).toBe(1234)
    expect(opened.cosignatures.map((c) => c.timestamp)).toEqual([1_700_000_000, 1_700_000_001])
    expect(messageOf(() => openCheckpoint(signed, log.vkey, strict))).toMatch(
      /has 0 of the 2 cosignatures required: no signature by the witness key regulator.example\/w1/,
    )
    expect(openCheckpoint(signed, log.vkey, { witnesses: [w1.vkey], requireWitnesses: 0 }).cosignatures).toEqual([])
    const other = generateSignerKey('numguard.example/audit')
    expect(messageOf(() => openCheckpoint(signed, other.vkey))).toMatch(
      /no signature by the log key numguard.example\/audit with key id [0-9a-f]{8} \(a line named numguard.example\/audit has key id/,
    )
    expect(messageOf(() => openCheckpoint(signed, log.vkey, { origin: 'x' }))).toMatch(
      /origin is "numguard.example\/audit", expected "x"/,
    )
    expect(messageOf(() => openCheckpoint(signed, w1.vkey))).toMatch(/is a witness key/)
  })

  it('flipping any bit pattern of any byte of a cosigned checkpoint is refused with a NoteError', () => {
    const bytes = Buffer.from(cosigned)
    const seen = new Set<string>()
    let refused = 0
    for (let i = 0; i < bytes.length; i++)
      for (const mask of [0x01, 0x02, 0x20, 0x80]) {
        const copy = Buffer.from(bytes)
        copy[i] ^= mask
        const message = messageOf(() => openCheckpoint(copy, log.vkey, strict))
        expect(message, `byte ${i} ^ ${mask}`).not.toBe('')
        seen.add(message.replace(/[0-9a-f]{8}|\d+|"[^"]*"|U\+[0-9a-f]{4}/g, '#'))
        refused++
      }
    expect(refused).toBe(bytes.length * 4)
    // the messages say why, not just "invalid": a sample of the distinct reasons
    const all = [...seen].join('\n')
    expect(all).toMatch(/signature by numguard.example\/audit .*does not verify/)
    expect(all).toMatch(/cosignature by regulator.example\/w# .*does not verify/)
    expect(all).toMatch(/not valid UTF-#/)
    expect(all).toMatch(/not canonical standard base#/)
    expect(all).toMatch(/of the # cosignatures required/)
  })
})
