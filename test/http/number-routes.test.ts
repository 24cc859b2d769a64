// Numbers over HTTP: listing with keyset paging, detail, reservation leases (and their expiry), release, sale.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runDueWork } from '../../src/worker/loop.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { makeActiveNumber, makeRange, makeSims, makeStaff, newSubscriber } from '../helpers/factories.ts'
import { auth, envelopeOf } from './support.ts'

let t: TestApp
beforeAll(async () => {
  t = await openTestApp()
})
afterAll(() => t.close())

const get = (url: string, token: string) => t.server.inject({ method: 'GET', url, headers: auth(token) })
const post = (url: string, token: string, payload?: object) =>
  t.server.inject({ method: 'POST', url, headers: auth(token), payload })
const MINUTE = 60_000

describe('GET /api/v1/numbers', () => {
  it('pages in MSISDN order with `after` until next_after is null', async () => {
    const viewer = await makeStaff(t.app, ['auditor'])
    const numbers = await makeRange(t.app, 5)
    const prefix = encodeURIComponent(numbers[0].slice(0, -1))
    const seen: string[] = []
    let after: string | null = null
    for (let page = 0; page < 5; page++) {
      const res = await get(
        `/api/v1/numbers?prefix=${prefix}&limit=2${after ? `&after=${encodeURIComponent(after)}` : ''}`,
        viewer.token,
      )
      expect(res.statusCode, res.body).toBe(200)
      const body = res.json()
      seen.push(...body.items.map((n: { msisdn: string }) => n.msisdn))
      after = body.next_after
      if (after === null) break
      expect(after).toBe(body.items.at(-1).msisdn)
    }
    expect(seen).toEqual(numbers)
    expect(after).toBeNull()
  })

  it('filters by state and shows the caller’s abilities', async () => {
    const agent = await makeStaff(t.app, ['agent'])
    const { msisdn } = await makeActiveNumber(t.app, { agent })
    const res = await get(`/api/v1/numbers?state=active&prefix=${encodeURIComponent(msisdn)}`, agent.token)
    expect(res.statusCode).toBe(200)
    expect(res.json().items).toEqual([
      expect.objectContaining({ msisdn, state: 'active', abilities: { reserve: false, release: false, sell: false } }),
    ])
  })

  it.each(['limit=0', 'limit=501', 'limit=abc', 'state=sold', 'category=platinum', 'after=abc', 'colour=red'])(
    'answers 400 for %s',
    async (query) => {
      const viewer = await makeStaff(t.app, ['auditor'])
      const res = await get(`/api/v1/numbers?${query}`, viewer.token)
      expect(res.statusCode).toBe(400)
      expect(res.json()).toMatchObject({ code: 'invalid_input', details: { field: expect.any(String) } })
    },
  )
})

describe('GET /api/v1/numbers/:msisdn', () => {
  it('shows the number with its range, custody, SIM and history; with or without the +', async () => {
    // A supervisor's working view; an agent sees the account only in a customer session (number-privacy.test.ts).
    const { msisdn, iccid } = await makeActiveNumber(t.app)
    const supervisor = await makeStaff(t.app, ['supervisor'])
    for (const path of [encodeURIComponent(msisdn), msisdn.slice(1)]) {
      const res = await get(`/api/v1/numbers/${path}`, supervisor.token)
      expect(res.statusCode, res.body).toBe(200)
      const body = res.json()
      expect(body).toMatchObject({ msisdn, state: 'active', range: { first: msisdn, last: msisdn }, reservation: null })
      expect(body.current_custody).toMatchObject({ basis: 'sale', ended_at: null })
      expect(body.sim_bindings.map((b: { iccid: string }) => b.iccid)).toEqual([iccid])
      expect(body.history.map((h: { action: string }) => h.action)).toContain('number.sold')
    }
  })

  it('answers 404 for an unknown number and 400 for a malformed one', async () => {
    const viewer = await makeStaff(t.app, ['auditor'])
    const unknown = await get('/api/v1/numbers/+85512999999', viewer.token)
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json().code).toBe('not_found')
    const bad = await get('/api/v1/numbers/not-a-number', viewer.token)
    expect(bad.statusCode).toBe(400)
    expect(bad.json().details.field).toBe('msisdn')
  })
})

describe('reserving and releasing', () => {
  it('leases a number for 30 minutes and refuses another agent with 409 number_reserved', async () => {
    const [msisdn] = await makeRange(t.app, 1)
    const first = await makeStaff(t.app, ['agent'])
    const second = await makeStaff(t.app, ['agent'])
    const res = await post(`/api/v1/numbers/${msisdn}/reserve`, first.token)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({
      msisdn,
      state: 'reserved',
      reserved_until: new Date(t.clock.now().getTime() + 30 * MINUTE).toISOString(),
    })
    const detail = (await get(`/api/v1/numbers/${msisdn}`, first.token)).json()
    expect(detail.reservation).toMatchObject({ by: first.id })
    expect(detail.abilities).toEqual({
      reserve: true,
      release: true,
      sell: true,
      verify_customer: false,
      view_account: false,
    })

    t.clock.advance(10 * MINUTE)
    const taken = await post(`/api/v1/numbers/${msisdn}/reserve`, second.token)
    expect(taken.statusCode).toBe(409)
    expect(taken.json()).toMatchObject({ code: 'number_reserved', details: { msisdn, state: 'reserved' } })
  })

  it('lets another agent take a lease that ran out', async () => {
    const [msisdn] = await makeRange(t.app, 1)
    const first = await makeStaff(t.app, ['agent'])
    const second = await makeStaff(t.app, ['agent'])
    expect((await post(`/api/v1/numbers/${msisdn}/reserve`, first.token)).statusCode).toBe(200)
    t.clock.advance(31 * MINUTE)
    const res = await post(`/api/v1/numbers/${msisdn}/reserve`, second.token)
    expect(res.statusCode, res.body).toBe(200)
    const row = await t.app.db
      .selectFrom('numbers')
      .select(['state', 'reserved_by'])
      .where('msisdn', '=', msisdn)
      .executeTakeFirstOrThrow()
    expect(row).toEqual({ state: 'reserved', reserved_by: second.id })
  })

  it('the worker returns expired leases to the pool with an audit record number.reservation_expired', async () => {
    const [msisdn, kept] = await makeRange(t.app, 2)
    const agent = await makeStaff(t.app, ['agent'])
    expect((await post(`/api/v1/numbers/${msisdn}/reserve`, agent.token)).statusCode).toBe(200)
    t.clock.advance(20 * MINUTE)
    expect((await post(`/api/v1/numbers/${kept}/reserve`, agent.token)).statusCode).toBe(200)
    t.clock.advance(11 * MINUTE)
    const done = await runDueWork(t.app)
    expect(done.reservations_expired).toBeGreaterThanOrEqual(1)
    const states = await t.app.db
      .selectFrom('numbers')
      .select(['msisdn', 'state'])
      .where('msisdn', 'in', [msisdn, kept])
      .orderBy('msisdn')
      .execute()
    expect(states).toEqual([
      { msisdn, state: 'available' },
      { msisdn: kept, state: 'reserved' },
    ])
    const leaves = await t.app.db
      .selectFrom('audit_records')
      .select('envelope')
      .where('action', '=', 'number.reservation_expired')
      .where('msisdn', '=', msisdn)
      .execute()
    expect(leaves).toHaveLength(1)
    expect(envelopeOf(leaves[0])).toMatchObject({
      actor: { kind: 'system', component: 'worker' },
      before: { reserved_by: agent.id },
    })
    expect((await runDueWork(t.app)).reservations_expired).toBe(0)
  })

  it('releases one’s own reservation and refuses another’s with 409', async () => {
    const [msisdn] = await makeRange(t.app, 1)
    const holder = await makeStaff(t.app, ['agent'])
    const other = await makeStaff(t.app, ['agent'])
    expect((await post(`/api/v1/numbers/${msisdn}/reserve`, holder.token)).statusCode).toBe(200)
    const refused = await post(`/api/v1/numbers/${msisdn}/release`, other.token)
    expect(refused.statusCode).toBe(409)
    expect(refused.json().code).toBe('not_your_reservation')
    const released = await post(`/api/v1/numbers/${msisdn}/release`, holder.token)
    expect(released.statusCode).toBe(200)
    expect(released.json()).toEqual({ msisdn, state: 'available' })
    expect((await post(`/api/v1/numbers/${msisdn}/release`, holder.token)).statusCode).toBe(409)
  })

  it('answers 404 for an unknown number and 400 for a malformed one', async () => {
    const agent = await makeStaff(t.app, ['agent'])
    expect((await post('/api/v1/numbers/+85512999998/reserve', agent.token)).statusCode).toBe(404)
    const bad = await post('/api/v1/numbers/12ab/reserve', agent.token)
    expect(bad.statusCode).toBe(400)
    expect(bad.json().details.field).toBe('msisdn')
  })
})

describe('the audit record of a staff request', () => {
  it('keeps the OS user and host a client sends as claimed_os_user / claimed_host, not as fact', async () => {
    const agent = await makeStaff(t.app, ['agent'])
    const [msisdn] = await makeRange(t.app, 1)
    const res = await t.server.inject({
      method: 'POST',
      url: `/api/v1/numbers/${msisdn}/reserve`,
      headers: { ...auth(agent.token), 'x-numguard-os-user': 'root', 'x-numguard-host': 'ops-laptop' },
    })
    expect(res.statusCode, res.body).toBe(200)
    const record = await t.app.db
      .selectFrom('audit_records')
      .select('envelope')
      .where('action', '=', 'number.reserved')
      .where('msisdn', '=', msisdn)
      .executeTakeFirstOrThrow()
    const actor = envelopeOf(record).actor
    expect(actor).toMatchObject({
      kind: 'staff',
      staff_id: agent.id,
      username: agent.username,
      claimed_os_user: 'root',
      claimed_host: 'ops-laptop',
    })
    expect(actor).not.toHaveProperty('os_user')
    expect(actor).not.toHaveProperty('host')
  })
})

describe('POST /api/v1/numbers/:msisdn/sell', () => {
  it('sells to an existing subscriber by subscriber_id on the document they present', async () => {
    const { sale, subscriber } = await makeActiveNumber(t.app)
    const agent = await makeStaff(t.app, ['agent'])
    const [msisdn] = await makeRange(t.app, 1)
    const [iccid] = await makeSims(t.app, agent.shopId as string, 1)
    // Typed as printed: spaces, dashes and case do not matter.
    const typed = `${subscriber.kyc_doc_number.slice(0, 2).toLowerCase()}-${subscriber.kyc_doc_number.slice(2)} `
    const res = await post(`/api/v1/numbers/${msisdn}/sell`, agent.token, {
      iccid,
      subscriber_id: sale.subscriber_id,
      kyc_doc_number: typed,
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ msisdn, state: 'active', iccid, subscriber_id: sale.subscriber_id })
    const subscribers = await t.app.db
      .selectFrom('subscribers')
      .select('id')
      .where('id', '=', sale.subscriber_id)
      .execute()
    expect(subscribers).toHaveLength(1)
  })

  it('refuses another document with 403 kyc_mismatch and a risk alert naming the agent and the subscriber', async () => {
    const { sale } = await makeActiveNumber(t.app)
    const agent = await makeStaff(t.app, ['agent'])
    const [msisdn] = await makeRange(t.app, 1)
    const [iccid] = await makeSims(t.app, agent.shopId as string, 1)
    const wrong = 'ZZ9876543'
    const res = await post(`/api/v1/numbers/${msisdn}/sell`, agent.token, {
      iccid,
      subscriber_id: sale.subscriber_id,
      kyc_doc_number: wrong,
    })
    expect(res.statusCode, res.body).toBe(403)
    expect(res.json()).toMatchObject({
      code: 'kyc_mismatch',
      details: { subscriber_id: sale.subscriber_id, alert_id: expect.any(String) },
    })
    expect(res.body).not.toContain(wrong)

    const alert = await t.app.db
      .selectFrom('alerts')
      .selectAll()
      .where('id', '=', res.json().details.alert_id)
      .executeTakeFirstOrThrow()
    expect(alert).toMatchObject({ kind: 'kyc_mismatch', severity: 'risk', staff_id: agent.id, msisdn })
    expect(alert.attempt).toMatchObject({
      action: 'sell',
      subscriber_id: sale.subscriber_id,
      staff_id: agent.id,
      username: agent.username,
    })
    // Neither the alert nor any audit record keeps the document number that was typed.
    expect(JSON.stringify(alert)).not.toContain(wrong)
    const records = await t.app.db
      .selectFrom('audit_records')
      .select('envelope')
      .where('action', '=', 'alert.raised')
      .where('msisdn', '=', msisdn)
      .execute()
    expect(records).toHaveLength(1)
    expect(JSON.stringify(records)).not.toContain(wrong)

    // Nothing of the sale survives: the number is available, the SIM unused.
    const row = await t.app.db
      .selectFrom('numbers')
      .select('state')
      .where('msisdn', '=', msisdn)
      .executeTakeFirstOrThrow()
    expect(row.state).toBe('available')
    const sim = await t.app.db.selectFrom('sims').select('state').where('iccid', '=', iccid).executeTakeFirstOrThrow()
    expect(sim.state).toBe('allocated')
  })

  it('answers 400 naming kyc_doc_number when an existing subscriber comes without it, or a new one with it', async () => {
    const { sale } = await makeActiveNumber(t.app)
    const agent = await makeStaff(t.app, ['agent'])
    const [msisdn] = await makeRange(t.app, 1)
    const [iccid] = await makeSims(t.app, agent.shopId as string, 1)
    const without = await post(`/api/v1/numbers/${msisdn}/sell`, agent.token, {
      iccid,
      subscriber_id: sale.subscriber_id,
    })
    const stray = await post(`/api/v1/numbers/${msisdn}/sell`, agent.token, {
      iccid,
      subscriber: newSubscriber(),
      kyc_doc_number: 'KH123456',
    })
    for (const res of [without, stray]) {
      expect(res.statusCode, res.body).toBe(400)
      expect(res.json()).toMatchObject({ code: 'invalid_input', details: { field: 'kyc_doc_number' } })
    }
    const alerts = await t.app.db.selectFrom('alerts').select('id').where('msisdn', '=', msisdn).execute()
    expect(alerts).toEqual([])
  })

  it('refuses a SIM of another shop with 409 sim_not_available and leaves the number available', async () => {
    const agent = await makeStaff(t.app, ['agent'])
    const elsewhere = await makeStaff(t.app, ['agent'])
    const [msisdn] = await makeRange(t.app, 1)
    const [iccid] = await makeSims(t.app, elsewhere.shopId as string, 1)
    const res = await post(`/api/v1/numbers/${msisdn}/sell`, agent.token, { iccid, subscriber: newSubscriber() })
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({ code: 'sim_not_available', details: { iccid, state: 'allocated' } })
    const row = await t.app.db
      .selectFrom('numbers')
      .select('state')
      .where('msisdn', '=', msisdn)
      .executeTakeFirstOrThrow()
    expect(row.state).toBe('available')
  })

  it('answers 400 with details.field when both or neither subscriber forms are given', async () => {
    const agent = await makeStaff(t.app, ['agent'])
    const [msisdn] = await makeRange(t.app, 1)
    const [iccid] = await makeSims(t.app, agent.shopId as string, 1)
    const both = await post(`/api/v1/numbers/${msisdn}/sell`, agent.token, {
      iccid,
      subscriber_id: crypto.randomUUID(),
      subscriber: newSubscriber(),
    })
    const neither = await post(`/api/v1/numbers/${msisdn}/sell`, agent.token, { iccid })
    for (const res of [both, neither]) {
      expect(res.statusCode).toBe(400)
      expect(res.json()).toMatchObject({ code: 'invalid_input', details: { field: 'subscriber' } })
    }
  })

  it.each([
    [{ iccid: '123', subscriber_id: '0b8f4b8e-6c1a-4d1e-9d0a-3f7c2b1a9e55' }, 'iccid'],
    [{ subscriber_id: '0b8f4b8e-6c1a-4d1e-9d0a-3f7c2b1a9e55' }, 'iccid'],
    [{ iccid: '8985501000000000001', subscriber_id: 'nope', kyc_doc_number: 'KH123456' }, 'subscriber_id'],
    [
      { iccid: '8985501000000000001', subscriber_id: '0b8f4b8e-6c1a-4d1e-9d0a-3f7c2b1a9e55', kyc_doc_number: 'KH1' },
      'kyc_doc_number',
    ],
    [{ iccid: '8985501000000000001', subscriber: { name: 'X' } }, 'subscriber.party_kind'],
    [{ iccid: '8985501000000000001', subscriber: { ...newSubscriber(), language: 'fr' } }, 'subscriber.language'],
    [{ iccid: '8985501000000000001', subscriber: { ...newSubscriber(), name: '   ' } }, 'subscriber.name'],
  ])('answers 400 for %j naming %s', async (payload, field) => {
    const agent = await makeStaff(t.app, ['agent'])
    const [msisdn] = await makeRange(t.app, 1)
    const res = await post(`/api/v1/numbers/${msisdn}/sell`, agent.token, payload)
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().details.field).toBe(field)
  })

  it('answers 400 for a document number that is not letters and digits, and creates no subscriber', async () => {
    const agent = await makeStaff(t.app, ['agent'])
    const [msisdn] = await makeRange(t.app, 1)
    const [iccid] = await makeSims(t.app, agent.shopId as string, 1)
    const before = await t.app.db
      .selectFrom('subscribers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    const res = await post(`/api/v1/numbers/${msisdn}/sell`, agent.token, {
      iccid,
      subscriber: newSubscriber({ kyc_doc_number: '@@-##-!!' }),
    })
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().details.field).toBe('subscriber.kyc_doc_number')
    const after = await t.app.db
      .selectFrom('subscribers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    expect(Number(after.n)).toBe(Number(before.n))
  })

  it('answers 404 for an unknown SIM or subscriber', async () => {
    const agent = await makeStaff(t.app, ['agent'])
    const [msisdn] = await makeRange(t.app, 1)
    const [iccid] = await makeSims(t.app, agent.shopId as string, 1)
    const noSim = await post(`/api/v1/numbers/${msisdn}/sell`, agent.token, {
      iccid: '8985509999999999999',
      subscriber: newSubscriber(),
    })
    expect(noSim.statusCode).toBe(404)
    const noSubscriber = await post(`/api/v1/numbers/${msisdn}/sell`, agent.token, {
      iccid,
      subscriber_id: crypto.randomUUID(),
      kyc_doc_number: 'KH123456',
    })
    expect(noSubscriber.statusCode).toBe(404)
  })
})
