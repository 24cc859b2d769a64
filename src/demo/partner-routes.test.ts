// The demo partner page's server side: the demo partner's credentials and a sink that receives the outbox's CloudEvents
// (with the subscription's token only), listed for the console; none of it exists in production mode.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { makeStaff, type TestStaff } from '../../test/helpers/factories.ts'
import { DEMO_SINK_PATH } from './partner-routes.ts'
import { DEMO_MACHINE_CLIENTS } from './seed.ts'

const event = (id: string) => ({
  id,
  source: 'https://numguard.example/camara',
  specversion: '1.0',
  type: 'org.camaraproject.sim-swap-subscriptions.v0.swapped',
  time: '2026-03-02T03:00:00Z',
  data: { subscriptionId: 's-1', phoneNumber: '+85512345678' },
})

describe('the demo partner routes', () => {
  let t: TestApp
  let agent: TestStaff
  beforeAll(async () => {
    t = await openTestApp()
    agent = await makeStaff(t.app, ['agent'])
  })
  afterAll(() => t.close())
  const get = (url: string, who: TestStaff | null = agent) =>
    t.server.inject({ method: 'GET', url, headers: who ? { authorization: `Bearer ${who.token}` } : {} })
  const deliver = (body: unknown, token: string | null) =>
    t.server.inject({
      method: 'POST',
      url: DEMO_SINK_PATH,
      headers: {
        'content-type': 'application/cloudevents+json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      payload: JSON.stringify(body),
    })

  it('give staff the demo partner printed by npm start and a sink URL with its token', async () => {
    expect((await get('/api/v1/demo/partner', null)).statusCode).toBe(401)
    const res = await get('/api/v1/demo/partner')
    expect(res.statusCode, res.body).toBe(200)
    const bank = DEMO_MACHINE_CLIENTS.find((c) => c.clientId === 'bank-demo')
    expect(res.json()).toMatchObject({ client_id: 'bank-demo', client_secret: bank?.secret })
    expect(res.json().sink).toMatch(/^http:\/\/.+\/api\/v1\/demo\/partner-sink$/)
    expect(res.json().sink_token).toMatch(/^[A-Za-z0-9_-]{32}$/)
    // CAMARA's sinkCredential needs the token's expiry: a year on the app clock.
    expect(Date.parse(res.json().sink_token_expires_at) - t.clock.now().getTime()).toBe(365 * 86_400_000)
  })

  it('the sink takes CloudEvents with the sink token only, counts redeliveries of an id and lists newest first', async () => {
    const { sink_token: token } = (await get('/api/v1/demo/partner')).json()
    expect((await deliver(event('e-0'), null)).statusCode).toBe(401)
    expect((await deliver(event('e-0'), `${token}x`)).statusCode).toBe(401)
    expect((await deliver({ nothing: true }, token)).statusCode).toBe(400)
    expect((await deliver(event('e-1'), token)).statusCode).toBe(204)
    expect((await deliver(event('e-2'), token)).statusCode).toBe(204)
    expect((await deliver(event('e-1'), token)).statusCode).toBe(204)
    expect((await get('/api/v1/demo/partner-events', null)).statusCode).toBe(401)
    const items = (await get('/api/v1/demo/partner-events')).json().items
    expect(items.map((e: { id: string; deliveries: number }) => [e.id, e.deliveries])).toEqual([
      ['e-2', 1],
      ['e-1', 2],
    ])
    expect(items[0]).toMatchObject({ type: event('e-2').type, data: event('e-2').data })
  })
})

describe('in production mode', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await openTestApp({ mode: 'production' })
  })
  afterAll(() => t.close())

  it('there is no demo partner, no sink and no event list', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/demo/partner'],
      ['GET', '/api/v1/demo/partner-events'],
      ['POST', DEMO_SINK_PATH],
    ] as const)
      expect((await t.server.inject({ method, url })).statusCode, url).toBe(404)
  })
})
