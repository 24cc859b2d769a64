// The worker loop when the database is away: a pass that fails as database_unavailable is logged once (a warning,
// not a crash), the next passes back off, and the first pass that succeeds again resumes the loop and says so.
import { createServer } from 'node:net'
import { Writable } from 'node:stream'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { testConfig } from '../../test/helpers/app.ts'
import type { App } from '../app.ts'
import { DatabaseUnavailableError } from '../db/errors.ts'
import type { DB } from '../db/types.ts'
import { ManualClock } from '../domain/clock.ts'
import { MAX_BACKOFF_TICKS, runDueWork, workerTicker } from './loop.ts'

interface LogLine {
  level: number
  msg: string
}

/** An app on a database at a closed port, logging into `lines`. */
async function unreachableApp(lines: LogLine[]): Promise<App> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as { port: number }
  await new Promise((resolve) => probe.close(resolve))
  const pool = new pg.Pool({ connectionString: `postgres://numguard@127.0.0.1:${port}/numguard` })
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  const clock = new ManualClock('2026-03-02T03:00:00.000Z')
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l))
      done()
    },
  })
  return {
    config: testConfig(),
    database: { db, kind: 'postgres', close: () => db.destroy() },
    db,
    clock,
    deps: { db, clock },
    logger: pino({ level: 'info' }, sink),
  }
}

const WARN = 40
const ERROR = 50

describe('the worker loop during a database outage', () => {
  it('a real pass against an unreachable database fails as database_unavailable', async () => {
    const app = await unreachableApp([])
    try {
      await expect(runDueWork(app)).rejects.toBeInstanceOf(DatabaseUnavailableError)
    } finally {
      await app.database.close()
    }
  })

  it('backs off after a failed pass, logs the outage once, and resumes when a pass succeeds', async () => {
    const lines: LogLine[] = []
    const app = await unreachableApp(lines)
    let calls = 0
    let databaseBack = false
    // The real pass while the database is away, then a pass that finds work once it is back.
    const pass = async (a: App) => {
      calls++
      if (!databaseBack) return runDueWork(a)
      return { reservations_expired: 1 }
    }
    const ticker = workerTicker(app, pass)
    try {
      const passesAfter = async (ticks: number) => {
        const before = calls
        for (let i = 0; i < ticks; i++) await ticker.tick()
        return calls - before
      }
      expect(await passesAfter(1)).toBe(1) // the first failure
      // Backing off: 1 tick skipped, then a pass, 2 skipped, a pass, 4 skipped, a pass, then at most MAX_BACKOFF_TICKS.
      expect(await passesAfter(2)).toBe(1)
      expect(await passesAfter(3)).toBe(1)
      expect(await passesAfter(5)).toBe(1)
      expect(await passesAfter(MAX_BACKOFF_TICKS + 1)).toBe(1)
      expect(await passesAfter(MAX_BACKOFF_TICKS + 1)).toBe(1)
      // Logged once, as a warning: five failed passes are one outage.
      expect(lines.filter((l) => l.level >= WARN).map((l) => l.msg)).toEqual([
        'worker: the database is unavailable; backing off until it is back',
      ])
      expect(lines.filter((l) => l.level >= ERROR)).toEqual([])

      databaseBack = true
      expect(await passesAfter(MAX_BACKOFF_TICKS + 1)).toBe(1) // the pass after the last back-off succeeds
      expect(lines.at(-1)?.msg).toBe('worker: the database is back; passes resumed')
      expect(await passesAfter(3)).toBe(3) // and every tick runs a pass again
    } finally {
      await app.database.close()
    }
  })

  it('a pass that fails for another reason is logged as an error each time and does not back off', async () => {
    const lines: LogLine[] = []
    const app = await unreachableApp(lines)
    let calls = 0
    const ticker = workerTicker(app, async () => {
      calls++
      throw new Error('a bug')
    })
    try {
      for (let i = 0; i < 3; i++) await ticker.tick()
      expect(calls).toBe(3)
      expect(lines.filter((l) => l.level >= ERROR).map((l) => l.msg)).toEqual([
        'worker pass failed',
        'worker pass failed',
        'worker pass failed',
      ])
    } finally {
      await app.database.close()
    }
  })
})
