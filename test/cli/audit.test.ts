// `numguard audit …` as an auditor runs it against a running server: the checkpoint and proofs checked on the
// auditor's machine with the public key, a timeline, and an export that the offline verifier accepts.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAuditLogPass, signerFor } from '../../src/audit/log-service.ts'
import { parseSignerKey } from '../../src/audit/tlog/keys.ts'
import { verifyBundle } from '../../src/audit/verify/index.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { createStaffAccount, makeActiveNumber } from '../helpers/factories.ts'
import { cliEnv, numguard } from './support.ts'

const PASSWORD = 'auditor-password-1'
let t: TestApp
let dir: string
let env: NodeJS.ProcessEnv
let msisdn: string

beforeAll(async () => {
  t = await openTestApp()
  const url = await t.server.listen({ host: '127.0.0.1', port: 0 })
  dir = mkdtempSync(join(tmpdir(), 'numguard-cli-audit-'))
  const auditor = await createStaffAccount(t.app, ['auditor'], null, PASSWORD)
  msisdn = (await makeActiveNumber(t.app)).msisdn
  await runAuditLogPass(t.app)
  env = cliEnv({
    NUMGUARD_URL: url,
    XDG_CONFIG_HOME: join(dir, 'config'),
    NUMGUARD_DATA: join(dir, 'data'),
    NUMGUARD_USERNAME: auditor.username,
    NUMGUARD_PASSWORD: PASSWORD,
  })
})
afterAll(async () => {
  await t?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('numguard audit', () => {
  it('checkpoint: verifies the signed checkpoint with the public key; --note prints the note to keep', async () => {
    const run = await numguard(['audit', 'checkpoint'], env)
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^numguard\.demo\/log: \d+ leaves, root /)
    expect(run.stdout).toContain('signed by numguard.demo/log')
    const note = await numguard(['audit', 'checkpoint', '--note'], env)
    expect(note.stdout).toMatch(/^numguard\.demo\/log\n\d+\n[A-Za-z0-9+/=]{44}\n\n— numguard\.demo\/log /)
  })

  it('prove: checks an inclusion and a consistency proof locally', async () => {
    const leaf = await numguard(['audit', 'prove', '2'], env)
    expect(leaf.code, leaf.stderr).toBe(0)
    expect(leaf.stdout).toMatch(/^leaf 2 \(event [0-9a-f-]{36}\) is in the signed checkpoint of size \d+ ✓/)
    const grew = await numguard(['audit', 'prove', '--from', '3', '--json'], env)
    expect(grew.code, grew.stderr).toBe(0)
    expect(JSON.parse(grew.stdout)).toMatchObject({ from: 3, verified: true })
  })

  it('timeline: lists a number’s leaves with their proof status', async () => {
    const run = await numguard(['audit', 'timeline', '--number', msisdn], env)
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/✓ +\d+ +\S+ +number\.sold/)
  })

  it('export: writes a bundle the offline verifier accepts, and never into a non-empty directory', async () => {
    const out = join(dir, 'bundle')
    const run = await numguard(['audit', 'export', out], env)
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain('matches the signed checkpoint')
    expect(readdirSync(out).sort()).toEqual([
      'checkpoints.jsonl',
      'leaves.jsonl',
      'manifest.json',
      'public-key.txt',
      'witnesses.txt',
    ])
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'))
    expect(manifest).toMatchObject({ format: 'numguard-audit-bundle/1', origin: 'numguard.demo/log' })
    expect(readFileSync(join(out, 'leaves.jsonl'), 'utf8').split('\n')).toHaveLength(manifest.size + 1)
    const report = await verifyBundle(out, { key: join(out, 'public-key.txt'), threads: 1 })
    expect(report.failures).toEqual([])
    expect(report).toMatchObject({ ok: true, leaves: manifest.size })
    expect(readFileSync(join(out, 'public-key.txt'), 'utf8').trim()).toBe(signerFor(t.app).vkey)

    const again = await numguard(['audit', 'export', out], env)
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('is not empty')
  })

  it('keygen: writes a private key file of mode 0600 and prints the key to publish', async () => {
    const file = join(dir, 'log-key.txt')
    const run = await numguard(['audit', 'keygen', 'operator.example/log', '--out', file], env)
    expect(run.code, run.stderr).toBe(0)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const skey = readFileSync(file, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('PRIVATE+KEY+')) as string
    expect(parseSignerKey(skey).name).toBe('operator.example/log')
    expect(run.stdout).toMatch(/operator\.example\/log\+[0-9a-f]{8}\+/)
    const twice = await numguard(['audit', 'keygen', 'operator.example/log', '--out', file], env)
    expect(twice.code).toBe(1)
    expect(twice.stderr).toContain('never overwritten')
  })
})
