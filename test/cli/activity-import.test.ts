// `numguard activity import FILE` end to end: the real CLI (a child process) against a real server on a test
// database, as a machine client; refused lines come back with their line numbers in the file.
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashPassword } from '../../src/access/secrets.ts'
import { csvHeader, detectFormat, parseLine, splitCsvLine } from '../../src/cli/activity-file.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { makeActiveNumber } from '../helpers/factories.ts'
import { cliEnv, numguard } from './support.ts'

let t: TestApp
let dir: string
let url: string
let held: string[]
const SECRET = 'charging-secret-for-cli-test'
const HOUR = 3_600_000

beforeAll(async () => {
  t = await openTestApp()
  dir = mkdtempSync(join(tmpdir(), 'numguard-activity-import-'))
  held = []
  for (let i = 0; i < 3; i++) held.push((await makeActiveNumber(t.app)).msisdn)
  t.clock.advance(24 * HOUR)
  await t.app.db
    .insertInto('machine_clients')
    .values({
      id: 'charging-cli',
      name: 'charging',
      secret_hash: await hashPassword(SECRET),
      scopes: ['activity:ingest'],
      created_at: t.clock.now(),
    })
    .execute()
  url = await t.server.listen({ port: 0, host: '127.0.0.1' })
})
afterAll(async () => {
  await t.close()
  rmSync(dir, { recursive: true, force: true })
})

const env = (extra: Record<string, string> = {}) =>
  cliEnv({
    NUMGUARD_URL: url,
    NUMGUARD_CLIENT_ID: 'charging-cli',
    NUMGUARD_CLIENT_SECRET: SECRET,
    XDG_CONFIG_HOME: join(dir, 'config'),
    NUMGUARD_DATA: join(dir, 'data'),
    ...extra,
  })

function file(name: string, lines: string[]): string {
  const path = join(dir, name)
  writeFileSync(path, `${lines.join('\n')}\n`)
  return path
}

const at = (hoursAgo: number) => new Date(t.clock.now().getTime() - hoursAgo * HOUR).toISOString()

async function batchesOf(sha: string) {
  const audits = await t.app.db
    .selectFrom('audit_records')
    .select('envelope')
    .where('action', '=', 'activity.ingested')
    .execute()
  return audits
    .map(
      (a) =>
        a.envelope as {
          data: { claimed_input?: { file_sha256: string; first_line: number }; counts: { accepted: number } }
        },
    )
    .filter((e) => e.data.claimed_input?.file_sha256 === sha)
}

describe('numguard activity import', () => {
  it('sends an NDJSON file in audited chunks and names each refused line by its number', async () => {
    const [a, b] = held
    const path = file('events.ndjson', [
      JSON.stringify({ msisdn: a, kind: 'topup', amount: '1.00', occurred_at: at(2), external_id: 'n-1' }),
      '',
      JSON.stringify({ msisdn: b, kind: 'usage', occurred_at: at(2), external_id: 'n-2' }),
      '{"msisdn": broken',
      JSON.stringify({ msisdn: '+85599999999', kind: 'usage', occurred_at: at(1), external_id: 'n-3' }),
      JSON.stringify({ msisdn: a, kind: 'payment', amount: '2', occurred_at: at(-5), external_id: 'n-4' }),
      JSON.stringify({ msisdn: b, kind: 'topup', amount: '3', occurred_at: at(1), external_id: 'n-5' }),
    ])
    const out = await numguard(['activity', 'import', path, '--source', 'ocs', '--chunk', '2'], env())
    expect(out.code, out.stderr).toBe(1)
    const sha = createHash('sha256').update(readFileSync(path)).digest('hex')
    expect(out.stdout).toContain(
      `ingested ${path} (SHA-256 ${sha}): 6 events in 3 audited batches — accepted 3, already recorded 0, refused 3`,
    )
    expect(out.stderr).toContain('numguard: acting as machine client charging-cli')
    expect(out.stderr).toContain('line 4: [invalid] this line is not valid JSON')
    expect(out.stderr).toMatch(/line 5: \[unknown_number\] \+85599999999/)
    expect(out.stderr).toMatch(/line 6: \[in_future\]/)
    const batches = await batchesOf(sha)
    expect(batches.map((b) => b.data.claimed_input?.first_line).sort()).toEqual([1, 5, 7])

    // Again: nothing new is stored, every sent event is a duplicate; the same lines are refused.
    const again = await numguard(['activity', 'import', path, '--source', 'ocs', '--chunk', '2'], env())
    expect(again.stdout).toContain('accepted 0, already recorded 3, refused 3')
  })

  it('reads CSV with a header, writes refused lines to --report', async () => {
    const [, , c] = held
    const path = file('events.csv', [
      'external_id,msisdn,kind,amount,occurred_at,source',
      `c-1,${c},topup,5.00,${at(3)},billing`,
      `c-2,0${c.slice(4)},usage,,${at(2)},billing`,
      `c-3,${c},topup,,${at(2)},billing`,
      `c-4,${c},topup,1,${at(2)}`,
      `"c-5","${c}","payment","1.5","${at(1)}","billing"`,
    ])
    const report = join(dir, 'report.csv')
    const out = await numguard(['activity', 'import', path, '--report', report], env())
    expect(out.code, out.stderr).toBe(1)
    expect(out.stdout).toContain('accepted 3, already recorded 0, refused 2')
    expect(out.stderr).toContain(`numguard: 2 refused lines written to ${report}`)
    const lines = readFileSync(report, 'utf8').trim().split('\n')
    expect(lines[0]).toBe('line,external_id,code,message')
    expect(lines[1]).toMatch(/^4,c-3,invalid,amount is required for a topup$/)
    expect(lines[2]).toMatch(/^5,,invalid,this line has 5 fields; the header names 6$/)
    const stored = await t.app.db
      .selectFrom('activity_events')
      .select(['external_id', 'msisdn'])
      .where('source', '=', 'billing')
      .orderBy('external_id')
      .execute()
    expect(stored).toEqual([
      { external_id: 'c-1', msisdn: c },
      { external_id: 'c-2', msisdn: c },
      { external_id: 'c-5', msisdn: c },
    ])
  })

  it('refuses without machine credentials, and with a bad header before sending anything', async () => {
    const path = file('x.csv', ['msisdn,kind,when', '1,2,3'])
    const none = await numguard(
      ['activity', 'import', path],
      env({ NUMGUARD_CLIENT_ID: '', NUMGUARD_CLIENT_SECRET: '' }),
    )
    expect(none.code).toBe(1)
    expect(none.stderr).toContain('activity import acts as the charging system')
    const wrong = await numguard(['activity', 'import', path], env({ NUMGUARD_CLIENT_SECRET: 'nope' }))
    expect(wrong.stderr).toContain('machine client charging-cli could not obtain a token')
    const bad = await numguard(['activity', 'import', path], env())
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('line 1: the header names unknown columns (when)')
    expect(bad.stderr).toContain('nothing was sent')
  })
})

describe('activity file parsing', () => {
  it('splits quoted CSV and detects the format', () => {
    expect(splitCsvLine('a,"b,c","d ""e""",')).toEqual(['a', 'b,c', 'd "e"', ''])
    expect(() => splitCsvLine('"open')).toThrow('not closed')
    expect(detectFormat('x.csv', '{')).toBe('csv')
    expect(detectFormat('x.jsonl', 'a')).toBe('ndjson')
    expect(detectFormat('x.txt', ' {"a":1}')).toBe('ndjson')
    expect(() => csvHeader('msisdn,kind,occurred_at')).toThrow('lacks external_id')
    expect(() => csvHeader('msisdn,kind,occurred_at,external_id,kind')).toThrow('kind twice')
    const header = csvHeader('\uFEFFMSISDN,Kind,occurred_at,external_id')
    expect(parseLine('+85512,topup,2026-01-01T00:00:00Z,e1', 'csv', header)).toEqual({
      msisdn: '+85512',
      kind: 'topup',
      occurred_at: '2026-01-01T00:00:00Z',
      external_id: 'e1',
    })
    expect(() => parseLine('[1]', 'ndjson', undefined)).toThrow('not a JSON object')
  })
})
