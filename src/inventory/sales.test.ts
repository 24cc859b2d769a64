import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { makeActiveNumber, makeRange, makeSims, makeStaff, newSubscriber } from '../../test/helpers/factories.ts'

let t: TestApp
beforeAll(async () => {
  t = await openTestApp()
})
afterAll(() => t.close())

const auth = (token: string) => ({ authorization: `Bearer ${token}` })

describe('selling a number over HTTP', () => {
  it('sells an available number with a SIM of the agent’s shop and shows its history', async () => {
    const agent = await makeStaff(t.app, ['agent'])
    const [msisdn] = await makeRange(t.app, 1)
    const [iccid] = await makeSims(t.app, agent.shopId as string, 1)
    const res = await t.server.inject({
      method: 'POST',
      url: `/api/v1/numbers/${msisdn}/sell`,
      headers: auth(agent.token),
      payload: { iccid, subscriber: newSubscriber() },
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ msisdn, state: 'active', iccid })
    // The seller has no customer session: the account is withheld from them (invariant 10), not from a supervisor.
    const asSeller = await t.server.inject({
      method: 'GET',
      url: `/api/v1/numbers/${msisdn}`,
      headers: auth(agent.token),
    })
    expect(asSeller.json()).toMatchObject({ current_custody: null, sim_bindings: [], account: { view: 'restricted' } })
    const supervisor = await makeStaff(t.app, ['supervisor'])
    const detail = await t.server.inject({
      method: 'GET',
      url: `/api/v1/numbers/${msisdn}`,
      headers: auth(supervisor.token),
    })
    expect(detail.statusCode).toBe(200)
    const body = detail.json()
    expect(body.current_custody).toMatchObject({ basis: 'sale', subscriber: { name_masked: 'S**** C***' } })
    expect(body.sim_bindings[0].iccid).toBe(iccid)
    // The trail runs from the range's import (a whole-set record found by its basis) to the sale.
    expect(body.history.map((h: { action: string }) => h.action)).toEqual(['number.sold', 'range.imported'])
    expect(body.history[0]).toMatchObject({
      action: 'number.sold',
      basis: 'sale',
      actor: { kind: 'staff', username: agent.username },
    })
  })

  it('refuses to sell an active number with 409 number_in_custody and keeps a risk alert naming the agent', async () => {
    const { msisdn } = await makeActiveNumber(t.app)
    t.clock.advance(3_600_000)
    const rogue = await makeStaff(t.app, ['agent'])
    const [iccid] = await makeSims(t.app, rogue.shopId as string, 1)
    const res = await t.server.inject({
      method: 'POST',
      url: `/api/v1/numbers/${msisdn}/sell`,
      headers: auth(rogue.token),
      payload: { iccid, subscriber: newSubscriber() },
    })
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('number_in_custody')
    const alerts = await t.app.db.selectFrom('alerts').selectAll().where('msisdn', '=', msisdn).execute()
    expect(alerts).toHaveLength(1)
    expect(alerts[0]).toMatchObject({ kind: 'attempt_on_active_number', severity: 'risk', staff_id: rogue.id })
    const custodies = await t.app.db.selectFrom('custodies').selectAll().where('msisdn', '=', msisdn).execute()
    expect(custodies).toHaveLength(1)
  })
})
