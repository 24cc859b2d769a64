// What staff read about a change's consents (GET /api/v1/requests/:id/consents): recorded, outstanding, and the
// state of the holder's code — never the code itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestApp } from '../helpers/app.ts'
import { makeAuthenticatedNumber } from '../helpers/customer-session.ts'
import { makeSims, makeStaff, newSubscriber, type TestStaff } from '../helpers/factories.ts'
import { codeOnPhone, http, num, openConsentApp, reply } from './consent-harness.ts'

let t: TestApp
let agent: TestStaff
let api: ReturnType<typeof http>

beforeAll(async () => {
  t = await openConsentApp()
  api = http(t)
  agent = await makeStaff(t.app, ['agent'])
  await makeStaff(t.app, ['supervisor']) // of another shop: the transfer's approver
})
afterAll(() => t.close())

describe('a request’s consents', () => {
  it('show what is recorded and what is outstanding, and the code only as a state', async () => {
    const { msisdn } = await makeAuthenticatedNumber(t, agent)
    const [iccid] = await makeSims(t.app, agent.shopId as string, 1)
    const filed = await api.post(agent, `${num(msisdn)}/transfer`, { iccid, new_subscriber: newSubscriber() })
    expect(filed.statusCode, filed.body).toBe(200)
    const id = filed.json().id
    const code = await codeOnPhone(t, msisdn)

    const before = await api.get(agent, `/api/v1/requests/${id}/consents`)
    expect(before.statusCode).toBe(200)
    expect(before.json()).toMatchObject({
      request_id: id,
      recorded: [{ party: 'new_holder', method: 'id_check' }],
      outstanding: [{ party: 'holder', method: 'mo_code' }],
      holder_code: { state: 'pending', attempts_left: 5 },
    })
    expect(before.body).not.toContain(code)

    expect((await reply(t, msisdn, 'YES 000000')).outcome).toBe('code_mismatch')
    expect((await api.get(agent, `/api/v1/requests/${id}/consents`)).json().holder_code.attempts_left).toBe(4)
    expect((await reply(t, msisdn, `YES ${code}`)).outcome).toBe('consent_recorded')
    const after = (await api.get(agent, `/api/v1/requests/${id}/consents`)).json()
    expect(after.outstanding).toEqual([])
    expect(after.recorded.map((c: { party: string }) => c.party).sort()).toEqual(['holder', 'new_holder'])
    expect(after.holder_code.state).toBe('used')

    expect((await api.get(agent, '/api/v1/requests/00000000-0000-4000-8000-000000000000/consents')).statusCode).toBe(
      404,
    )
  })
})
