// Invariant 10 covers SIMs (issue 9 item 8): a SIM that serves a number is its holder's account. An agent sees a
// bound SIM's ICCID and IMSI (list and page) only inside a customer session for that holder; unused SIMs stay
// visible to the shop that holds them; the lookup box answers the same; stock managers see the stock but never which number a SIM serves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { openCustomerSession } from '../helpers/customer-session.ts'
import { makeActiveNumber, makeShop, makeSims, makeStaff, type TestStaff } from '../helpers/factories.ts'
import { auth, extraSession } from './support.ts'

let t: TestApp
let agent: TestStaff
let seller: TestStaff
let manager: TestStaff
let supervisor: TestStaff
let held: Awaited<ReturnType<typeof makeActiveNumber>>
let imsi: string
let ownStock: string
let otherShopStock: string

const get = (who: TestStaff, url: string) => t.server.inject({ method: 'GET', url, headers: auth(who.token) })
const listed = async (who: TestStaff, query: string) =>
  ((await get(who, `/api/v1/sims?limit=500${query}`)).json().items as { iccid: string; imsi: string }[]).map(
    (s) => s.iccid,
  )

beforeAll(async () => {
  t = await openTestApp()
  agent = await makeStaff(t.app, ['agent'])
  seller = await makeStaff(t.app, ['agent'])
  manager = await makeStaff(t.app, ['inventory_manager'])
  supervisor = await makeStaff(t.app, ['supervisor'])
  held = await makeActiveNumber(t.app, { agent: seller })
  const sim = await t.app.db.selectFrom('sims').selectAll().where('iccid', '=', held.iccid).executeTakeFirstOrThrow()
  imsi = sim.imsi
  ;[ownStock] = await makeSims(t.app, agent.shopId as string, 1)
  ;[otherShopStock] = await makeSims(t.app, await makeShop(t.app), 1)
})
afterAll(() => t.close())

describe('an agent without a customer session for the holder', () => {
  it('finds the bound SIM in no list, with no ICCID or IMSI anywhere', async () => {
    for (const query of ['&state=bound', '', `&shop_id=${seller.shopId}`]) {
      const res = await get(agent, `/api/v1/sims?limit=500${query}`)
      expect(res.statusCode).toBe(200)
      expect(res.body, query).not.toContain(held.iccid)
      expect(res.body, query).not.toContain(imsi)
    }
  })

  it('gets 404 for its page, as for a SIM that does not exist: no number digits, no binding start', async () => {
    const res = await get(agent, `/api/v1/sims/${held.iccid}`)
    expect(res.statusCode).toBe(404)
    expect(res.body).not.toContain(imsi)
    expect(res.json()).toMatchObject({ code: 'not_found' })
    expect(res.body).not.toContain('bindings')
  })

  it('cannot learn from the lookup box that the ICCID exists: it answers as for one that does not', async () => {
    const lookup = (who: TestStaff, q: string) => get(who, `/api/v1/lookup?q=${q}`)
    const absent = await lookup(agent, '8985500000000000999')
    expect(absent.statusCode).toBe(404)
    const bound = await lookup(agent, held.iccid)
    expect(bound.statusCode).toBe(404)
    expect(bound.json().message).toBe(absent.json().message.replace('8985500000000000999', held.iccid))
    expect((await lookup(agent, ownStock)).json()).toEqual({ kind: 'sim', id: ownStock })
    expect((await lookup(supervisor, held.iccid)).json()).toEqual({ kind: 'sim', id: held.iccid })
  })

  it('still sees the unused SIMs of their own shop, and not another shop’s or the warehouse’s', async () => {
    expect(await listed(agent, '&state=allocated')).toEqual([ownStock])
    expect((await get(agent, `/api/v1/sims/${ownStock}`)).json()).toMatchObject({
      iccid: ownStock,
      state: 'allocated',
      shop_id: agent.shopId,
      bindings: [],
    })
    expect((await get(agent, `/api/v1/sims/${otherShopStock}`)).statusCode).toBe(404)
    expect(await listed(agent, '&state=in_stock')).toEqual([])
  })
})

describe('an agent inside a customer session for the holder', () => {
  it('lists the holder’s SIM with its ICCID and IMSI and sees the binding in full', async () => {
    const desk = { ...agent, token: (await extraSession(t.app, agent.id)).token }
    await openCustomerSession(t.server, desk, held.msisdn, held.subscriber.kyc_doc_number)
    const bound = (await get(desk, '/api/v1/sims?state=bound&limit=500')).json().items
    expect(bound).toEqual([{ iccid: held.iccid, imsi, state: 'bound', shop_id: seller.shopId }])
    const page = await get(desk, `/api/v1/sims/${held.iccid}`)
    expect(page.statusCode, page.body).toBe(200)
    expect(page.json()).toMatchObject({ iccid: held.iccid, imsi, state: 'bound' })
    expect(page.json().bindings).toEqual([
      expect.objectContaining({ msisdn: held.msisdn, custody_id: held.sale.custody_id, withheld: false }),
    ])
    // The session belongs to that sign-in: the agent's other session still sees nothing of it.
    expect((await get(agent, `/api/v1/sims/${held.iccid}`)).statusCode).toBe(404)
  })
})

describe('stock and work roles', () => {
  it('an inventory manager lists every SIM but never learns which number a SIM serves, or since when', async () => {
    expect(await listed(manager, '&state=bound')).toContain(held.iccid)
    const page = (await get(manager, `/api/v1/sims/${held.iccid}`)).json()
    expect(page.bindings).toEqual([
      expect.objectContaining({ msisdn: 'withheld', custody_id: null, started_at: null, withheld: true }),
    ])
    expect(JSON.stringify(page)).not.toContain(held.msisdn.slice(4))
  })

  it('a supervisor sees the bound SIM and its binding, as their work needs', async () => {
    expect(await listed(supervisor, '&state=bound')).toContain(held.iccid)
    const page = (await get(supervisor, `/api/v1/sims/${held.iccid}`)).json()
    expect(page.bindings[0]).toMatchObject({ msisdn: held.msisdn, withheld: false })
  })
})
