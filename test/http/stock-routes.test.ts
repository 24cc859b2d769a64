// Stock over HTTP: range imports (JSON and NDJSON progress), SIM import and allocation, lookup, masked subscribers.
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { kycDocumentHash } from '../../src/subscribers/commands.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import {
  makeActiveNumber,
  makeRange,
  makeShop,
  makeSims,
  makeStaff,
  newSubscriber,
  type TestStaff,
} from '../helpers/factories.ts'
import { auth, envelopeOf } from './support.ts'

let t: TestApp
let inventory: TestStaff
let agent: TestStaff
beforeAll(async () => {
  t = await openTestApp()
  inventory = await makeStaff(t.app, ['inventory_manager'])
  agent = await makeStaff(t.app, ['agent'])
})
afterAll(() => t.close())

const get = (url: string, token = agent.token) => t.server.inject({ method: 'GET', url, headers: auth(token) })
const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
  t.server.inject({ method: 'POST', url, headers: { ...auth(inventory.token), ...headers }, payload })
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')

describe('POST /api/v1/ranges', () => {
  it('imports a range with one audit record whose basis is the SHA-256 of the input', async () => {
    const res = await post('/api/v1/ranges', { first: '+85516200000', last: '+85516200099', category: 'golden' })
    expect(res.statusCode, res.body).toBe(200)
    const expected = sha256(JSON.stringify({ category: 'golden', first: '+85516200000', last: '+85516200099' }))
    expect(res.json()).toMatchObject({
      first: '+85516200000',
      last: '+85516200099',
      size: 100,
      category: 'golden',
      input_sha256: expected,
    })
    const leaves = await t.app.db
      .selectFrom('audit_records')
      .select('envelope')
      .where('action', '=', 'range.imported')
      .execute()
    const mine = leaves.map(envelopeOf).filter((e) => (e.after as { first: string }).first === '+85516200000')
    expect(mine).toHaveLength(1)
    expect(mine[0].basis).toBe(expected)
    const listed = await get('/api/v1/ranges')
    expect(listed.json().items).toContainEqual(
      expect.objectContaining({ first: '+85516200000', size: 100, input_sha256: expected }),
    )
    const golden = await get('/api/v1/numbers?category=golden&prefix=%2B855162000&limit=500')
    expect(golden.json().items).toHaveLength(100)
  })

  it('refuses an overlapping range with 409 range_overlaps naming the existing one', async () => {
    await post('/api/v1/ranges', { first: '+85516300000', last: '+85516300009' })
    const res = await post('/api/v1/ranges', { first: '+85516300005', last: '+85516300020' })
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({
      code: 'range_overlaps',
      details: { existing: { first: '+85516300000', last: '+85516300009' } },
    })
  })

  it.each([
    [{ first: 'abc', last: '+85516400009' }, 'first'],
    [{ first: '+85516400000', last: 'xyz' }, 'last'],
    [{ first: '+85523430710', last: '+85523430719' }, 'first'],
    [{ first: '+85516400009', last: '+85516400000' }, 'last'],
    [{ first: '+85516400000', last: '+855164000009' }, 'last'],
    [{ first: '+85516400000' }, 'last'],
    [{ first: '+85516400000', last: '+85516400009', category: 'platinum' }, 'category'],
    [{ first: '+85516400000', last: '+85516400009', extra: 1 }, 'extra'],
  ])('answers 400 for %j naming %s', async (payload, field) => {
    const res = await post('/api/v1/ranges', payload)
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json()).toMatchObject({ code: 'invalid_input', details: { field } })
  })

  it('says which number of a fixed-line range is not mobile', async () => {
    const res = await post('/api/v1/ranges', { first: '+85523430710', last: '+85523430719' })
    expect(res.json().message).toMatch(/not a mobile number/)
  })

  it('streams NDJSON progress lines ending with the result when asked', async () => {
    const res = await post(
      '/api/v1/ranges',
      { first: '+85516500000', last: '+85516500999' },
      { accept: 'application/x-ndjson' },
    )
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toContain('application/x-ndjson')
    const lines = res.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines.length).toBeGreaterThanOrEqual(2)
    expect(lines.slice(0, -1).every((l) => l.progress && l.progress.total === 1000)).toBe(true)
    expect(lines.at(-2).progress.done).toBe(1000)
    expect(lines.at(-1)).toEqual({
      result: expect.objectContaining({ first: '+85516500000', last: '+85516500999', size: 1000 }),
    })
  })

  it('ends the NDJSON stream with the error line when the import is refused', async () => {
    const res = await post(
      '/api/v1/ranges',
      { first: '+85516500500', last: '+85516500600' },
      { accept: 'application/x-ndjson' },
    )
    const last = JSON.parse(res.body.trim().split('\n').at(-1) as string)
    expect(last.error).toMatchObject({ code: 'range_overlaps', message: expect.any(String) })
  })
})

describe('SIM stock', () => {
  const csv = (from: bigint, n: number) =>
    Array.from({ length: n }, (_, i) => `${from + BigInt(i)},456${(from + BigInt(i)).toString().slice(-12)}`).join('\n')

  it('imports a CSV (header allowed), lists and shows the SIMs', async () => {
    const res = await post('/api/v1/sims/import', { csv: `iccid,imsi\n${csv(8985507000000000000n, 3)}\n` })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ imported: 3, input_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) })
    const sim = await get('/api/v1/sims/8985507000000000001', inventory.token)
    expect(sim.statusCode).toBe(200)
    expect(sim.json()).toMatchObject({ iccid: '8985507000000000001', state: 'in_stock', shop_id: null, bindings: [] })
    const listed = await get('/api/v1/sims?state=in_stock&limit=500', inventory.token)
    expect(listed.json().items.map((s: { iccid: string }) => s.iccid)).toContain('8985507000000000002')
  })

  it('refuses a file with bad lines with 400 listing each problem, importing nothing', async () => {
    const res = await post('/api/v1/sims/import', {
      csv: `${csv(8985507100000000000n, 1)}\n123,456\n8985507100000000009\n${csv(8985507100000000000n, 1)}`,
    })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ code: 'invalid_input', details: { field: 'csv' } })
    expect(res.json().details.problems.map((p: { line: number }) => p.line)).toEqual([2, 3, 4])
    expect((await get('/api/v1/sims/8985507100000000000')).statusCode).toBe(404)
  })

  it('refuses SIMs already in stock with 409', async () => {
    await post('/api/v1/sims/import', { csv: csv(8985507200000000000n, 2) })
    const res = await post('/api/v1/sims/import', { csv: csv(8985507200000000001n, 2) })
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({
      code: 'sims_already_imported',
      details: { existing: expect.arrayContaining([expect.objectContaining({ iccid: '8985507200000000001' })]) },
    })
  })

  it('answers 400 for an empty or missing csv and for a malformed ICCID in the path', async () => {
    expect((await post('/api/v1/sims/import', { csv: '' })).statusCode).toBe(400)
    expect((await post('/api/v1/sims/import', {})).json().details.field).toBe('csv')
    expect((await get('/api/v1/sims/12345')).json().details.field).toBe('iccid')
  })

  it('allocates stock to a shop and refuses more than there is with 409 not_enough_stock', async () => {
    const shop = await makeShop(t.app)
    await post('/api/v1/sims/import', { csv: csv(8985507300000000000n, 2) })
    const inStock = (await get('/api/v1/sims?state=in_stock&limit=500', inventory.token)).json().items.length
    const res = await post('/api/v1/sims/allocate', { shop_id: shop, count: 2 })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({ allocated: 2, shop_id: shop })
    const mine = await get(`/api/v1/sims?shop_id=${shop}`, inventory.token)
    expect(mine.json().items).toHaveLength(2)
    const tooMany = await post('/api/v1/sims/allocate', { shop_id: shop, count: inStock })
    expect(tooMany.statusCode).toBe(409)
    expect(tooMany.json()).toMatchObject({
      code: 'not_enough_stock',
      details: { in_stock: inStock - 2, asked: inStock },
    })
    expect((await get(`/api/v1/sims?shop_id=${shop}`, inventory.token)).json().items).toHaveLength(2)
  })

  it('answers 404 for an unknown shop and 400 for a bad count', async () => {
    expect((await post('/api/v1/sims/allocate', { shop_id: 'no-such-shop', count: 1 })).statusCode).toBe(404)
    for (const count of [0, -1, 1.5, 'many', 100001]) {
      const res = await post('/api/v1/sims/allocate', { shop_id: 'x', count })
      expect(res.statusCode).toBe(400)
      expect(res.json().details.field).toBe('count')
    }
  })

  // Past 32,768 rows an `IN (…)` list with two parameters a row overflows the protocol's 65,535 bind parameters.
  it('imports 40,000 SIMs in one file, and refuses the file again with 409', { timeout: 120_000 }, async () => {
    const rows = 40_000
    const file = csv(8985507400000000000n, rows)
    const res = await post('/api/v1/sims/import', { csv: file })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ imported: rows })
    const counted = await t.app.db
      .selectFrom('sims')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('iccid', '>=', '8985507400000000000')
      .where('iccid', '<=', (8985507400000000000n + BigInt(rows - 1)).toString())
      .executeTakeFirstOrThrow()
    expect(Number(counted.n)).toBe(rows)

    // Its first line repeats a SIM now in stock: the whole file is refused.
    const again = await post('/api/v1/sims/import', { csv: csv(8985507400000000000n + BigInt(rows - 1), rows) })
    expect(again.statusCode, again.body).toBe(409)
    expect(again.json()).toMatchObject({
      code: 'sims_already_imported',
      details: { existing: [expect.objectContaining({ iccid: (8985507400000000000n + BigInt(rows - 1)).toString() })] },
    })
  })
})

describe('lookup, subscribers, stats and shops', () => {
  it('finds a number, a SIM and a subscriber, and answers 404 for anything else', async () => {
    const { msisdn, iccid, sale } = await makeActiveNumber(t.app)
    // A bound SIM is its holder's account (invariant 10): the inventory manager, who sees all stock, finds it.
    const cases: [string, object, string?][] = [
      [msisdn, { kind: 'number', id: msisdn }],
      [msisdn.slice(1), { kind: 'number', id: msisdn }],
      [iccid, { kind: 'sim', id: iccid }, inventory.token],
      [sale.subscriber_id.toUpperCase(), { kind: 'subscriber', id: sale.subscriber_id }],
    ]
    for (const [q, found, token] of cases) {
      const res = await get(`/api/v1/lookup?q=${encodeURIComponent(q)}`, token)
      expect(res.statusCode, q).toBe(200)
      expect(res.json()).toEqual(found)
    }
    for (const q of ['+85512999997', '8985509999999999999', crypto.randomUUID(), 'hello']) {
      const res = await get(`/api/v1/lookup?q=${encodeURIComponent(q)}`)
      expect(res.statusCode, q).toBe(404)
      expect(res.json().code).toBe('not_found')
    }
    expect((await get('/api/v1/lookup')).json().details.field).toBe('q')
    expect((await get(`/api/v1/lookup?q=${'9'.repeat(65)}`)).statusCode).toBe(400)
  })

  it('sells to a new subscriber and shows them masked, with no KYC hash or document number anywhere', async () => {
    const [msisdn] = await makeRange(t.app, 1)
    const [iccid] = await makeSims(t.app, agent.shopId as string, 1)
    const subscriber = newSubscriber({
      name: 'Sreymom Keo',
      kyc_doc_number: 'N0-9988-7766',
      alt_contact: '+85512345678',
    })
    const sale = await t.server.inject({
      method: 'POST',
      url: `/api/v1/numbers/${msisdn}/sell`,
      headers: auth(agent.token),
      payload: { iccid, subscriber },
    })
    expect(sale.statusCode, sale.body).toBe(200)
    const id = sale.json().subscriber_id
    const hash = kycDocumentHash(t.app.config.kycKey, subscriber.kyc_doc_number)
    // An agent sees a subscriber only inside a customer session (test/http/customer-session*.test.ts); a supervisor
    // sees them masked, with the numbers held.
    expect((await get(`/api/v1/subscribers/${id}`)).json().code).toBe('customer_session_required')
    const supervisor = await makeStaff(t.app, ['supervisor'])
    const res = await get(`/api/v1/subscribers/${id}`, supervisor.token)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      id,
      name_masked: 'S****** K**',
      kyc_doc_last4: '7766',
      alt_contact_masked: '**********78',
    })
    expect(res.json().custodies).toEqual([expect.objectContaining({ msisdn })])
    for (const body of [res.body, sale.body, (await get(`/api/v1/numbers/${msisdn}`)).body]) {
      for (const secret of [hash, 'N0-9988-7766', 'N099887766', 'kyc_doc_hash', 'Sreymom', '+85512345678'])
        expect(body).not.toContain(secret)
    }
  })

  it('refuses a subscriber to an agent without a customer session, not to the other roles', async () => {
    const { msisdn, sale } = await makeActiveNumber(t.app)
    const url = `/api/v1/subscribers/${sale.subscriber_id}`
    const refused = await get(url)
    expect(refused.statusCode).toBe(403)
    expect(refused.json().code).toBe('customer_session_required')
    expect(refused.body).not.toContain(msisdn.slice(4))

    for (const roles of [['supervisor'], ['compliance_officer'], ['auditor'], ['agent', 'supervisor']] as const) {
      const viewer = await makeStaff(t.app, [...roles])
      const res = await get(url, viewer.token)
      expect(res.statusCode, roles.join()).toBe(200)
      expect(res.json(), roles.join()).toMatchObject({ msisdns_masked: false, custodies: [{ msisdn }] })
    }
    const openapi = (await t.server.inject({ method: 'GET', url: '/openapi.json' })).json()
    expect(openapi.paths['/api/v1/subscribers/{id}'].get.summary).toMatch(/agent only inside a customer session/)
  })

  it('answers 404 for an unknown subscriber and 400 for a malformed id', async () => {
    expect((await get(`/api/v1/subscribers/${crypto.randomUUID()}`)).statusCode).toBe(404)
    expect((await get('/api/v1/subscribers/1234')).json().details.field).toBe('id')
  })

  it('counts numbers by state and category, and lists shops', async () => {
    const stats = (await get('/api/v1/stats/numbers')).json()
    expect(stats.total).toBe(Object.values(stats.by_state as Record<string, number>).reduce((a, b) => a + b, 0))
    expect(stats.by_state.active).toBeGreaterThanOrEqual(1)
    expect(stats.by_category.golden).toBe(100)
    const shops = (await get('/api/v1/shops', inventory.token)).json()
    expect(shops.items.map((s: { id: string }) => s.id)).toContain(agent.shopId)
  })
})
