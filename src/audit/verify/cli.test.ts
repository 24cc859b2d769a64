// `numguard audit verify` as a person runs it: the real CLI (a child process) on bundles written by the test builder.
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliEnv, numguard } from '../../../test/cli/support.ts'
import { generateWitnessKey } from '../tlog/keys.ts'
import { lawfulStory } from './test-bundle.ts'

let dir: string
let key: string
let witness: string
const stranger = generateWitnessKey('regulator.example/w').vkey // a witness that cosigned nothing here
beforeAll(() => {
  const b = lawfulStory()
  dir = b.write()
  key = b.logKey.vkey
  witness = b.witnessKey.vkey
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('numguard audit verify', () => {
  it('prints VERIFIED and what it checked, and exits 0', async () => {
    const run = await numguard(['audit', 'verify', dir, '--key', join(dir, 'public-key.txt')], cliEnv())
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(`VERIFIED: audit bundle ${dir}`)
    expect(run.stdout).toContain('3 signed checkpoints; root recomputed at 3 sizes: 3 match')
  })

  it('names the first failure and exits 1; --json prints the report', async () => {
    const path = join(dir, 'leaves.jsonl')
    const original = readFileSync(path)
    const tampered = Buffer.from(original)
    tampered[original.indexOf('"component":"test"') + 14] ^= 1
    writeFileSync(path, tampered)
    try {
      const run = await numguard(['audit', 'verify', dir, '--key', key], cliEnv())
      expect(run.code).toBe(1)
      expect(run.stdout).toContain('FAILED: audit bundle')
      expect(run.stdout).toContain('first failure: checkpoint size 3: leaves 0..2 do not hash to its root')
      const json = await numguard(['audit', 'verify', dir, '--key', key, '--json', '--threads', '2'], cliEnv())
      expect(json.code).toBe(1)
      const report = JSON.parse(json.stdout)
      expect(report).toMatchObject({ ok: false, threads: 2, leaves: 13 })
      expect(report.failures[0]).toEqual({
        where: 'checkpoint size 3',
        size: 3,
        message: 'leaves 0..2 do not hash to its root',
      })
    } finally {
      writeFileSync(path, original)
    }
  })

  it('--require-cosignatures N counts only the --witness keys: exits 1 when the one given did not cosign', async () => {
    const refused = await numguard(
      ['audit', 'verify', dir, '--key', key, '--witness', stranger, '--require-cosignatures', '1'],
      cliEnv(),
    )
    expect(refused.code).toBe(1)
    expect(refused.stdout).toContain(
      'first failure: require-cosignatures: no checkpoint has 1 cosignature by the witnesses given',
    )
  })

  it('--require-cosignatures 1 of two witnesses given passes when one cosigned the last checkpoint', async () => {
    const ok = await numguard(
      [
        'audit',
        'verify',
        dir,
        '--key',
        key,
        '--witness',
        witness,
        '--witness',
        stranger,
        '--require-cosignatures',
        '1',
      ],
      cliEnv(),
    )
    expect(ok.stdout).toContain('1 cosignature required from the witnesses given: up to size 13')
    expect(ok.code).toBe(0)
  })

  it('--require-cosignatures must be at least 1', async () => {
    const zero = await numguard(['audit', 'verify', dir, '--key', key, '--require-cosignatures', '0'], cliEnv())
    expect(zero.code).toBe(1)
    expect(zero.stderr).toContain('It must be a whole number of at least 1.')
  })

  it('ignores and reports the cosignatures of a witness the bundle no longer lists', async () => {
    const path = join(dir, 'witnesses.txt')
    const original = readFileSync(path)
    writeFileSync(path, '')
    try {
      const run = await numguard(['audit', 'verify', dir, '--key', key], cliEnv())
      expect(run.stdout).toContain('VERIFIED')
      expect(run.stdout).toMatch(
        /ignored {6}signature lines by witness\.test \(key id [0-9a-f]{8}\), a key not given nor listed, on 3 checkpoints/,
      )
      expect(run.code).toBe(0)
    } finally {
      writeFileSync(path, original)
    }
  })

  it('refuses to run without --key', async () => {
    const run = await numguard(['audit', 'verify', dir], cliEnv())
    expect(run.code).toBe(1)
    expect(run.stderr).toBe(
      "numguard: required option '--key <vkey|file>' not specified (see numguard audit verify --help)\n",
    )
  })
})
