// /oauth/token is throttled per client id the way staff sign-in is per username: wrong secrets lock the
// (client id, address) pair for a doubling time with an alert, every refusal is recorded, and the client's own
// system at another address keeps getting tokens. (Wrong secrets at once: sign-in-oauth-race.pg.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/access/secrets.ts'
import { PAIR_ATTEMPTS, PAIR_LOCK_MINUTES } from '../../src/access/sign-in.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { envelopeOf, makeMachineClient } from './support.ts'

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

const refusals = async () =>
  (
    await t.app.db
      .selectFrom('audit_records')
      .select('envelope')
      .where('action', '=', 'machine.token_refused')
      .execute()
  ).map(envelopeOf)

describe('/oauth/token throttle', () => {
  it('60 wrong secrets in a row: the pair locks at the fifth with an alert, all 60 are recorded', async () => {
    const client = await makeMachineClient(t.app, ['activity:ingest'])
    const storm = '203.0.113.80'
    const statuses: number[] = []
    for (let i = 0; i < 60; i++) statuses.push((await token(client.id, `wrong secret ${i}`, storm)).statusCode)
    expect(statuses.slice(0, PAIR_ATTEMPTS - 1)).toEqual(Array(PAIR_ATTEMPTS - 1).fill(401))
    expect(statuses.slice(PAIR_ATTEMPTS - 1)).toEqual(Array(60 - PAIR_ATTEMPTS + 1).fill(429))

    const locked = await token(client.id, client.secret, storm)
    expect(locked.statusCode).toBe(429)
    expect(locked.json()).toMatchObject({
      error: 'slow_down',
      details: { retry_after_seconds: PAIR_LOCK_MINUTES * 60 },
    })
    expect(locked.headers['retry-after']).toBe(String(PAIR_LOCK_MINUTES * 60))

    const alerts = await t.app.db.selectFrom('alerts').selectAll().where('kind', '=', 'machine_client_locked').execute()
    const mine = alerts.filter((a) => envelopeOf({ envelope: a.attempt }).client_id === client.id)
    expect(mine).toHaveLength(1)
    expect(mine[0]).toMatchObject({ severity: 'warning' })
    expect(mine[0].attempt).toMatchObject({ client_id: client.id, ip: storm, failed_attempts: PAIR_ATTEMPTS })

    const recorded = (await refusals()).filter((e) => e.data?.client_id === client.id)
    expect(recorded.filter((e) => e.data?.reason === 'wrong_secret')).toHaveLength(PAIR_ATTEMPTS)
    expect(recorded.filter((e) => e.data?.reason === 'throttled')).toHaveLength(60 - PAIR_ATTEMPTS + 1)

    // The client's own system, at its own address, is not locked out; after the lock the stormed address is back.
    expect((await token(client.id, client.secret, '192.0.2.30')).statusCode).toBe(200)
    t.clock.advance(PAIR_LOCK_MINUTES * 60_000)
    expect((await token(client.id, client.secret, storm)).statusCode).toBe(200)
  })

  it('an unknown client id is throttled too and kept only as its SHA-256', async () => {
    const typed = 'this-looks-like-a-pasted-secret'
    for (let i = 1; i < PAIR_ATTEMPTS; i++) expect((await token(typed, 'x', '203.0.113.81')).statusCode).toBe(401)
    expect((await token(typed, 'x', '203.0.113.81')).statusCode).toBe(429)
    const recorded = (await refusals()).filter((e) => e.data?.client_id_sha256 === sha256Hex(typed))
    expect(recorded.map((e) => e.data?.reason)).toEqual(Array(PAIR_ATTEMPTS).fill('unknown_client'))
    const everything = JSON.stringify([
      await t.app.db.selectFrom('audit_records').select('envelope').execute(),
      await t.app.db.selectFrom('alerts').select('attempt').execute(),
      await t.app.db.selectFrom('sign_in_pairs').select('username').execute(),
    ])
    expect(everything).not.toContain(typed)
  })
})
