// Wrong client secrets at once at /oauth/token. PostgreSQL only (PGlite has one connection, so nothing races
// there): like staff sign-in, each request claims a slot before the slow argon2 check, so 60 at once from one
// address are checked no more often than 60 in a row; and a client's right secret at concurrency is never a 429.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { PAIR_ATTEMPTS } from '../../src/access/sign-in.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { envelopeOf, makeMachineClient } from './support.ts'

const checked = vi.hoisted(() => [] as string[])
vi.mock('../../src/access/secrets.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/access/secrets.ts')>()
  return {
    ...original,
    verifyPassword: (hash: string | null, password: string) => {
      checked.push(password)
      return original.verifyPassword(hash, password)
    },
  }
})

let t: TestApp
beforeAll(async () => {
  t = await openTestApp()
})
afterAll(() => t.close())

const token = (client_id: string, client_secret: string, ip: string) =>
  t.server.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: { grant_type: 'client_credentials', client_id, client_secret },
    remoteAddress: ip,
  })

describe('/oauth/token at once (PostgreSQL)', () => {
  it('60 wrong secrets at once from one address: exactly five are checked, one alert', async () => {
    const client = await makeMachineClient(t.app, ['activity:ingest'])
    const wrong = Array.from({ length: 60 }, (_, i) => `wrong secret ${i}`)
    const responses = await Promise.all(wrong.map((s) => token(client.id, s, '203.0.113.90')))
    expect(checked.filter((p) => wrong.includes(p))).toHaveLength(PAIR_ATTEMPTS)
    expect(responses.filter((r) => r.statusCode === 401)).toHaveLength(PAIR_ATTEMPTS - 1)
    expect(responses.filter((r) => r.statusCode === 429)).toHaveLength(60 - PAIR_ATTEMPTS + 1)
    const alerts = await t.app.db
      .selectFrom('alerts')
      .select('attempt')
      .where('kind', '=', 'machine_client_locked')
      .execute()
    expect(alerts.filter((a) => envelopeOf({ envelope: a.attempt }).client_id === client.id)).toHaveLength(1)
  }, 60_000)

  it('20 right secrets at once are all answered with a token', async () => {
    const client = await makeMachineClient(t.app, ['activity:ingest'])
    const responses = await Promise.all(Array.from({ length: 20 }, () => token(client.id, client.secret, '192.0.2.31')))
    expect(responses.map((r) => r.statusCode)).toEqual(Array(20).fill(200))
  }, 60_000)
})
