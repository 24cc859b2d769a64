// The bundle as a whole: a valid one passes; flipping any byte of a checkpoint note, signature, cosignature, key or
// leaf fails with a precise message; truncation, extra leaves, forks and rewrites against an earlier checkpoint.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signNote } from '../tlog/note.ts'
import { canonicalJson } from './canonical.ts'
import { BundleBuilder, lawfulStory, ORIGIN } from './test-bundle.ts'
import { problemText, type VerifyOptions, type VerifyReport } from './types.ts'
import { verifyBundle } from './verify-bundle.ts'

let b: BundleBuilder
let dir: string
const dirs: string[] = []
/** The byte-flipping loops verify a bundle a thousand times or more: minutes on a loaded machine. */
const LOOP_TIMEOUT = 300_000
const opts = (extra: Partial<VerifyOptions> = {}): VerifyOptions => ({ key: b.logKey.vkey, threads: 1, ...extra })
const verify = (extra: Partial<VerifyOptions> = {}, at = dir) => verifyBundle(at, opts(extra))
const first = (r: VerifyReport) => (r.failures[0] ? problemText(r.failures[0]) : 'no failure')

beforeAll(() => {
  b = lawfulStory()
  dir = b.write()
  dirs.push(dir)
})
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** Runs `check` on a copy of the shared bundle whose `file` is replaced by `bytes` (the copy is the test's own). */
async function withFile<T>(file: string, bytes: Uint8Array, check: (at: string) => Promise<T>): Promise<T> {
  const at = mkdtempSync(join(tmpdir(), 'numguard-bundle-copy-'))
  try {
    for (const f of readdirSync(dir)) copyFileSync(join(dir, f), join(at, f))
    writeFileSync(join(at, file), bytes)
    return await check(at)
  } finally {
    rmSync(at, { recursive: true, force: true })
  }
}

const flipped = (bytes: Buffer, at: number, mask = 0x01) => {
  const copy = Buffer.from(bytes)
  copy[at] ^= mask
  return copy
}

describe('a valid bundle', () => {
  it('verifies, with every checkpoint root recomputed and cosigned by the witness', async () => {
    const r = await verify({ witnesses: [b.witnessKey.vkey], since: b.noteAt(5) })
    expect(r.failures).toEqual([])
    expect(r.ok).toBe(true)
    expect(r.origin).toBe(ORIGIN)
    expect(r.leaves).toBe(13)
    expect(r.checkpoints.map((c) => [c.size, c.rootMatches, c.cosignedBy])).toEqual([
      [3, true, ['witness.test']],
      [8, true, ['witness.test']],
      [13, true, ['witness.test']],
    ])
    expect(r.witnesses).toEqual([
      expect.objectContaining({ name: 'witness.test', source: 'trusted', cosigned: 3, latestSize: 13 }),
    ])
    expect(r.since).toEqual({ size: 5, root: expect.any(String), consistent: true })
  })

  it('takes the key and the earlier checkpoint from files too', async () => {
    writeFileSync(join(dir, '..', `${dir.split('/').pop()}.since`), b.noteAt(13))
    const since = join(dir, '..', `${dir.split('/').pop()}.since`)
    dirs.push(since)
    const r = await verify({ key: join(dir, 'public-key.txt'), since })
    expect(r.ok).toBe(true)
    expect(r.since?.consistent).toBe(true)
  })

  it('verifies a bundle of many chunks on worker threads, with checkpoints inside and at chunk boundaries', async () => {
    const big = new BundleBuilder()
    const agent = big.staff(['agent'], 'shop-a')
    while (big.leaves.length < 10_001) big.act(agent, 'number.reserved', { msisdn: `+855120${big.leaves.length}` })
    for (const size of [1, 4095, 4096, 4097, 8192, 9000]) big.checkpointSizes.add(size)
    const at = big.write()
    dirs.push(at)
    const progress: number[] = []
    for (const threads of [1, 2]) {
      const r = await verifyBundle(at, { key: big.logKey.vkey, threads, onProgress: (p) => progress.push(p.leaves) })
      expect(r.failures).toEqual([])
      expect(r.checkpoints.map((c) => c.rootMatches)).toEqual([true, true, true, true, true, true, true])
      expect(r.rules.staffLeaves).toBe(10_000)
    }
    expect(progress).toContain(8192)
    // A flipped leaf in the second chunk is found on the workers, named by its index.
    const leaves = readFileSync(join(at, 'leaves.jsonl'))
    writeFileSync(join(at, 'leaves.jsonl'), flipped(leaves, leaves.indexOf('"msisdn":"+8551205000"') + 12))
    const r = await verifyBundle(at, { key: big.logKey.vkey, threads: 2 })
    expect(first(r)).toBe(
      'checkpoint size 8192: leaves 0..8191 do not hash to its root (they do at size 4097: the difference lies in leaves 4097..8191)',
    )
  })
})

describe('a checkpoint per leaf', () => {
  it('verifies 2,500 checkpoints in batches on the workers, and names the one that fails', async () => {
    const dense = new BundleBuilder()
    while (dense.leaves.length < 2_500) dense.system('clock.advanced', { data: { n: dense.leaves.length } })
    for (let size = 0; size < 2_500; size++) dense.checkpointSizes.add(size)
    dense.cosign = (size) => size % 100 === 0
    const at = dense.write()
    dirs.push(at)
    const r = await verifyBundle(at, { key: dense.logKey.vkey, threads: 2, witnesses: [dense.witnessKey.vkey] })
    expect(r.failures).toEqual([])
    expect(r.checkpoints).toHaveLength(2_501)
    expect(r.checkpoints.every((c) => c.rootMatches)).toBe(true)
    expect(r.witnesses[0]).toMatchObject({ cosigned: 26, latestSize: 2_500 })
    const lines = readFileSync(join(at, 'checkpoints.jsonl'), 'utf8').split('\n')
    lines[1_700] = lines[1_700].replace(
      /(— numguard\.test\/log \S{10})(\S)/,
      (_, head, c) => head + (c === 'A' ? 'B' : 'A'),
    )
    writeFileSync(join(at, 'checkpoints.jsonl'), lines.join('\n'))
    const broken = await verifyBundle(at, { key: dense.logKey.vkey, threads: 2 })
    expect(broken.failures.map(problemText)).toEqual([
      expect.stringMatching(
        /^checkpoint size 1700: the signature by numguard\.test\/log \(key id [0-9a-f]{8}\) does not verify$/,
      ),
    ])
  })
})

describe('flipping any byte', () => {
  // A flip in a cosignature line's key name or key id makes it a line by a key nobody names: C2SP has verifiers
  // ignore it, so the bundle verifies with that checkpoint no longer cosigned and the stranger counted.
  it('of checkpoints.jsonl (notes, signatures, cosignatures) fails, naming the checkpoint, or strands a cosignature', {
    timeout: LOOP_TIMEOUT,
  }, async () => {
    const bytes = readFileSync(join(dir, 'checkpoints.jsonl'))
    const passed: number[] = []
    let stranded = 0
    for (let at = 0; at < bytes.length; at++) {
      const r = await withFile('checkpoints.jsonl', flipped(bytes, at), (copy) =>
        verify({ witnesses: [b.witnessKey.vkey] }, copy),
      )
      const uncosigned = r.checkpoints.filter((c) => c.cosignedBy.length === 0).length
      if (r.ok && r.unknownSignatures.length === 1 && uncosigned === 1) stranded++
      else if (r.ok) passed.push(at)
    }
    expect(passed).toEqual([])
    expect(stranded).toBeGreaterThan(0)
  })

  it('names the checkpoint whose signature or cosignature does not verify', async () => {
    const bytes = readFileSync(join(dir, 'checkpoints.jsonl'))
    const starts = [0]
    bytes.forEach((v, i) => {
      if (v === 10) starts.push(i + 1)
    })
    const line = (n: number) => starts[n]
    // Byte offsets: 40 bytes past "— <name> " lies the signature proper, 24 the key id. A letter's case is flipped
    // (0x20) so the base64 stays valid and the signature itself is what fails.
    const letter = (from: number) => {
      let at = from
      while (!/[A-Za-z]/.test(String.fromCharCode(bytes[at]))) at++
      return at
    }
    const signature = letter(bytes.indexOf('— numguard.test/log ', line(1)) + 40)
    const r1 = await withFile('checkpoints.jsonl', flipped(bytes, signature, 0x20), (copy) => verify({}, copy))
    expect(first(r1)).toMatch(
      /^checkpoint size 8: the signature by numguard\.test\/log \(key id [0-9a-f]{8}\) does not verify$/,
    )
    const cosignature = letter(bytes.indexOf('— witness.test ', line(2)) + 40)
    const r2 = await withFile('checkpoints.jsonl', flipped(bytes, cosignature, 0x20), (copy) => verify({}, copy))
    expect(first(r2)).toMatch(
      /^checkpoint size 13: the cosignature by witness\.test \(key id [0-9a-f]{8}, time \d+\) does not verify$/,
    )
    const keyId = letter(bytes.indexOf('— numguard.test/log ', line(1)) + 22)
    expect(keyId).toBeLessThan(bytes.indexOf('— numguard.test/log ', line(1)) + 27)
    const r4 = await withFile('checkpoints.jsonl', flipped(bytes, keyId, 0x20), (copy) => verify({}, copy))
    expect(first(r4)).toMatch(
      /^checkpoint size 8: no signature by the log key numguard\.test\/log with key id [0-9a-f]{8} \(a line named numguard\.test\/log has key id [0-9a-f]{8}\)$/,
    )
    const body = bytes.indexOf('\\n13\\n') + 3
    const r3 = await withFile('checkpoints.jsonl', flipped(bytes, body), (copy) => verify({}, copy))
    expect(first(r3)).toMatch(
      /^checkpoint size 13: the signature by numguard\.test\/log \(key id [0-9a-f]{8}\) does not verify$/,
    )
    const wrapper = bytes.indexOf('{"size":13,') + 9
    const r5 = await withFile('checkpoints.jsonl', flipped(bytes, wrapper), (copy) => verify({}, copy))
    expect(first(r5)).toBe('checkpoint size 12: the note says size 13')
  })

  it('of the key given or of public-key.txt fails', { timeout: LOOP_TIMEOUT }, async () => {
    const key = Buffer.from(b.logKey.vkey)
    for (let at = 0; at < key.length; at++) {
      const r = await verify({ key: flipped(key, at).toString('latin1') })
      expect(r.ok, `byte ${at}`).toBe(false)
      expect(first(r)).toMatch(/^(key: the key given is not a log verifier key|public-key.txt: the bundle's key)/)
    }
    const file = readFileSync(join(dir, 'public-key.txt'))
    for (let at = 0; at < file.length; at++) {
      const r = await withFile('public-key.txt', flipped(file, at), (copy) => verify({}, copy))
      expect(r.ok, `byte ${at}`).toBe(false)
      expect(first(r)).toMatch(/^public-key.txt: the bundle's key .* is not the key given/)
    }
  })

  it('of witnesses.txt fails', { timeout: LOOP_TIMEOUT }, async () => {
    const file = readFileSync(join(dir, 'witnesses.txt'))
    for (let at = 0; at < file.length; at++) {
      const r = await withFile('witnesses.txt', flipped(file, at), (copy) => verify({}, copy))
      expect(r.ok, `byte ${at}`).toBe(false)
    }
  })

  it('of a leaf fails: every byte of the first leaf, a sample of the rest', { timeout: LOOP_TIMEOUT }, async () => {
    const bytes = readFileSync(join(dir, 'leaves.jsonl'))
    const firstLeaf = bytes.indexOf(10)
    const passed: number[] = []
    for (let at = 0; at < bytes.length; at += at <= firstLeaf ? 1 : 11) {
      const r = await withFile('leaves.jsonl', flipped(bytes, at), (copy) => verify({}, copy))
      if (r.ok) passed.push(at)
    }
    expect(passed).toEqual([])
  })

  it('inside a leaf value names the first checkpoint the leaf belongs to', async () => {
    const bytes = readFileSync(join(dir, 'leaves.jsonl'))
    const at = bytes.indexOf('"component":"test"') + 14
    const r = await withFile('leaves.jsonl', flipped(bytes, at), (copy) => verify({}, copy))
    expect(first(r)).toBe('checkpoint size 3: leaves 0..2 do not hash to its root')
  })
})

describe('a broken bundle', () => {
  it('truncated in the middle of a leaf', async () => {
    const bytes = readFileSync(join(dir, 'leaves.jsonl'))
    const r = await withFile('leaves.jsonl', bytes.subarray(0, bytes.length - 20), (copy) => verify({}, copy))
    expect(first(r)).toMatch(/^leaf 12: the line is not JSON/)
    expect(r.failures.map(problemText)).toContain(
      'leaf 12: the last line of leaves.jsonl has no newline: the file ends in the middle of a leaf (truncated)',
    )
  })

  it('truncated at a line boundary', async () => {
    const bytes = readFileSync(join(dir, 'leaves.jsonl'))
    const cut = bytes.subarray(0, bytes.lastIndexOf(10, bytes.length - 2) + 1)
    const r = await withFile('leaves.jsonl', cut, (copy) => verify({}, copy))
    expect(r.failures.map(problemText)).toEqual([
      'checkpoint size 13: leaves.jsonl ends after 12 leaves (truncated)',
      'leaves.jsonl: it holds 12 leaves, the manifest says 13 (truncated)',
    ])
  })

  it('with leaves beyond the last checkpoint: fails, since no signature vouches for them', async () => {
    const bytes = readFileSync(join(dir, 'leaves.jsonl'))
    const extra = canonicalJson({
      v: 'numguard-leaf/1',
      event_id: 'extra',
      at: '2025-04-01T00:00:00.000Z',
      action: 'clock.advanced',
      actor: { kind: 'system', component: 'test' },
    })
    const r = await withFile('leaves.jsonl', Buffer.concat([bytes, Buffer.from(`${extra}\n`)]), (copy) =>
      verify({}, copy),
    )
    expect(r.failures.map(problemText)).toEqual([
      'leaves.jsonl: leaves 13..13 come after the last signed checkpoint (size 13): no signature vouches for them',
    ])
  })

  it('with a manifest of another format or size', async () => {
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))
    const wrong = await withFile('manifest.json', Buffer.from(JSON.stringify({ ...manifest, format: 'x/2' })), (copy) =>
      verify({}, copy),
    )
    expect(first(wrong)).toBe('manifest.json: format is "x/2", expected "numguard-audit-bundle/1"')
    const size = await withFile('manifest.json', Buffer.from(JSON.stringify({ ...manifest, size: 14 })), (copy) =>
      verify({}, copy),
    )
    expect(first(size)).toBe('manifest.json: size 14, but the last checkpoint that verifies has size 13')
    const outside = await withFile(
      'manifest.json',
      Buffer.from(JSON.stringify({ ...manifest, leaves: '../x' })),
      (copy) => verify({}, copy),
    )
    expect(first(outside)).toBe('manifest.json: leaves must name a file inside the bundle')
  })

  it('that is not there', async () => {
    const r = await verifyBundle('/no/such/bundle', opts())
    expect(r.failures.map(problemText)).toEqual([
      'bundle: /no/such/bundle is not a directory (give the directory `numguard audit export` wrote)',
    ])
  })

  it('with a missing file', async () => {
    const at = lawfulStory().write()
    dirs.push(at)
    rmSync(join(at, 'leaves.jsonl'))
    const r = await verifyBundle(at, opts({ key: join(at, 'public-key.txt') }))
    expect(first(r)).toBe('leaves.jsonl: the file is missing')
  })

  it('with a leaf that is not canonical JSON, or of another version, even when signed', async () => {
    const odd = lawfulStory()
    odd.leaves.push(Buffer.from('{"v":"numguard-leaf/1", "event_id":"spaced"}'))
    odd.leaves.push(Buffer.from(canonicalJson({ v: 'numguard-leaf/2', event_id: 'future' })))
    const at = odd.write()
    dirs.push(at)
    const r = await verifyBundle(at, { key: odd.logKey.vkey, threads: 1 })
    expect(r.failures.map(problemText)).toEqual([
      'leaf 13 (event spaced): the leaf is not canonical JSON (RFC 8785): it was re-serialised or edited',
      'leaf 14 (event future): the leaf\'s "v" is "numguard-leaf/2", not "numguard-leaf/1"',
    ])
  })

  it('with checkpoints out of order, or two roots for one size', async () => {
    const lines = readFileSync(join(dir, 'checkpoints.jsonl'), 'utf8').split('\n')
    const swapped = await withFile(
      'checkpoints.jsonl',
      Buffer.from([lines[1], lines[0], lines[2], ''].join('\n')),
      (copy) => verify({}, copy),
    )
    expect(first(swapped)).toBe('checkpoint size 3: it comes after checkpoint size 8: sizes must ascend')
    const fork = JSON.stringify({ size: 8, note: b.noteAt(8, [...b.leaves.slice(0, 7), Buffer.from('{}')]) })
    const forked = await withFile(
      'checkpoints.jsonl',
      Buffer.from([lines[0], lines[1], fork, lines[2], ''].join('\n')),
      (copy) => verify({}, copy),
    )
    expect(first(forked)).toBe('checkpoint size 8: a second checkpoint of size 8 has another root: the log forked')
  })
})

describe('signatures by keys nobody names (C2SP signed-note: verifiers MUST ignore them)', () => {
  it('a retired witness: its cosignatures no longer listed in witnesses.txt are ignored and counted', async () => {
    const r = await withFile('witnesses.txt', Buffer.from(''), (copy) => verify({}, copy))
    expect(r.failures.map(problemText)).toEqual([])
    expect(r.ok).toBe(true)
    expect(r.witnesses).toEqual([])
    expect(r.unknownSignatures).toEqual([
      { name: 'witness.test', keyId: b.witnessKey.vkey.split('+')[1], checkpoints: 3 },
    ])
    expect(r.checkpoints.map((c) => c.cosignedBy)).toEqual([[], [], []])
  })

  it('a line with the log key’s name but another key id is ignored too; the log’s own signature still decides', async () => {
    const impostor = new BundleBuilder().logKey // named numguard.test/log, another key
    const lines = readFileSync(join(dir, 'checkpoints.jsonl'), 'utf8').split('\n').filter(Boolean)
    const extra = lines.map((l) => {
      const entry = JSON.parse(l)
      const body = entry.note.slice(0, entry.note.indexOf('\n\n') + 1)
      const line = signNote(body, impostor.skey).slice(body.length + 1)
      return JSON.stringify({ ...entry, note: entry.note + line })
    })
    const r = await withFile('checkpoints.jsonl', Buffer.from(`${extra.join('\n')}\n`), (copy) => verify({}, copy))
    expect(r.failures.map(problemText)).toEqual([])
    expect(r.unknownSignatures).toEqual([{ name: ORIGIN, keyId: impostor.vkey.split('+')[1], checkpoints: 3 }])
  })
})

describe('--require-cosignatures N with --witness KEY', () => {
  const other = new BundleBuilder().witnessKey // a witness that cosigned nothing here

  it('passes when the witness given cosigned the last checkpoint', async () => {
    const r = await verify({ witnesses: [b.witnessKey.vkey], requireCosignatures: 1 })
    expect(r.failures.map(problemText)).toEqual([])
    expect(r.cosignaturePolicy).toEqual({ required: 1, size: 13 })
  })

  it('fails when the witness given did not cosign (its key is not the one that cosigned)', async () => {
    const r = await verify({ witnesses: [other.vkey], requireCosignatures: 1 })
    expect(r.ok).toBe(false)
    expect(r.failures.map(problemText)).toEqual([
      'require-cosignatures: no checkpoint has 1 cosignature by the witnesses given',
    ])
    // The bundle's own witnesses.txt never counts towards the policy.
    expect(r.checkpoints.at(-1)?.cosignedBy).toEqual(['witness.test'])
  })

  it('fails when the witness cosigned earlier checkpoints but not the last one', async () => {
    const late = lawfulStory()
    late.cosign = (size) => size < 13
    const at = late.write()
    dirs.push(at)
    const r = await verifyBundle(at, {
      key: late.logKey.vkey,
      threads: 1,
      witnesses: [late.witnessKey.vkey],
      requireCosignatures: 1,
    })
    expect(r.failures.map(problemText)).toEqual([
      'require-cosignatures: the last checkpoint (size 13) has 0 of the 1 cosignatures required from the witnesses given; the largest checkpoint that has them is size 8, so leaves 8..12 are vouched for by the log alone',
    ])
  })

  it('is N of M: a given witness that cosigned nothing is a warning when the others suffice', async () => {
    const r = await verify({ witnesses: [b.witnessKey.vkey, other.vkey], requireCosignatures: 1 })
    expect(r.failures.map(problemText)).toEqual([])
    expect(r.warnings.map(problemText)).toEqual([
      `witness ${other.vkey.split('+')[0]}: given, but it cosigned no checkpoint of this bundle`,
    ])
    const both = await verify({ witnesses: [b.witnessKey.vkey, other.vkey], requireCosignatures: 2 })
    expect(first(both)).toBe('require-cosignatures: no checkpoint has 2 cosignatures by the witnesses given')
  })

  it('refuses a requirement larger than the witnesses given', async () => {
    const r = await verify({ requireCosignatures: 1 })
    expect(first(r)).toBe('require-cosignatures: 1 cosignature required, but no witness key was given (--witness KEY)')
  })
})

describe('witnesses', () => {
  it('fails when a trusted witness cosigned nothing, warns for a listed one', async () => {
    const quiet = lawfulStory()
    quiet.cosign = () => false
    const at = quiet.write()
    dirs.push(at)
    const listed = await verifyBundle(at, { key: quiet.logKey.vkey, threads: 1 })
    expect(listed.ok).toBe(true)
    expect(listed.warnings.map(problemText)).toEqual([
      'witness witness.test: listed in witnesses.txt, but it cosigned no checkpoint',
    ])
    const trusted = await verifyBundle(at, { key: quiet.logKey.vkey, threads: 1, witnesses: [quiet.witnessKey.vkey] })
    expect(first(trusted)).toBe('witness witness.test: it cosigned no checkpoint of this bundle')
  })
})

describe('--since', () => {
  it('detects a rewrite: the checkpoint kept earlier has another root at its size', async () => {
    const forged = [...b.leaves]
    forged[2] = Buffer.from(canonicalJson({ ...JSON.parse(forged[2].toString()), action: 'number.released' }))
    const r = await verify({ since: b.noteAt(5, forged) })
    expect(first(r)).toMatch(
      /^since: the log was rewritten: leaves 0\.\.4 hash to \S+, but the checkpoint kept earlier has root \S+ at size 5$/,
    )
    expect(r.since?.consistent).toBe(false)
  })

  it('detects a truncated log: the checkpoint kept earlier is larger than the bundle', async () => {
    const longer = [...b.leaves, Buffer.from('{}')]
    const r = await verify({ since: b.noteAt(14, longer) })
    expect(first(r)).toBe(
      'since: the log was rewritten: the checkpoint kept earlier has size 14, but this bundle holds 13 leaves (the log was truncated or the bundle is)',
    )
  })

  it('refuses an earlier checkpoint not signed by the log key', async () => {
    const other = new BundleBuilder()
    const r = await verify({ since: other.noteAt(0) })
    expect(first(r)).toMatch(
      /^since: the checkpoint kept earlier does not open: no signature by the log key numguard\.test\/log/,
    )
    const missing = await verify({ since: '/no/such/checkpoint' })
    expect(first(missing)).toBe(
      'since: the checkpoint kept earlier does not open: cannot read /no/such/checkpoint: no such file',
    )
  })
})
