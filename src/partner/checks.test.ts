// The CAMARA checks over HTTP on the injected clock: a number recycled after 90 days, a SIM swap within maxAge,
// CAMARA's error shape and codes, x-correlator, scopes (the legacy sim-swap included), the quota.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ALL_CHECK_SCOPES, camara, DAY, HOUR, partnerClient, sellAgain } from '../../test/camara/support.ts'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { makeActiveNumber, makeRange, makeStaff, type TestStaff } from '../../test/helpers/factories.ts'
import { sellTo, signInAgain, withdrawForInactivity } from '../../test/helpers/reclaim-fixtures.ts'
import { localDate } from '../domain/zoned-time.ts'
import { sweepDueNumbers } from '../recycling/sweep.ts'
import { partnerDb } from './db.ts'

const TZ = 'Asia/Phnom_Penh'
let t: TestApp
let agent: TestStaff
let call: ReturnType<typeof camara>
let partner: Awaited<ReturnType<typeof partnerClient>>
const today = () => localDate(t.clock.now(), TZ)

beforeAll(async () => {
  t = await openTestApp()
  agent = await makeStaff(t.app, ['agent'])
  partner = await partnerClient(t, ALL_CHECK_SCOPES)
})
afterAll(() => t.close())
// Tokens last an hour of numguard time and the tests move the clock by months.
const fresh = async () => {
  call = camara(t, await partner.fresh())
}
beforeEach(async () => {
  await signInAgain(t.app, agent)
  await fresh()
})

describe('number recycling', () => {
  it('a number recycled after 90 days: true for a date before the withdrawal, false after the new sale', async () => {
    const held = await sellTo(t.app, { agent })
    const soldOn = today()
    t.clock.advance(90 * DAY)
    await withdrawForInactivity(t.app, held)
    const withdrawnOn = today()
    t.clock.advance(91 * DAY)
    await sweepDueNumbers(t.app)
    await signInAgain(t.app, agent)
    await sellAgain(t.app, agent, held.msisdn)
    const newSaleOn = today()
    t.clock.advance(2 * DAY)
    await fresh()
    const ask = (specifiedDate: string) =>
      call('/number-recycling/v0.2/check', { phoneNumber: held.msisdn, specifiedDate })
    for (const [date, recycled] of [
      [soldOn, true],
      [withdrawnOn, true],
      [newSaleOn, false],
      [today(), false],
    ] as const) {
      const res = await ask(date)
      expect(res.statusCode, `${date}: ${res.body}`).toBe(200)
      expect(res.json(), date).toEqual({ phoneNumberRecycled: recycled })
    }
  })

  it('the same holder throughout is false; a date in the future or before the range’s records is OUT_OF_RANGE', async () => {
    const { msisdn } = await makeActiveNumber(t.app, { agent })
    t.clock.advance(DAY)
    await fresh()
    expect(
      (await call('/number-recycling/v0.2/check', { phoneNumber: msisdn, specifiedDate: today() })).json(),
    ).toEqual({
      phoneNumberRecycled: false,
    })
    for (const specifiedDate of ['2999-01-01', '2001-01-01']) {
      const res = await call('/number-recycling/v0.2/check', { phoneNumber: msisdn, specifiedDate })
      expect(res.statusCode).toBe(400)
      expect(res.json()).toMatchObject({ status: 400, code: 'OUT_OF_RANGE' })
    }
  })

  it('a number never sold has no holder: true', async () => {
    const [msisdn] = await makeRange(t.app, 1)
    t.clock.advance(DAY)
    await fresh()
    const res = await call('/number-recycling/v0.2/check', { phoneNumber: msisdn, specifiedDate: today() })
    expect(res.json()).toEqual({ phoneNumberRecycled: true })
  })
})

describe('SIM swap', () => {
  it('answers the latest binding start and swapped within maxAge', async () => {
    const { msisdn } = await makeActiveNumber(t.app, { agent })
    const soldAt = t.clock.now().toISOString()
    t.clock.advance(30 * HOUR)
    await fresh()
    const date = await call('/sim-swap/v2/retrieve-date', { phoneNumber: msisdn })
    expect(date.json()).toEqual({ latestSimChange: soldAt })
    expect((await call('/sim-swap/v2/check', { phoneNumber: msisdn, maxAge: 31 })).json()).toEqual({ swapped: true })
    expect((await call('/sim-swap/v2/check', { phoneNumber: msisdn, maxAge: 29 })).json()).toEqual({ swapped: false })
    expect((await call('/sim-swap/v2/check', { phoneNumber: msisdn })).json()).toEqual({ swapped: true })
  })

  it('past the privacy window: latestSimChange null with monitoredPeriod; a maxAge past the window is OUT_OF_RANGE', async () => {
    const { msisdn } = await makeActiveNumber(t.app, { agent })
    t.clock.advance(121 * DAY)
    await fresh()
    expect((await call('/sim-swap/v2/retrieve-date', { phoneNumber: msisdn })).json()).toEqual({
      latestSimChange: null,
      monitoredPeriod: 120,
    })
    await t.app.db.insertInto('settings').values({ key: 'camara_privacy_window_days', value: '30' }).execute()
    const res = await call('/sim-swap/v2/check', { phoneNumber: msisdn, maxAge: 1000 })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ status: 400, code: 'OUT_OF_RANGE', message: expect.stringContaining('30 days') })
    await t.app.db
      .updateTable('settings')
      .set({ value: '120' })
      .where('key', '=', 'camara_privacy_window_days')
      .execute()
  })
})

describe('CAMARA rules', () => {
  it('errors are {status, code, message} with CAMARA codes, and x-correlator comes back on every response', async () => {
    const { msisdn } = await makeActiveNumber(t.app, { agent })
    await fresh()
    const x = { 'x-correlator': 'b4333c46-49c0-4f62-80d7-f0ef930f1c46' }
    const cases: [ReturnType<typeof call>, number, string][] = [
      [camara(t, null)('/sim-swap/v2/check', { phoneNumber: msisdn }, x), 401, 'UNAUTHENTICATED'],
      [camara(t, 'ngm_not-a-token')('/sim-swap/v2/check', { phoneNumber: msisdn }, x), 401, 'UNAUTHENTICATED'],
      [call('/sim-swap/v2/check', {}, x), 422, 'MISSING_IDENTIFIER'],
      [call('/sim-swap/v2/check', { phoneNumber: '12345' }, x), 400, 'INVALID_ARGUMENT'],
      [call('/sim-swap/v2/check', { phoneNumber: msisdn, extra: 1 }, x), 400, 'INVALID_ARGUMENT'],
      [call('/sim-swap/v2/check', { phoneNumber: msisdn, maxAge: 'soon' }, x), 400, 'INVALID_ARGUMENT'],
      [call('/sim-swap/v2/check', { phoneNumber: msisdn, maxAge: 100000 }, x), 400, 'OUT_OF_RANGE'],
      [call('/sim-swap/v2/check', { phoneNumber: '+4915112345678' }, x), 404, 'IDENTIFIER_NOT_FOUND'],
      [
        call('/number-recycling/v0.2/check', { phoneNumber: msisdn, specifiedDate: '31-12-2024' }, x),
        400,
        'INVALID_ARGUMENT',
      ],
      [call('/number-recycling/v0.2/check', {}, x), 400, 'INVALID_ARGUMENT'],
      [call('/nowhere', {}, x), 404, 'NOT_FOUND'],
      // A URL the router cannot decode is refused before any route: still CAMARA's shape, still the correlator.
      [call('/sim-swap/v2/check/%ZZ', { phoneNumber: msisdn }, x), 400, 'INVALID_ARGUMENT'],
    ]
    for (const [pending, status, code] of cases) {
      const res = await pending
      expect(res.statusCode, res.body).toBe(status)
      expect(res.json()).toEqual({ status, code, message: expect.any(String) })
      expect(res.headers['x-correlator']).toBe(x['x-correlator'])
    }
    // The rest of the API keeps its own shape.
    const api = await t.server.inject({ method: 'GET', url: '/api/v1/numbers' })
    expect(api.json()).toMatchObject({ code: 'unauthenticated' })
  })

  it('a token without the scope is PERMISSION_DENIED; the legacy sim-swap scope opens both SIM Swap operations', async () => {
    const { msisdn } = await makeActiveNumber(t.app, { agent })
    const recyclingOnly = camara(t, (await partnerClient(t, ['number-recycling:check'])).token)
    const denied = await recyclingOnly('/sim-swap/v2/check', { phoneNumber: msisdn })
    expect(denied.statusCode).toBe(403)
    expect(denied.json()).toMatchObject({ status: 403, code: 'PERMISSION_DENIED' })
    const legacy = camara(t, (await partnerClient(t, ['sim-swap'])).token)
    expect((await legacy('/sim-swap/v2/check', { phoneNumber: msisdn })).statusCode).toBe(200)
    expect((await legacy('/sim-swap/v2/retrieve-date', { phoneNumber: msisdn })).statusCode).toBe(200)
    expect(
      (await legacy('/number-recycling/v0.2/check', { phoneNumber: msisdn, specifiedDate: today() })).statusCode,
    ).toBe(403)
  })

  it('a client past its quota gets TOO_MANY_REQUESTS until the next minute', async () => {
    const { msisdn } = await makeActiveNumber(t.app, { agent })
    const client = await partnerClient(t, ['sim-swap:check'])
    await partnerDb(t.app.db)
      .insertInto('partner_clients')
      .values({ client_id: client.id, purpose: 'quota test', requests_per_minute: 2, created_at: t.clock.now() })
      .execute()
    t.clock.advance(60_000 - (t.clock.now().getTime() % 60_000))
    const ask = () => camara(t, client.token)('/sim-swap/v2/check', { phoneNumber: msisdn })
    expect((await ask()).statusCode).toBe(200)
    expect((await ask()).statusCode).toBe(200)
    const refused = await ask()
    expect(refused.statusCode).toBe(429)
    expect(refused.json()).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS' })
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
    t.clock.advance(60_000)
    expect((await ask()).statusCode).toBe(200)
  })
})

describe('OpenAPI', () => {
  it('/openapi.json describes the CAMARA operations with their scopes and schemas', async () => {
    const doc = (await t.server.inject({ method: 'GET', url: '/openapi.json' })).json()
    const check = doc.paths['/camara/sim-swap/v2/check'].post
    expect(check.operationId).toBe('checkSimSwap')
    expect(check.security).toEqual([{ client: ['sim-swap:check'] }, { client: ['sim-swap'] }])
    expect(check.requestBody.content['application/json'].schema.properties.maxAge).toMatchObject({
      minimum: 1,
      maximum: 2400,
    })
    const date = doc.paths['/camara/sim-swap/v2/retrieve-date'].post
    expect(date.responses['200'].content['application/json'].schema.properties.latestSimChange).toMatchObject({
      nullable: true,
    })
    const recycling = doc.paths['/camara/number-recycling/v0.2/check'].post
    expect(recycling.operationId).toBe('checkNumberRecycling')
    expect(recycling.requestBody.content['application/json'].schema.required).toEqual(['specifiedDate'])
    expect(Object.keys(doc.paths['/camara/sim-swap-subscriptions/v0.3/subscriptions'])).toEqual(
      expect.arrayContaining(['post', 'get']),
    )
    expect(doc.paths['/api/v1/partner-access'].get).toBeDefined()
    expect(Object.keys(doc.components.securitySchemes.client.flows.clientCredentials.scopes)).toContain(
      'number-recycling:check',
    )
  })
})
