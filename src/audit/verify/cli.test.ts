// `numguard audit verify` as a person runs it: the real CLI (a child process) on bundles written by the test builder.
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliEnv, numguard } from '../../../test/cli/support.ts'
import { lawfulStory } from './test-bundle.ts'

let dir: string
let key: string
beforeAll(() => {
  const b = lawfulStory()
  dir = b.write()
  key = b.logKey.vkey
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

  it('refuses to run without --key', async () => {
    const run = await numguard(['audit', 'verify', dir], cliEnv())
    expect(run.code).toBe(1)
    expect(run.stderr).toBe(
      "numguard: required option '--key <vkey|file>' not specified (see numguard audit verify --help)\n",
    )
  })
})
