// The verifier's batch note opener gives the tlog core's verdict, with the same message, on every byte flip of a
// signed and cosigned checkpoint.
import { describe, expect, it } from 'vitest'
import { openCheckpoint } from '../tlog/checkpoint.ts'
import { cosignCheckpoint, formatCheckpoint, generateSignerKey, generateWitnessKey, signNote } from '../tlog/index.ts'
import { openNotes } from './notes.ts'

const ORIGIN = 'numguard.test/log'
const log = generateSignerKey(ORIGIN)
const witness = generateWitnessKey('witness.test')
const stranger = generateWitnessKey('stranger.test')
const body = formatCheckpoint({ origin: ORIGIN, size: 42, rootHash: Buffer.alloc(32, 7) })
const note =
  signNote(body, log.skey) +
  cosignCheckpoint(body, witness.skey, 1_750_000_000) +
  cosignCheckpoint(body, stranger.skey, 1)

function core(text: string): unknown {
  try {
    const c = openCheckpoint(Buffer.from(text, 'utf8'), log.vkey, { witnesses: [witness.vkey], origin: ORIGIN })
    return {
      size: c.size,
      root: c.rootHash.toString('hex'),
      cosigners: c.cosignatures.map((w) => `${w.name} ${w.keyId}`),
      unknown: c.unverified,
    }
  } catch (err) {
    return { error: (err as Error).message }
  }
}

function fast(texts: string[]): unknown[] {
  return openNotes(texts, { log: log.vkey, witnesses: [witness.vkey], origin: ORIGIN }).map((o) =>
    'error' in o ? o : { ...o, root: Buffer.from(o.root).toString('hex') },
  )
}

describe('openNotes', () => {
  it('opens a valid note like the core: size, root, the known cosigner, the unknown line', () => {
    const [opened] = fast([note])
    expect(opened).toEqual(core(note))
    expect(opened).toMatchObject({
      size: 42,
      cosigners: [expect.stringMatching(/^witness\.test [0-9a-f]{8}$/)],
      unknown: [{ name: 'stranger.test' }],
    })
  })

  it('agrees with the core on every single-byte flip, message included', () => {
    const bytes = Buffer.from(note, 'utf8')
    const flips: { at: number; text: string }[] = []
    for (let at = 0; at < bytes.length; at++)
      for (const mask of [0x01, 0x20]) {
        const copy = Buffer.from(bytes)
        copy[at] ^= mask
        flips.push({ at, text: copy.toString('utf8') })
      }
    const mine = fast(flips.map((f) => f.text))
    const disagreements = flips.filter((f, i) => JSON.stringify(mine[i]) !== JSON.stringify(core(f.text)))
    expect(disagreements).toEqual([])
    // A flip leaves the note open only inside the stranger's line, or when it turns the witness's line into one by
    // an unknown key (its name or key id): either way a line by no given key remains, which the bundle check refuses.
    const strangerLine = bytes.indexOf('— stranger.test ')
    const opened = mine.flatMap((m, i) =>
      'error' in (m as object) ? [] : [{ at: flips[i].at, m: m as { unknown: unknown[] } }],
    )
    expect(opened.length).toBeGreaterThan(0)
    expect(opened.filter((o) => o.at < strangerLine && o.m.unknown.length !== 2)).toEqual([])
  })

  it('refuses another origin', () => {
    const other = formatCheckpoint({ origin: 'elsewhere/log', size: 1, rootHash: Buffer.alloc(32) })
    expect(fast([signNote(other, log.skey)])).toEqual([
      { error: 'checkpoint origin is "elsewhere/log", expected "numguard.test/log"' },
    ])
  })
})
