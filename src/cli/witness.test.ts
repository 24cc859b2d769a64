// `numguard witness keygen` and `numguard witness serve` as a person runs them (the real binary for serve).
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { openCheckpoint } from '../audit/tlog/checkpoint.ts'
import { leafHash } from '../audit/tlog/hash.ts'
import { parseSignerKey, parseVerifierKey } from '../audit/tlog/keys.ts'
import { formatCheckpoint, generateSignerKey, generateWitnessKey, signNote } from '../audit/tlog/note.ts'
import { submitToWitness } from '../audit/witness/client.ts'
import { parseLogOption, witnessCommands } from './witness.ts'

const dir = mkdtempSync(join(tmpdir(), 'numguard-witness-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function run(args: string[]): Promise<string> {
  const program = new Command('numguard').exitOverride()
  witnessCommands(program)
  const out: string[] = []
  const log = vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s))
  const err = vi.spyOn(console, 'error').mockImplementation(() => undefined)
  try {
    await program.parseAsync(['node', 'numguard', ...args])
  } finally {
    log.mockRestore()
    err.mockRestore()
  }
  return out.join('\n')
}

describe('numguard witness keygen', () => {
  it('writes the private key with mode 0600, prints the vkey, never overwrites', async () => {
    const file = join(dir, 'w.key')
    const vkey = await run(['witness', 'keygen', 'regulator.example/w1', '--out', file])
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const skey = readFileSync(file, 'utf8').trim()
    expect(parseSignerKey(skey)).toMatchObject({ name: 'regulator.example/w1', type: 'cosignature' })
    expect(parseVerifierKey(vkey)).toMatchObject({ name: 'regulator.example/w1', type: 'cosignature' })
    await expect(run(['witness', 'keygen', 'again', '--out', file])).rejects.toThrow(
      /already exists; a witness key is never overwritten/,
    )
    expect(readFileSync(file, 'utf8').trim()).toBe(skey)
    await expect(run(['witness', 'keygen', 'bad name', '--out', join(dir, 'x.key')])).rejects.toThrow(/without spaces/)
  })
})

describe('--log [origin=]vkey', () => {
  it('takes the origin from the configuration, or from the key name when none is given', () => {
    const log = generateSignerKey('keyname.example/log')
    expect(parseLogOption(log.vkey)).toEqual({ origin: 'keyname.example/log', vkey: log.vkey })
    expect(parseLogOption(`operator.example/log=${log.vkey}`)).toEqual({
      origin: 'operator.example/log',
      vkey: log.vkey,
    })
    // An origin holding '=' (the key's base64 ends in one too) splits before the key.
    expect(parseLogOption(`https://x.example/?log=1=${log.vkey}`)).toEqual({
      origin: 'https://x.example/?log=1',
      vkey: log.vkey,
    })
    expect(() => parseLogOption(`operator.example/log=${log.vkey.slice(0, -3)}`)).toThrow(/^--log .*: verifier key/)
    expect(() => parseLogOption(`o=${generateWitnessKey('w').vkey}`)).toThrow(/that is a witness key, not a log key/)
  })
})

describe('numguard witness serve', () => {
  it('serves add-checkpoint, persists, and stops cleanly on SIGTERM', async () => {
    const keyFile = join(dir, 'serve.key')
    const witnessVkey = await run(['witness', 'keygen', 'regulator.example/w2', '--out', keyFile])
    const log = generateSignerKey('numguard.example/audit')
    const state = join(dir, 'state.json')
    const child: ChildProcess = spawn(
      process.execPath,
      ['bin/numguard.mjs', 'witness', 'serve', '--port', '0', '--state', state, '--key', keyFile, '--log', log.vkey],
      { cwd: new URL('../../', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stderr = ''
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString()
        const m = /witness listening on (http:\/\/\S+)/.exec(stderr)
        if (m) resolve(m[1])
      })
      child.once('exit', (code) => reject(new Error(`witness exited ${code}: ${stderr}`)))
    })
    const note = signNote(
      formatCheckpoint({ origin: 'numguard.example/audit', size: 1, rootHash: leafHash(Buffer.from('a')) }),
      log.skey,
    )
    const out = await submitToWitness(url, { oldSize: 0, proof: [], note }, { witnessVkey })
    const cosigned = note + (out as { cosignatures: string[] }).cosignatures.join('')
    expect(openCheckpoint(cosigned, log.vkey, { witnesses: [witnessVkey], requireWitnesses: 'all' }).size).toBe(1)
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(JSON.parse(readFileSync(state, 'utf8')).logs['numguard.example/audit'].size).toBe(1)
    // `witness show` prints the held checkpoint with its cosignature
    const shown: string[] = []
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((s) => shown.push(String(s)) > 0)
    try {
      await run(['witness', 'show', '--state', state, '--origin', 'numguard.example/audit'])
    } finally {
      write.mockRestore()
    }
    expect(shown.join('')).toBe(cosigned)
  })

  it('refuses a note key as the witness key, and a run without any --log', async () => {
    const noteKey = join(dir, 'note.key')
    writeFileSync(noteKey, generateSignerKey('x').skey, { mode: 0o600 })
    const state = join(dir, 's2.json')
    await expect(
      run(['witness', 'serve', '--state', state, '--key', noteKey, '--log', generateSignerKey('l').vkey]),
    ).rejects.toThrow(/holds a note signing key, not a witness key/)
    const wkey = join(dir, 'w3.key')
    await run(['witness', 'keygen', 'w3', '--out', wkey])
    await expect(run(['witness', 'serve', '--state', state, '--key', wkey])).rejects.toThrow(/give at least one --log/)
  })
})
