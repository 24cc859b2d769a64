// What a person sees when a command cannot do its work: one `numguard: …` line and exit status 1, never a stack
// trace — that is kept for bugs, and says so. The real CLI is spawned as users run it.
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiError, CliError, describeFailure } from '../../src/cli/errors.ts'
import { askHidden } from '../../src/cli/prompt.ts'
import { cliEnv, closedPort, errorLines, numguard } from './support.ts'

let dir: string
const env = (extra: Record<string, string> = {}) =>
  cliEnv({ NUMGUARD_DATA: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config'), ...extra })

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'numguard-cli-errors-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Exit status 1 and exactly one line on stderr, with no stack trace. */
function expectOneLine(out: { code: number | null; stderr: string }): string {
  expect(out.code, out.stderr).toBe(1)
  const lines = errorLines(out.stderr)
  expect(lines, out.stderr).toHaveLength(1)
  expect(out.stderr).not.toMatch(/^\s+at /m)
  expect(lines[0]).toMatch(/^numguard: /)
  return lines[0]
}

describe('numguard login without a terminal', () => {
  it('asks for --password or NUMGUARD_PASSWORD in one line, without touching a server', async () => {
    const out = await numguard(['login', '-u', 'inventory'], env())
    expect(expectOneLine(out)).toBe(
      'numguard: no password: give --password or set NUMGUARD_PASSWORD (there is no terminal to ask on)',
    )
  })
})

describe('expected failures are one line', () => {
  it('a SIM file that does not exist', async () => {
    const missing = join(dir, 'missing.csv')
    expect(expectOneLine(await numguard(['import-sims', missing], env()))).toBe(
      `numguard: cannot read ${missing}: no such file`,
    )
  })

  it('a count that is not a positive whole number', async () => {
    const line = expectOneLine(await numguard(['allocate-sims', 'kampot', '0'], env()))
    expect(line).toContain("'0' is invalid for argument 'count'")
    expect(line).toContain('whole number of 1 or more')
  })

  it('a server that cannot be reached', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`
    expect(expectOneLine(await numguard(['--url', url, 'clock', 'show'], env()))).toBe(
      `numguard: cannot reach numguard at ${url}: connection refused`,
    )
    // The same with a token, whose holder the CLI asks the server for first.
    expect(
      expectOneLine(await numguard(['lookup', '012000015'], env({ NUMGUARD_URL: url, NUMGUARD_TOKEN: 'ngs_x' }))),
    ).toBe(`numguard: cannot reach numguard at ${url}: connection refused`)
  })

  it('a --url that is not a URL', async () => {
    expect(expectOneLine(await numguard(['--url', 'numguard.example', 'clock', 'show'], env()))).toContain(
      'numguard.example is not the URL of a numguard server',
    )
  })

  it('serve --port that is not a port', async () => {
    expect(expectOneLine(await numguard(['serve', '--port', 'abc'], env()))).toContain(
      "argument 'abc' is invalid. It must be a TCP port",
    )
  })

  it('serve on a port in use says so before opening anything', async () => {
    const taken: Server = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const { port } = taken.address() as { port: number }
    try {
      const data = join(dir, 'serve-data')
      const out = await numguard(['serve', '--port', String(port)], env({ NUMGUARD_DATA: data }))
      expect(expectOneLine(out)).toBe(`numguard: port ${port} is in use; set PORT or pass --port`)
      expect(out.stdout).not.toContain('numguard is ready')
    } finally {
      await new Promise((resolve) => taken.close(resolve))
    }
  })
})

describe('describeFailure', () => {
  it('prints refusals with their code, and the alert a refusal raised', () => {
    const err = new ApiError(409, {
      code: 'number_in_custody',
      message: '+85512000002 is held',
      details: { alert_id: 'a1' },
    })
    expect(describeFailure(err)).toEqual({
      text: 'numguard: +85512000002 is held [number_in_custody] (alert a1)',
      bug: false,
    })
    expect(describeFailure(new CliError('no such file'))).toEqual({ text: 'numguard: no such file', bug: false })
  })

  it('keeps the stack trace for a bug, and says it is one', () => {
    const out = describeFailure(new TypeError("Cannot read properties of undefined (reading 'x')"))
    expect(out.bug).toBe(true)
    expect(out.text).toMatch(/^numguard: unexpected error — this is a bug in numguard/)
    expect(out.text).toMatch(/^\s+at /m)
  })

  it('says the database cannot be reached rather than calling it a bug', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5433'), {
      code: 'ECONNREFUSED',
      syscall: 'connect',
      address: '127.0.0.1',
      port: 5433,
    })
    expect(describeFailure(err)).toEqual({
      text: 'numguard: cannot connect to the database at 127.0.0.1:5433: connection refused (check DATABASE_URL and MIGRATION_DATABASE_URL)',
      bug: false,
    })
  })
})

describe('the password prompt', () => {
  function terminal() {
    const input = Object.assign(new PassThrough(), { isTTY: true })
    const output = new PassThrough()
    let shown = ''
    output.on('data', (c: Buffer) => {
      shown += c.toString()
    })
    return { input, output, shown: () => shown }
  }

  it('reads the password without echoing it', async () => {
    const t = terminal()
    const answer = askHidden('password for inventory: ', t)
    t.input.write('demo-inventory\r')
    await expect(answer).resolves.toBe('demo-inventory')
    expect(t.shown()).toContain('password for inventory: ')
    expect(t.shown()).not.toContain('demo')
  })

  it('refuses an empty answer and the end of input', async () => {
    const empty = terminal()
    const a = askHidden('password: ', empty)
    empty.input.write('\r')
    await expect(a).rejects.toThrow('no password given')
    const eof = terminal()
    const b = askHidden('password: ', eof)
    eof.input.end()
    await expect(b).rejects.toThrow('no password given')
  })
})
