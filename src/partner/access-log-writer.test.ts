// The batching access-log writer: concurrent checks share INSERTs, every write resolves only once its row is stored,
// a bad row fails alone, the queue is bounded, close() leaves nothing unwritten. The token cache of the same hot path.
import type { Kysely, KyselyPlugin } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ALL_CHECK_SCOPES, partnerClient } from '../../test/camara/support.ts'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { makeMachineClient } from '../../test/http/support.ts'
import { cachedMachineAuthenticator, TOKEN_CACHE_TTL_MS } from '../access/machine-token-cache.ts'
import { MACHINE_TOKEN_TTL_SECONDS } from '../access/machine-tokens.ts'
import type { DB } from '../db/types.ts'
import type { PartnerOperation } from '../db/types-partner.ts'
import { createAccessLogWriter } from './access-log-writer.ts'
import { type PartnerDb, partnerDb } from './db.ts'
import type { AccessLogEntry } from './queries.ts'

let t: TestApp
let clientId: string
beforeAll(async () => {
  t = await openTestApp()
  clientId = (await makeMachineClient(t.app, ['sim-swap:check'])).id
})
afterAll(() => t.close())

/** The app's handle, counting the statements sent through it (compiled ones too: each result passes the plugin). */
function counted(): { app: Kysely<DB>; db: PartnerDb; statements: () => number } {
  let n = 0
  const plugin: KyselyPlugin = {
    transformQuery: (args) => args.node,
    transformResult: async (args) => {
      n += 1
      return args.result
    },
  }
  const app = t.app.db.withPlugin(plugin)
  return { app, db: partnerDb(app), statements: () => n }
}

const entry = (msisdn: string, operation = 'sim_swap_check'): AccessLogEntry => ({
  clientId,
  msisdn,
  operation: operation as PartnerOperation,
  question: { maxAge: 24 },
  status: 200,
  answer: { swapped: false },
  correlator: null,
  askedAt: t.app.clock.now(),
})

const rowsOf = async (prefix: string) =>
  (
    await partnerDb(t.app.db)
      .selectFrom('partner_access_log')
      .select('msisdn')
      .where('msisdn', 'like', `${prefix}%`)
      .execute()
  ).length

describe('the access-log writer', () => {
  it('writes 40 concurrent rows in fewer INSERTs than rows, each write resolving after its row is stored', async () => {
    const { db, statements } = counted()
    const writer = createAccessLogWriter(db)
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => writer.write(entry(`+85510000${String(i).padStart(3, '0')}`))),
    )
    expect(await rowsOf('+85510000')).toBe(40)
    expect(statements()).toBeGreaterThan(0)
    expect(statements()).toBeLessThan(40)
    await writer.close()
  })

  it('a row the database refuses fails its own write only', async () => {
    const writer = createAccessLogWriter(partnerDb(t.app.db))
    const results = await Promise.allSettled([
      writer.write(entry('+85511000001')),
      writer.write(entry('+85511000002')),
      writer.write(entry('+85511000003', 'no_such_operation')),
      writer.write(entry('+85511000004')),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled'])
    expect(await rowsOf('+85511')).toBe(3)
  })

  it('refuses past its bound (503, never an unlogged answer) and close() writes everything queued', async () => {
    const writer = createAccessLogWriter(partnerDb(t.app.db), { maxBatch: 256, maxQueued: 2 })
    const writes = [1, 2, 3, 4].map((i) =>
      writer.write(entry(`+8551200000${i}`)).then(
        () => 'ok',
        (e) => e.status,
      ),
    )
    await writer.close()
    // The first row leaves at once; two wait for the next INSERT; the fourth finds the queue full.
    expect(await Promise.all(writes)).toEqual(['ok', 'ok', 'ok', 503])
    expect(await rowsOf('+85512')).toBe(3)
  })
})

describe('the machine-token cache', () => {
  it('looks a verified token up once per TTL, never past its expiry, and never caches a refusal', async () => {
    const bank = await partnerClient(t, ALL_CHECK_SCOPES)
    const { app, statements } = counted()
    const authenticate = cachedMachineAuthenticator(app)
    const start = t.app.clock.now().getTime()
    const at = (ms: number) => new Date(start + ms)
    expect(await authenticate(at(0), bank.token)).toMatchObject({ kind: 'machine', clientId: bank.id })
    await authenticate(at(TOKEN_CACHE_TTL_MS - 1), bank.token)
    expect(statements()).toBe(1)
    await authenticate(at(TOKEN_CACHE_TTL_MS), bank.token)
    expect(statements()).toBe(2)
    // Cached just before expiry, refused just after it.
    const expiry = MACHINE_TOKEN_TTL_SECONDS * 1000
    await authenticate(at(expiry - 1), bank.token)
    await expect(authenticate(at(expiry), bank.token)).rejects.toMatchObject({ status: 401 })
    await expect(authenticate(at(0), 'ngm_not-a-token')).rejects.toMatchObject({ status: 401 })
    await expect(authenticate(at(0), 'ngm_not-a-token')).rejects.toMatchObject({ status: 401 })
    expect(statements()).toBe(6)
  })
})
