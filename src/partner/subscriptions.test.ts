// SIM Swap Subscriptions 0.3: a partner subscribes to a number; the swap queues exactly one `swapped` CloudEvent in
// its own transaction; the outbox delivers it with the partner's sink token and survives the sink being down for an
// hour; max-events and expiry end the subscription with a subscription-ended event; an undeliverable event is
// dead-lettered with an alert.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAY, HOUR, partnerClient } from '../../test/camara/support.ts'
import { FULL_SCOPES, type Shared, World } from '../../test/camara/world.ts'
import type { TestApp } from '../../test/helpers/app.ts'
import { makeStaff } from '../../test/helpers/factories.ts'
import { openConsentApp } from '../../test/scenarios/consent-harness.ts'
import { partnerDb } from './db.ts'
import { deliverDueEvents, expireSubscriptions, MAX_ATTEMPTS, type SinkSender } from './outbox.ts'
import { checkSink, SUBSCRIPTION_ENDED, SWAPPED } from './subscriptions.ts'

let t: TestApp
let shared: Shared
const BASE = '/camara/sim-swap-subscriptions/v0.3/subscriptions'

beforeAll(async () => {
  t = await openConsentApp()
  shared = { t, agent: await makeStaff(t.app, ['agent']), partner: await partnerClient(t, FULL_SCOPES) }
})
afterAll(() => t.close())

/** A sink that records what it received and is up or down as the test says. */
function sink() {
  const received: { url: string; headers: Record<string, string>; event: Record<string, unknown> }[] = []
  const state = { up: true }
  const send: SinkSender = async (url, init) => {
    if (!state.up) throw new Error('connect ECONNREFUSED')
    received.push({ url, headers: init.headers, event: JSON.parse(init.body) })
    return { status: 204 }
  }
  return { received, state, send }
}

async function subscribe(msisdn: string, config: Record<string, unknown> = {}) {
  const res = await t.server.inject({
    method: 'POST',
    url: BASE,
    headers: { authorization: `Bearer ${await shared.partner.fresh()}`, 'x-correlator': 'sub-1' },
    payload: {
      protocol: 'HTTP',
      sink: 'http://partner.test/hooks',
      sinkCredential: {
        credentialType: 'ACCESSTOKEN',
        accessToken: 'partner-sink-token',
        accessTokenExpiresUtc: '2030-01-01T00:00:00Z',
        accessTokenType: 'bearer',
      },
      types: [SWAPPED],
      config: { subscriptionDetail: { phoneNumber: msisdn }, ...config },
    },
  })
  expect(res.statusCode, res.body).toBe(201)
  expect(res.headers['x-correlator']).toBe('sub-1')
  return res.json()
}

const api = async (method: 'GET' | 'DELETE', url: string) =>
  t.server.inject({ method, url, headers: { authorization: `Bearer ${await shared.partner.fresh()}` } })

describe('SIM swap subscriptions', () => {
  it('one swapped event reaches the sink exactly once, after the sink was down for an hour', async () => {
    const w = new World(shared)
    const msisdn = await w.activeNumber()
    const sub = await subscribe(msisdn)
    expect(sub).toMatchObject({
      protocol: 'HTTP',
      types: [SWAPPED],
      status: 'ACTIVE',
      config: { subscriptionDetail: { phoneNumber: msisdn } },
    })
    expect(JSON.stringify(sub)).not.toContain('partner-sink-token')
    const listed = (await api('GET', BASE)).json()
    expect(listed.map((s: { id: string }) => s.id)).toContain(sub.id)
    expect((await api('GET', `${BASE}/${sub.id}`)).json()).toMatchObject({ id: sub.id })

    const s = sink()
    s.state.up = false
    const swappedAt = await w.swapSim()
    const queued = await partnerDb(t.app.db)
      .selectFrom('partner_events')
      .selectAll()
      .where('subscription_id', '=', sub.id)
      .execute()
    expect(queued).toHaveLength(1)
    // Down for an hour: every attempt fails and is retried later, none is lost.
    const until = t.clock.now().getTime() + HOUR
    while (t.clock.now().getTime() < until) {
      expect((await deliverDueEvents(t.app, s.send)).delivered).toBe(0)
      t.clock.advance(5 * 60_000)
    }
    s.state.up = true
    t.clock.advance(HOUR)
    expect((await deliverDueEvents(t.app, s.send)).delivered).toBe(1)
    t.clock.advance(DAY)
    expect(await deliverDueEvents(t.app, s.send)).toEqual({ delivered: 0, retried: 0, dead: 0 })
    expect(s.received).toHaveLength(1)
    const [got] = s.received
    expect(got.url).toBe('http://partner.test/hooks')
    expect(got.headers).toMatchObject({
      authorization: 'Bearer partner-sink-token',
      'content-type': 'application/cloudevents+json',
    })
    expect(got.event).toMatchObject({
      id: queued[0].id,
      specversion: '1.0',
      type: SWAPPED,
      time: swappedAt.toISOString(),
      data: { phoneNumber: msisdn, subscriptionId: sub.id },
    })
  }, 120_000)

  it('subscriptionMaxEvents 1: the first swapped event ends the subscription with MAX_EVENTS_REACHED', async () => {
    const w = new World(shared)
    const msisdn = await w.activeNumber()
    const sub = await subscribe(msisdn, { subscriptionMaxEvents: 1 })
    const s = sink()
    await w.swapSim()
    await deliverDueEvents(t.app, s.send)
    await deliverDueEvents(t.app, s.send)
    expect(s.received.map((r) => r.event.type)).toEqual([SWAPPED, SUBSCRIPTION_ENDED])
    expect(s.received[1].event.data).toEqual({ subscriptionId: sub.id, terminationReason: 'MAX_EVENTS_REACHED' })
    expect((await api('GET', `${BASE}/${sub.id}`)).json()).toMatchObject({ status: 'EXPIRED' })
  }, 120_000)

  it('expiry ends a subscription; DELETE ends one and it is gone; an undeliverable event is dead-lettered with an alert', async () => {
    const w = new World(shared)
    const msisdn = await w.activeNumber()
    const expiring = await subscribe(msisdn, {
      subscriptionExpireTime: new Date(t.clock.now().getTime() + HOUR).toISOString(),
    })
    const deleted = await subscribe(msisdn)
    t.clock.advance(2 * HOUR)
    expect(await expireSubscriptions(t.app)).toBe(1)
    const del = await api('DELETE', `${BASE}/${deleted.id}`)
    expect(del.statusCode, del.body).toBe(204)
    const gone = await api('GET', `${BASE}/${deleted.id}`)
    expect(gone.statusCode).toBe(404)
    expect(gone.json()).toMatchObject({ status: 404, code: 'NOT_FOUND' })
    const down = sink()
    down.state.up = false
    for (let i = 0; i < MAX_ATTEMPTS + 2; i++) {
      await deliverDueEvents(t.app, down.send)
      t.clock.advance(2 * HOUR)
    }
    const events = await partnerDb(t.app.db)
      .selectFrom('partner_events')
      .select(['subscription_id', 'type', 'state', 'attempts'])
      .where('subscription_id', 'in', [expiring.id, deleted.id])
      .execute()
    expect(events).toHaveLength(2)
    for (const e of events) expect(e).toMatchObject({ type: SUBSCRIPTION_ENDED, state: 'dead', attempts: MAX_ATTEMPTS })
    const alerts = await t.app.db
      .selectFrom('alerts')
      .select('attempt')
      .where('kind', '=', 'partner_event_undeliverable')
      .execute()
    expect(alerts.length).toBeGreaterThanOrEqual(2)
  }, 120_000)

  it('refuses a sink that is not a URL, a protocol other than HTTP, and a number not ours', async () => {
    const token = await shared.partner.fresh()
    const post = (payload: Record<string, unknown>) =>
      t.server.inject({ method: 'POST', url: BASE, headers: { authorization: `Bearer ${token}` }, payload })
    const base = {
      protocol: 'HTTP',
      sink: 'https://partner.test/h',
      types: [SWAPPED],
      config: { subscriptionDetail: { phoneNumber: '+4915112345678' } },
    }
    expect((await post(base)).json()).toMatchObject({ status: 404, code: 'IDENTIFIER_NOT_FOUND' })
    expect((await post({ ...base, protocol: 'MQTT3' })).json()).toMatchObject({ status: 400, code: 'INVALID_PROTOCOL' })
    expect((await post({ ...base, sink: 'not a url' })).json()).toMatchObject({ status: 400, code: 'INVALID_ARGUMENT' })
    expect((await post({ ...base, config: { subscriptionDetail: {} } })).json()).toMatchObject({
      status: 422,
      code: 'MISSING_IDENTIFIER',
    })
  })

  it('takes http sinks outside production only', () => {
    expect(() => checkSink('http://partner.test/h', false)).not.toThrow()
    expect(() => checkSink('http://partner.test/h', true)).toThrow(/https/)
    expect(() => checkSink('https://partner.test/h', true)).not.toThrow()
    expect(() => checkSink('ftp://partner.test/h', false)).toThrow(/https/)
  })
})
