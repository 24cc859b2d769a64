// `numguard import-sims FILE`: the whole file is checked before anything is sent, with line numbers of the file;
// a chunk the server refuses midway stops the import with what was committed and what was not. A recording
// server plays numguard, so what the CLI sent is known exactly.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { validateSimFile } from '../../src/cli/commands.ts'
import { cliEnv, numguard, type Recording, recordingServer } from './support.ts'

const sim = (i: number) => `89855099${String(i).padStart(11, '0')},45606${String(i).padStart(10, '0')}`
const iccidOf = (i: number) => sim(i).split(',')[0]
const lines = (from: number, n: number) => Array.from({ length: n }, (_, k) => sim(from + k))

let dir: string
let server: Recording
/** What the server answers to the n-th import (0-based); by default it takes every SIM. */
let answer: (n: number, csv: string) => { status: number; body: unknown }

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'numguard-import-sims-'))
  server = await recordingServer((req) => {
    if (req.method === 'POST' && req.path === '/api/v1/auth/sign-in')
      return { body: { token: 'ngs_fresh', staff: { username: 'inventory', roles: ['inventory_manager'] } } }
    if (req.method === 'POST' && req.path === '/api/v1/auth/sign-out') return { status: 204 }
    if (req.method === 'POST' && req.path === '/api/v1/sims/import') {
      const imports = server.seen.filter((s) => s.path === '/api/v1/sims/import').length - 1
      return answer(imports, JSON.parse(req.body).csv)
    }
    return undefined
  })
})
afterAll(async () => {
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})
beforeEach(() => {
  server.seen.length = 0
  answer = (_, csv) => ({ status: 200, body: { imported: csv.split('\n').length, input_sha256: 'x' } })
})

const env = () =>
  cliEnv({
    NUMGUARD_URL: server.url,
    NUMGUARD_USERNAME: 'inventory',
    NUMGUARD_PASSWORD: 'demo-inventory',
    XDG_CONFIG_HOME: join(dir, 'config'),
    NUMGUARD_DATA: join(dir, 'data'),
  })

function file(name: string, content: string[]): string {
  const path = join(dir, name)
  writeFileSync(path, `${content.join('\n')}\n`)
  return path
}

describe('a file with a bad line', () => {
  it('is refused before anything is sent, naming the line by its number in the file', async () => {
    // 10,005 good lines, a bad one at line 10,006, then more good ones: once the first 10,000 were committed.
    const path = file('bad.csv', [...lines(0, 10_005), '8985509912,123', ...lines(20_000, 100)])
    const out = await numguard(['import-sims', path], env())
    expect(out.code, out.stderr).toBe(1)
    expect(out.stderr).toContain(`numguard: ${path}: 1 line is not valid; nothing was imported`)
    expect(out.stderr).toContain('  line 10,006: ICCID must be 18 to 20 digits starting 89')
    expect(out.stderr).not.toMatch(/^\s+at /m)
    expect(server.seen).toEqual([])
  })
})

describe('validateSimFile', () => {
  it('numbers lines as in the file, past a header and blank lines', () => {
    const rows = validateSimFile(['iccid,imsi', sim(1), '', `  ${sim(2)}  `].join('\n'), 'f.csv')
    expect(rows).toEqual([
      { line: 2, csv: sim(1) },
      { line: 4, csv: sim(2) },
    ])
  })

  it('lists every bad line, the first ten shown', () => {
    const text = [sim(1), 'x,y', sim(1), ...Array.from({ length: 12 }, () => 'nope')].join('\n')
    let message = ''
    try {
      validateSimFile(text, 'f.csv')
    } catch (err) {
      message = (err as Error).message
    }
    expect(message.split('\n')).toEqual([
      'f.csv: 14 lines are not valid; nothing was imported',
      '  line 2: ICCID must be 18 to 20 digits starting 89',
      '  line 3: repeats an earlier line',
      ...Array.from({ length: 8 }, (_, k) => `  line ${k + 4}: ICCID must be 18 to 20 digits starting 89`),
      '  … and 4 more',
    ])
  })

  it('checks a file longer than one server import, repeats across it included', () => {
    const text = lines(0, 130_000)
    text[120_000] = sim(5)
    expect(() => validateSimFile(text.join('\n'), 'big.csv')).toThrow('line 120,001: repeats line 6')
    text[120_000] = '89bad'
    expect(() => validateSimFile(text.join('\n'), 'big.csv')).toThrow('line 120,001: ICCID must be')
  })

  it('refuses a file without SIMs', () => {
    expect(() => validateSimFile('iccid,imsi\n\n', 'empty.csv')).toThrow('empty.csv holds no SIMs')
  })
})

describe('a chunk refused midway', () => {
  it('says which lines were imported, which refused (five of the SIMs in stock, with a count) and which not sent', async () => {
    const inStock = Array.from({ length: 7 }, (_, k) => 10_000 + k)
    answer = (n, csv) =>
      n === 1
        ? {
            status: 409,
            body: {
              code: 'sims_already_imported',
              message: 'Some SIMs of this file are already in stock',
              details: { existing: inStock.map((i) => ({ iccid: iccidOf(i), imsi: sim(i).split(',')[1] })) },
            },
          }
        : { status: 200, body: { imported: csv.split('\n').length, input_sha256: 'x' } }
    const path = file('mid.csv', lines(0, 25_000))
    const out = await numguard(['import-sims', path], env())
    expect(out.code, out.stderr).toBe(1)
    expect(out.stderr).toContain(
      'numguard: imported lines 1–10,000 (10,000 SIMs); lines 10,001–20,000 were refused: ' +
        'Some SIMs of this file are already in stock [sims_already_imported]; ' +
        `already in stock: 7 SIMs, among them ${inStock.slice(0, 5).map(iccidOf).join(', ')}; ` +
        'lines 20,001–25,000 were not sent',
    )
    expect(out.stderr).not.toContain(iccidOf(inStock[5]))
    expect(out.stderr).toContain('Import the rest from line 10,001 on')
    expect(out.stderr).not.toMatch(/^\s+at /m)
    // Two imports were sent, the third never; the session the CLI opened was closed all the same.
    expect(server.seen.map((s) => s.path)).toEqual([
      '/api/v1/auth/sign-in',
      '/api/v1/sims/import',
      '/api/v1/sims/import',
      '/api/v1/auth/sign-out',
    ])
    const sent = server.seen.filter((s) => s.path === '/api/v1/sims/import').map((s) => JSON.parse(s.body).csv)
    expect(sent[0].split('\n')).toEqual(lines(0, 10_000))
    expect(sent[1].split('\n')).toEqual(lines(10_000, 10_000))
  })

  it('says nothing was imported when the first chunk is refused', async () => {
    answer = () => ({
      status: 409,
      body: {
        code: 'sims_already_imported',
        message: 'Some SIMs of this file are already in stock',
        details: { existing: [{ iccid: iccidOf(3), imsi: 'x' }] },
      },
    })
    const path = file('first.csv', lines(0, 10))
    const out = await numguard(['import-sims', path], env())
    expect(out.code).toBe(1)
    expect(out.stderr).toContain(
      `numguard: nothing was imported: lines 1–10 were refused: Some SIMs of this file are already in stock [sims_already_imported]; already in stock: 1 SIM: ${iccidOf(3)}`,
    )
  })

  it('imports a good file in chunks of 10,000 and says how it went', async () => {
    const path = file('good.csv', ['iccid,imsi', ...lines(0, 12_345)])
    const out = await numguard(['import-sims', path], env())
    expect(out.code, out.stderr).toBe(0)
    expect(out.stdout).toContain(`imported 12,345 SIMs from ${path} (lines 2–12,346, 2 audited imports)`)
    expect(out.stderr).toContain('numguard: acting as inventory (inventory_manager)')
  })
})
