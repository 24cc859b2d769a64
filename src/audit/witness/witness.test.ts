// The witness over real HTTP: it cosigns a growing log and refuses forks, truncation, bad proofs, unknown logs and
// bad signatures; its state survives a restart. Time is the injected clock.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openCheckpoint } from '../tlog/checkpoint.ts'
import { leafHash } from '../tlog/hash.ts'
import { MemoryTree } from '../tlog/memory-tree.ts'
import { consistencyProof } from '../tlog/merkle.ts'
import { formatCheckpoint, generateSignerKey, generateWitnessKey, signNote } from '../tlog/note.ts'
import { submitToWitness, WitnessError } from './client.ts'
import { formatAddCheckpoint } from './protocol.ts'
import { startWitnessServer, type WitnessServer } from './server.ts'

const ORIGIN = 'numguard.example/audit'
const logKey = generateSignerKey(ORIGIN)
const witnessKey = generateWitnessKey('regulator.example/witness')
const dir = mkdtempSync(join(tmpdir(), 'numguard-witness-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A log: a stored tree plus its signed checkpoints. */
async function makeLog(leaves: string[], key = logKey) {
  const tree = new MemoryTree()
  const checkpoints = new Map<number, string>()
  const grow = async (items: string[]) => {
    await tree.append(items.map((l) => leafHash(Buffer.from(l))))
    const note = signNote(
      formatCheckpoint({ origin: key.vkey.split('+')[0], size: tree.size, rootHash: tree.root }),
      key.skey,
    )
    checkpoints.set(tree.size, note)
    return note
  }
  await grow(leaves)
  return { tree, checkpoints, grow, proof: (from: number, to: number) => consistencyProof(from, to, tree.read) }
}
const leaves = (from: number, to: number, tag = 'leaf') =>
  Array.from({ length: to - from }, (_, i) => `${tag} ${from + i}`)

let stateFile: string
let clock: number
let logged: { level: string; msg: string; fields?: Record<string, unknown> }[]
let witness: WitnessServer

async function start(extraLogs: { origin: string; vkey: string }[] = []) {
  witness = await startWitnessServer({
    port: 0,
    stateFile,
    witnessSkey: witnessKey.skey,
    logs: [{ origin: ORIGIN, vkey: logKey.vkey }, ...extraLogs],
    now: () => clock,
    log: (level, msg, fields) => logged.push({ level, msg, fields }),
  })
  return witness
}

let n = 0
beforeEach(async () => {
  stateFile = join(dir, `state-${++n}.json`)
  clock = 1_750_000_000
  logged = []
  await start()
})
afterEach(async () => {
  await witness.close()
})

const submit = (oldSize: number, proof: Buffer[], note: string) =>
  submitToWitness(witness.url, { oldSize, proof, note }, { witnessVkey: witnessKey.vkey })

async function refusal(p: Promise<unknown>): Promise<WitnessError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(WitnessError)
  return err as WitnessError
}

async function post(body: string | Buffer, method = 'POST') {
  const res = await fetch(`${witness.url}/add-checkpoint`, {
    method,
    body: method === 'POST' ? new Uint8Array(Buffer.from(body)) : undefined,
  })
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() }
}

describe('witness add-checkpoint', () => {
  it('cosigns a growing log, each cosignature verifying with the witness key and the injected time', async () => {
    const log = await makeLog(leaves(0, 5))
    const first = await submit(0, [], log.checkpoints.get(5) as string)
    expect('cosignatures' in first && first.cosignatures).toHaveLength(1)
    const cosigned5 = (log.checkpoints.get(5) as string) + (first as { cosignatures: string[] }).cosignatures.join('')
    const opened = openCheckpoint(cosigned5, logKey.vkey, { witnesses: [witnessKey.vkey], requireWitnesses: 'all' })
    expect(opened.cosignatures[0].timestamp).toBe(1_750_000_000)

    for (const [from, to] of [
      [5, 6],
      [6, 17],
      [17, 64],
      [64, 1000],
    ]) {
      clock += 60
      const note = await log.grow(leaves(from, to))
      const out = await submit(from, await log.proof(from, to), note)
      expect(out, `${from} → ${to}`).toHaveProperty('cosignatures')
      const cs = openCheckpoint(note + (out as { cosignatures: string[] }).cosignatures.join(''), logKey.vkey, {
        witnesses: [witnessKey.vkey],
        requireWitnesses: 'all',
      })
      expect(cs.cosignatures[0].timestamp).toBe(clock)
    }
    // the same checkpoint again is cosigned again (same size, same root, empty proof)
    expect(await submit(1000, [], log.checkpoints.get(1000) as string)).toHaveProperty('cosignatures')
    // monitors (and `audit verify --since`) fetch the latest cosigned checkpoint
    const latest = await fetch(`${witness.url}/checkpoint?origin=${encodeURIComponent(ORIGIN)}`)
    const held = openCheckpoint(await latest.text(), logKey.vkey, { witnesses: [witnessKey.vkey], requireWitnesses: 1 })
    expect(held.size).toBe(1000)
    expect((await fetch(`${witness.url}/checkpoint?origin=nope`)).status).toBe(404)
  })

  it('answers 409 with text/x.tlog.size when the old size is not the one it holds', async () => {
    const log = await makeLog(leaves(0, 10))
    await submit(0, [], log.checkpoints.get(10) as string)
    const note = await log.grow(leaves(10, 20))
    expect(await submit(4, await log.proof(4, 20), note)).toEqual({ conflict: 10 })
    expect(await submit(0, [], note)).toEqual({ conflict: 10 })
    const raw = await post(formatAddCheckpoint(4, await log.proof(4, 20), note))
    expect(raw).toEqual({ status: 409, type: 'text/x.tlog.size', text: '10\n' })
  })

  it('refuses a forked log (same size, another root) loudly and keeps the evidence', async () => {
    const log = await makeLog(leaves(0, 12))
    await submit(0, [], log.checkpoints.get(12) as string)
    const fork = await makeLog([...leaves(0, 11), 'rewritten leaf 11'])
    const err = await refusal(submit(12, [], fork.checkpoints.get(12) as string))
    expect([err.status, err.code]).toEqual([409, 'witness_fork'])
    expect(err.message).toMatch(/fork: size 12 has root .* but this witness cosigned root/)
    expect(logged.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual(['WITNESS ALERT: FORKED LOG'])
    const state = JSON.parse(readFileSync(stateFile, 'utf8'))
    expect(state.evidence).toHaveLength(1)
    expect(state.evidence[0]).toMatchObject({ kind: 'fork', origin: ORIGIN, held: { size: 12 } })
    expect(state.evidence[0].request).toContain(fork.checkpoints.get(12))
    expect(state.logs[ORIGIN].size).toBe(12) // unchanged
  })

  it('refuses a log that rewrote history and grew (the proof cannot verify): 422, evidence kept', async () => {
    const log = await makeLog(leaves(0, 12))
    await submit(0, [], log.checkpoints.get(12) as string)
    const rewritten = await makeLog([...leaves(0, 7), 'rewritten 7', ...leaves(8, 30)])
    const err = await refusal(submit(12, await rewritten.proof(12, 30), rewritten.checkpoints.get(30) as string))
    expect([err.status, err.code]).toEqual([422, 'witness_inconsistent'])
    expect(err.message).toMatch(/consistency proof does not verify: consistency: old tree of size 12/)
    expect(logged.some((l) => l.msg === 'WITNESS ALERT: INCONSISTENT LOG')).toBe(true)
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).evidence[0].kind).toBe('inconsistent')
  })

  it('refuses truncation: a smaller checkpoint never replaces the one it holds', async () => {
    const log = await makeLog(leaves(0, 8))
    await submit(0, [], log.checkpoints.get(8) as string)
    const grown = await log.grow(leaves(8, 20))
    await submit(8, await log.proof(8, 20), grown)
    const small = log.checkpoints.get(8) as string
    const err = await refusal(submit(20, [], small))
    expect([err.status, err.message]).toEqual([
      400,
      expect.stringMatching(/old size 20 is larger than the checkpoint size 8/),
    ])
    expect(await submit(8, [], small)).toEqual({ conflict: 20 })
    expect(logged.some((l) => l.level === 'warn' && /truncation/.test(l.msg))).toBe(true)
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).logs[ORIGIN].size).toBe(20)
  })

  it('refuses bad proofs: a flipped byte, a missing hash, garbage lines', async () => {
    const log = await makeLog(leaves(0, 13))
    await submit(0, [], log.checkpoints.get(13) as string)
    const note = await log.grow(leaves(13, 40))
    const proof = await log.proof(13, 40)
    for (let i = 0; i < proof.length; i++) {
      const bad = proof.map((h) => Buffer.from(h))
      bad[i][i % 32] ^= 0x10
      const err = await refusal(submit(13, bad, note))
      expect([err.status, err.message]).toEqual([
        422,
        expect.stringMatching(/the proof computes .* but the expected root/),
      ])
    }
    const short = await refusal(submit(13, proof.slice(1), note))
    expect(short.message).toMatch(/has \d+ hashes, expected \d+/)
    expect((await post(`old 13\nnot-base64\n\n${note}`)).status).toBe(400)
    expect((await post(`old 0\n${proof[0].toString('base64')}\n\n${note}`)).text).toMatch(/conflict|13/)
    const held = JSON.parse(readFileSync(stateFile, 'utf8')).logs[ORIGIN]
    expect(held.size).toBe(13)
    expect(await submit(13, proof, note)).toHaveProperty('cosignatures') // the good proof still works
  })

  it('takes the origin from its configuration: a checkpoint of the key name’s origin is another log (404)', async () => {
    const key = generateSignerKey('keyname.example/log') // a key whose name is not the log's origin
    await witness.close()
    await start([{ origin: 'configured.example/log', vkey: key.vkey }])
    const root = leafHash(Buffer.from('a'))
    const byKeyName = signNote(formatCheckpoint({ origin: 'keyname.example/log', size: 1, rootHash: root }), key.skey)
    const refused = await refusal(submit(0, [], byKeyName))
    expect([refused.status, refused.code]).toEqual([404, 'witness_unknown_log'])
    expect(refused.message).toMatch(/unknown log origin "keyname\.example\/log"/)
    const configured = signNote(
      formatCheckpoint({ origin: 'configured.example/log', size: 1, rootHash: root }),
      key.skey,
    )
    const out = (await submit(0, [], configured)) as { cosignatures: string[] }
    const cosigned = configured + out.cosignatures.join('')
    expect(openCheckpoint(cosigned, key.vkey, { witnesses: [witnessKey.vkey], requireWitnesses: 'all' }).origin).toBe(
      'configured.example/log',
    )
  })

  it('refuses unknown logs (404) and checkpoints not validly signed by the log (403)', async () => {
    const stranger = generateSignerKey('stranger.example/log')
    const other = await makeLog(leaves(0, 3), stranger)
    const unknown = await refusal(submit(0, [], other.checkpoints.get(3) as string))
    expect([unknown.status, unknown.code]).toEqual([404, 'witness_unknown_log'])

    const impostor = generateSignerKey(ORIGIN) // same name, another key: its signature is ignored, none verifies
    const forged = await makeLog(leaves(0, 3), impostor)
    const e1 = await refusal(submit(0, [], forged.checkpoints.get(3) as string))
    expect([e1.status, e1.code]).toEqual([403, 'witness_bad_signature'])
    expect(e1.message).toMatch(/no signature by a known key/)

    const log = await makeLog(leaves(0, 3))
    const tampered = (log.checkpoints.get(3) as string).replace('\n3\n', '\n4\n')
    const e2 = await refusal(submit(0, [], tampered))
    expect(e2.status).toBe(403)
    expect(e2.message).toMatch(/signature by numguard.example\/audit .* does not verify/)
    expect(existsSync(stateFile)).toBe(false) // nothing accepted, nothing written
  })

  it('refuses malformed requests with 400 and the reason, and other methods/paths', async () => {
    const log = await makeLog(leaves(0, 3))
    const note = log.checkpoints.get(3) as string
    const cases: [string, RegExp][] = [
      [`old 01\n\n${note}`, /"old <size>"/],
      [`new 0\n\n${note}`, /"old <size>"/],
      [`old 0\n\n${note.replace('\n3\n', '\n03\n')}`, /checkpoint is malformed: .*leading zeros/],
      [`old 0\n\n${note.slice(0, -1)}`, /checkpoint is malformed: note does not end in a newline/],
      [`old 0\n${'AAAA\n'}\n${note}`, /proof line 1 is not base64 of a 32-byte hash/],
      [`old 5\n\n${note}`, /old size 5 is larger than the checkpoint size 3/],
      [`old 0\n${`${Buffer.alloc(32).toString('base64')}\n`.repeat(64)}\n${note}`, /more than 63/],
      [`old 0\n${Buffer.alloc(32).toString('base64')}\n\n${note}`, /proof must be empty when the old size is 0/],
      ['old 0', /does not end in a newline/],
    ]
    for (const [body, why] of cases) {
      const res = await post(body)
      expect([res.status, res.text], body.slice(0, 20)).toEqual([400, expect.stringMatching(why)])
    }
    expect((await post('', 'GET')).status).toBe(405)
    expect((await post(Buffer.alloc(1_100_000, 0x61))).status).toBe(413)
    expect((await fetch(`${witness.url}/nope`)).status).toBe(404)
  })

  it('serialises concurrent submissions: of two growths from the same size, exactly one is cosigned', async () => {
    const log = await makeLog(leaves(0, 10))
    await submit(0, [], log.checkpoints.get(10) as string)
    const a = await makeLog(leaves(0, 20))
    const b = await makeLog(leaves(0, 30))
    const results = await Promise.all([
      submit(10, await a.proof(10, 20), a.checkpoints.get(20) as string),
      submit(10, await b.proof(10, 30), b.checkpoints.get(30) as string),
    ])
    expect(results.filter((r) => 'cosignatures' in r)).toHaveLength(1)
    expect(results.filter((r) => 'conflict' in r)).toHaveLength(1)
  })
})

describe('witness state', () => {
  it('survives a restart: the held size and root still decide, and the file is private', async () => {
    const log = await makeLog(leaves(0, 9))
    await submit(0, [], log.checkpoints.get(9) as string)
    await witness.close()
    expect(statSync(stateFile).mode & 0o777).toBe(0o600)
    await start()
    expect(await submit(0, [], await log.grow(leaves(9, 15)))).toEqual({ conflict: 9 })
    const fork = await makeLog([...leaves(0, 8), 'other 8'])
    expect((await refusal(submit(9, [], fork.checkpoints.get(9) as string))).status).toBe(409)
    expect(await submit(9, await log.proof(9, 15), log.checkpoints.get(15) as string)).toHaveProperty('cosignatures')
  })

  it('one witness per state file, and a damaged state file refuses the start instead of forgetting', async () => {
    await expect(start()).rejects.toThrow(/is in use by process \d+/)
    const damaged = join(dir, 'damaged.json')
    writeFileSync(damaged, '{"format":"something else"}')
    const first = witness
    stateFile = damaged
    await expect(start()).rejects.toThrow(/not in the numguard-witness-state\/1 format/)
    writeFileSync(damaged, 'not json')
    await expect(start()).rejects.toThrow(/is not JSON; restore it from a backup/)
    witness = first
  })
})
