// A database that cannot be reached: every connection-level failure is one error (database_unavailable, 503 with
// Retry-After) for routes, commands and the worker alike. Runs in both suites: the database here is a closed port.
import { createServer } from 'node:net'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testConfig } from '../../test/helpers/app.ts'
import { SYSTEM } from '../../test/helpers/factories.ts'
import type { App } from '../app.ts'
import { runCommand } from '../audit/run-command.ts'
import { ManualClock } from '../domain/clock.ts'
import { ConflictError } from '../domain/errors.ts'
import { buildServer, type Server } from '../http/server.ts'
import { DatabaseUnavailableError, translateDbError } from './errors.ts'
import type { DB } from './types.ts'

/** A local port nothing listens on: connecting to it is refused at once. */
async function closedPort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as { port: number }
  await new Promise((resolve) => probe.close(resolve))
  return port
}

/** An app whose database is unreachable: every connection attempt is refused (ECONNREFUSED). */
async function unreachableApp(): Promise<App> {
  const pool = new pg.Pool({ connectionString: `postgres://numguard@127.0.0.1:${await closedPort()}/numguard` })
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  const clock = new ManualClock('2026-03-02T03:00:00.000Z')
  return {
    config: testConfig(),
    database: { db, kind: 'postgres', close: () => db.destroy() },
    db,
    clock,
    deps: { db, clock },
    logger: pino({ level: 'silent' }),
  }
}

const withCode = (code: string, message = 'failed') => Object.assign(new Error(message), { code })

describe('translateDbError: connection-level failures', () => {
  it.each([
    ['refused', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['reset', withCode('ECONNRESET', 'read ECONNRESET')],
    ['admin_shutdown', withCode('57P01', 'terminating connection due to administrator command')],
    ['crash_shutdown', withCode('57P02')],
    ['cannot_connect_now', withCode('57P03', 'the database system is starting up')],
    ['connection_failure', withCode('08006')],
    ['connection_does_not_exist', withCode('08003')],
    ['a dropped socket (pg gives no code)', new Error('Connection terminated unexpectedly')],
    ['a dead client used again', new Error('Client has encountered a connection error and is not queryable')],
    ['a pool timeout', new Error('timeout exceeded when trying to connect')],
    ['a connect timeout', new Error('Connection terminated due to connection timeout')],
    ['localhost on both addresses', new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')])],
  ])('%s is database_unavailable (503)', (_, err) => {
    const out = translateDbError(err)
    expect(out).toBeInstanceOf(DatabaseUnavailableError)
    expect(out).toMatchObject({ code: 'database_unavailable', status: 503, retryAfterSeconds: 5 })
    expect((out as DatabaseUnavailableError).cause).toBe(err)
  })

  it.each([
    ['a unique violation', withCode('23505')],
    ['a syntax error', withCode('42601', 'Connection terminated unexpectedly')],
    ['a bug', new Error('Cannot read properties of undefined')],
  ])('%s is not', (_, err) => {
    expect(translateDbError(err)).not.toBeInstanceOf(DatabaseUnavailableError)
  })
})

describe('runCommand when the database goes away', () => {
  it('a refusal whose alert cannot be written after the rollback is a 503, not a raw driver error', async () => {
    const clock = new ManualClock('2026-03-02T03:00:00.000Z')
    let calls = 0
    // The command's transaction refuses with an alert; the database is gone when the alert is to be written.
    const db = {
      transaction: () => ({
        execute: async () => {
          calls++
          if (calls === 1)
            throw new ConflictError('self_approval', 'refused').withAlert({ kind: 'x', severity: 'risk', attempt: {} })
          throw withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')
        },
      }),
    } as unknown as Kysely<DB>
    const failed = await runCommand({ db, clock }, SYSTEM, async () => {
      throw new Error('not reached: the fake transaction refuses')
    }).catch((err: unknown) => err)
    expect(calls).toBe(2)
    expect(failed).toBeInstanceOf(DatabaseUnavailableError)
    expect((failed as DatabaseUnavailableError).details).toMatchObject({ refused: 'self_approval' })
  })

  it('a command on an unreachable database fails as database_unavailable', async () => {
    const app = await unreachableApp()
    try {
      const failed = await runCommand(app.deps, SYSTEM, async () => {
        throw new Error('not reached: no connection opens')
      }).catch((err: unknown) => err)
      expect(failed).toBeInstanceOf(DatabaseUnavailableError)
    } finally {
      await app.database.close()
    }
  })
})

describe('routes while the database is unreachable', () => {
  let app: App
  let built: Server
  beforeAll(async () => {
    app = await unreachableApp()
    built = await buildServer(app, { logRequests: false })
    await built.server.ready()
  })
  afterAll(async () => {
    await built.server.close()
    await app.database.close()
  })

  it.each([
    ['GET', '/api/v1/lookup?q=012345678'],
    ['GET', '/api/v1/numbers/+85512345678'],
    ['POST', '/api/v1/ranges'],
  ])('%s %s answers 503 database_unavailable with Retry-After, not 500', async (method, url) => {
    const res = await built.server.inject({
      method: method as 'GET' | 'POST',
      url,
      headers: { authorization: 'Bearer ngs_this-token-is-looked-up-in-the-database' },
      ...(method === 'POST' ? { payload: { first: '+85510000000', last: '+85510000009' } } : {}),
    })
    expect(res.statusCode, res.body).toBe(503)
    expect(res.headers['retry-after']).toBe('5')
    expect(res.json()).toMatchObject({ code: 'database_unavailable' })
  })
})
