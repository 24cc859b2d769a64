// A 400 says in words which field is wrong and what it should look like, never the schema's own wording.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { makeStaff } from '../helpers/factories.ts'
import { auth } from './support.ts'

let t: TestApp
let token: string
beforeAll(async () => {
  t = await openTestApp()
  token = (await makeStaff(t.app, ['inventory_manager'])).token
})
afterAll(() => t.close())

const get = (url: string) => t.server.inject({ method: 'GET', url, headers: auth(token) })

describe('validation messages', () => {
  it.each([
    ['/api/v1/numbers/not-a-number', 'msisdn', 'msisdn must be a phone number such as +85512345678'],
    [
      '/api/v1/numbers?state=lost',
      'state',
      'state must be one of: available, reserved, active, suspended, aging, retired, ported_out',
    ],
    ['/api/v1/numbers?limit=0', 'limit', 'limit must be >= 1'],
    ['/api/v1/numbers?colour=red', 'colour', 'colour is not something this request takes'],
    ['/api/v1/sims/12345', 'iccid', 'iccid must be an ICCID: 18 to 20 digits starting 89'],
  ])('GET %s names %s and says what it should be', async (url, field, message) => {
    const res = await get(url)
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ code: 'invalid_input', message, details: { field } })
    expect(res.json().message).not.toMatch(/must match pattern|\^|\$/)
  })

  it('says which field is missing from a body', async () => {
    const res = await t.server.inject({
      method: 'POST',
      url: '/api/v1/ranges',
      headers: auth(token),
      payload: { first: '+85512000000' },
    })
    expect(res.json()).toMatchObject({ code: 'invalid_input', message: 'last is required', details: { field: 'last' } })
  })
})

describe('ranges of another country', () => {
  it('are refused, naming the country', async () => {
    const res = await t.server.inject({
      method: 'POST',
      url: '/api/v1/ranges',
      headers: auth(token),
      payload: { first: '+4915100000000', last: '+4915100000099' },
    })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ code: 'invalid_input', details: { field: 'first', country: 'DE' } })
    expect(res.json().message).toContain('this operator imports numbers of KH')
  })
})

describe('numbers typed the way shop staff write them', () => {
  it('finds +85512100000 by its national form 012 100 000, and lists by a national prefix', async () => {
    const agent = await makeStaff(t.app, ['agent'])
    await t.server.inject({
      method: 'POST',
      url: '/api/v1/ranges',
      headers: auth(token),
      payload: { first: '+85512100000', last: '+85512100009' },
    })
    const found = await t.server.inject({
      method: 'GET',
      url: '/api/v1/lookup?q=012%20100%20000',
      headers: auth(agent.token),
    })
    expect(found.json()).toEqual({ kind: 'number', id: '+85512100000' })
    const page = await t.server.inject({ method: 'GET', url: '/api/v1/numbers/012100001', headers: auth(agent.token) })
    expect(page.json()).toMatchObject({ msisdn: '+85512100001' })
    const listed = await t.server.inject({
      method: 'GET',
      url: '/api/v1/numbers?prefix=01210000&limit=3',
      headers: auth(agent.token),
    })
    expect(listed.json().items.map((n: { msisdn: string }) => n.msisdn)).toEqual([
      '+85512100000',
      '+85512100001',
      '+85512100002',
    ])
  })
})
