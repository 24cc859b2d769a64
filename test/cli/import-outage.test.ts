// The import commands when the server answers 503 database_unavailable: they say what was committed, that the rest
// was not, and that it can be re-run — never a stack trace. (test/runtime/db-outage.pg.test.ts does the same against
// a real server whose backends are terminated.)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { cliEnv, numguard, type Recording, recordingServer } from './support.ts'

const sim = (i: number) => `89855099${String(i).padStart(11, '0')},45606${String(i).padStart(10, '0')}`
const UNAVAILABLE = {
  status: 503,
  body: {
    code: 'database_unavailable',
    message: 'The database is unavailable; nothing was changed. Try again in a few seconds',
    details: {},
  },
}

let dir: string
let server: Recording
/** Which SIM import (0-based) finds the database away. */
let failing = 0

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'numguard-import-outage-'))
  server = await recordingServer((req) => {
    if (req.method === 'POST' && req.path === '/api/v1/auth/sign-in')
      return { body: { token: 'ngs_fresh', staff: { username: 'inventory', roles: ['inventory_manager'] } } }
    if (req.method === 'POST' && req.path === '/api/v1/auth/sign-out') return { status: 204 }
    if (req.method === 'POST' && req.path === '/api/v1/ranges') return UNAVAILABLE
    if (req.method === 'POST' && req.path === '/api/v1/sims/import') {
      const n = server.seen.filter((s) => s.path === '/api/v1/sims/import').length - 1
      if (n === failing) return UNAVAILABLE
      return { body: { imported: JSON.parse(req.body).csv.split('\n').length, input_sha256: 'x' } }
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
})

const env = () =>
  cliEnv({
    NUMGUARD_URL: server.url,
    NUMGUARD_USERNAME: 'inventory',
    NUMGUARD_PASSWORD: 'demo-inventory',
    XDG_CONFIG_HOME: join(dir, 'config'),
    NUMGUARD_DATA: join(dir, 'data'),
  })

describe('numguard import-sims while the database is away', () => {
  it('names the lines imported and those not, and where to resume', { timeout: 60_000 }, async () => {
    failing = 1
    const path = join(dir, 'sims.csv')
    writeFileSync(path, `${Array.from({ length: 25_000 }, (_, i) => sim(i)).join('\n')}\n`)
    const out = await numguard(['import-sims', path], env())
    expect(out.code, out.stderr).toBe(1)
    expect(out.stderr).toContain(
      'numguard: imported lines 1–10,000 (10,000 SIMs); lines 10,001–20,000 were not imported: the database was ' +
        'unavailable; lines 20,001–25,000 were not sent\n' +
        'Import the rest from line 10,001 on once the database is back.',
    )
    expect(out.stderr).not.toMatch(/^\s+at /m)
  })

  it('says when nothing was imported', { timeout: 60_000 }, async () => {
    failing = 0
    const path = join(dir, 'few.csv')
    writeFileSync(path, `${[sim(1), sim(2)].join('\n')}\n`)
    const out = await numguard(['import-sims', path], env())
    expect(out.code, out.stderr).toBe(1)
    expect(out.stderr).toContain(
      'numguard: nothing was imported: lines 1–2 were not imported: the database was unavailable\n' +
        'Run the same command again once the database is back.',
    )
  })
})

describe('numguard import-range while the database is away', () => {
  it('says nothing of the range was imported and that the command can be run again', { timeout: 60_000 }, async () => {
    const out = await numguard(['import-range', '+85512000000', '+85512000099'], env())
    expect(out.code, out.stderr).toBe(1)
    expect(out.stderr).toContain(
      'numguard: the database was unavailable during the import, so nothing of +85512000000–+85512000099 was ' +
        'imported (the import is one transaction); run the same command again once the database is back',
    )
  })
})
