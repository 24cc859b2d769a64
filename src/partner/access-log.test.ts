// Every partner question is in the access log (client, number, operation, answer, time); compliance searches it; the
// log is insert-only for the application; the holder's STATUS reply counts this month's checks.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ALL_CHECK_SCOPES, camara, partnerClient } from '../../test/camara/support.ts'
import type { TestApp } from '../../test/helpers/app.ts'
import { makeStaff, type TestStaff } from '../../test/helpers/factories.ts'
import { sellTo } from '../../test/helpers/reclaim-fixtures.ts'
import { openConsentApp, phone, reply } from '../../test/scenarios/consent-harness.ts'
import { DEMO_MACHINE_CLIENTS } from '../demo/seed.ts'
import { MACHINE_SCOPES } from '../staff/administration.ts'
import { monthStart } from './status-line.ts'

let t: TestApp
let agent: TestStaff
let compliance: TestStaff

beforeAll(async () => {
  t = await openConsentApp()
  agent = await makeStaff(t.app, ['agent'])
  compliance = await makeStaff(t.app, ['compliance_officer'])
})
afterAll(() => t.close())

const search = (who: TestStaff | null, query: string) =>
  t.server.inject({
    method: 'GET',
    url: `/api/v1/partner-access?${query}`,
    headers: who ? { authorization: `Bearer ${who.token}` } : {},
  })

describe('the partner access log', () => {
  it('records each answer with its client, number, operation and time; compliance finds it by number and client', async () => {
    const held = await sellTo(t.app, { agent, subscriber: { language: 'en' } })
    const bank = await partnerClient(t, ALL_CHECK_SCOPES)
    const other = await partnerClient(t, ['sim-swap:check'])
    const ask = camara(t, bank.token)
    const x = { 'x-correlator': 'login-42' }
    expect((await ask('/sim-swap/v2/check', { phoneNumber: held.msisdn, maxAge: 24 }, x)).json()).toEqual({
      swapped: true,
    })
    expect((await ask('/sim-swap/v2/retrieve-date', { phoneNumber: '+4915112345678' })).statusCode).toBe(404)
    await camara(t, other.token)('/sim-swap/v2/check', { phoneNumber: held.msisdn })

    expect((await search(null, `msisdn=${encodeURIComponent(held.msisdn)}`)).statusCode).toBe(401)
    expect((await search(agent, `msisdn=${encodeURIComponent(held.msisdn)}`)).statusCode).toBe(403)
    const byNumber = await search(compliance, `msisdn=${encodeURIComponent(held.msisdn)}`)
    expect(byNumber.statusCode, byNumber.body).toBe(200)
    expect(byNumber.json().items).toHaveLength(2)
    const byBank = (await search(compliance, `client_id=${bank.id}`)).json().items
    expect(byBank).toMatchObject([
      {
        msisdn: '+4915112345678',
        operation: 'sim_swap_retrieve_date',
        status: 404,
        answer: { code: 'IDENTIFIER_NOT_FOUND' },
      },
      {
        client_id: bank.id,
        msisdn: held.msisdn,
        operation: 'sim_swap_check',
        question: { maxAge: 24 },
        status: 200,
        answer: { swapped: true },
        correlator: 'login-42',
        asked_at: t.clock.now().toISOString(),
      },
    ])
    expect((await search(compliance, 'msisdn=not-a-number')).statusCode).toBe(400)
  })

  it('is insert-only for the application', async () => {
    await expect(sql`UPDATE partner_access_log SET status = 200`.execute(t.app.db)).rejects.toThrow()
    await expect(sql`DELETE FROM partner_access_log`.execute(t.app.db)).rejects.toThrow()
  })

  it('the holder’s STATUS reply says how many partner checks were made on the number this month', async () => {
    const held = await sellTo(t.app, { agent, subscriber: { language: 'en' } })
    await reply(t, held.msisdn, 'STATUS')
    expect((await phone(t, held.msisdn)).at(-1)).not.toMatch(/Partners/)
    const ask = camara(t, (await partnerClient(t, ALL_CHECK_SCOPES)).token)
    await ask('/sim-swap/v2/check', { phoneNumber: held.msisdn })
    await ask('/sim-swap/v2/retrieve-date', { phoneNumber: held.msisdn })
    await reply(t, held.msisdn, 'STATUS')
    expect((await phone(t, held.msisdn)).at(-1)).toMatch(
      /is active\..*Partners \(banks, apps\) checked this number 2 times this month\./,
    )
  })

  it('counts from the first instant of the month in the operator’s time zone', () => {
    // 2026-03-31 18:00 UTC is already 1 April in Phnom Penh (UTC+7).
    expect(monthStart(new Date('2026-03-31T18:00:00Z')).toISOString()).toBe('2026-03-31T17:00:00.000Z')
    expect(monthStart(new Date('2026-03-15T00:00:00Z')).toISOString()).toBe('2026-02-28T17:00:00.000Z')
  })

  it('the demo partner holds only scopes that exist and declares its purpose', () => {
    const bank = DEMO_MACHINE_CLIENTS.find((c) => c.clientId === 'bank-demo')
    expect(bank?.purpose).toBeTruthy()
    for (const scope of bank?.scopes ?? []) expect(Object.keys(MACHINE_SCOPES)).toContain(scope)
  })
})
