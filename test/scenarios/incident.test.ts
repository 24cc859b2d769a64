// The incident of docs/DOMAIN.md ("The incident it answers"), told over HTTP: an employee tries to hand an active
// subscriber's number to a new customer. numguard refuses, keeps the holder, and names the employee in an alert.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { makeActiveNumber, makeSims, makeStaff, newSubscriber } from '../helpers/factories.ts'

let t: TestApp
beforeAll(async () => {
  t = await openTestApp()
})
afterAll(() => t.close())

const as = (token: string) => ({ authorization: `Bearer ${token}` })

describe('the rogue employee of the incident', () => {
  it('cannot reallocate an active number, and is named in a risk alert the compliance officer sees', async () => {
    const { msisdn, sale } = await makeActiveNumber(t.app)
    t.clock.advance(40 * 86_400_000) // the holder has used the number for weeks
    const rogue = await makeStaff(t.app, ['agent'])
    const [iccid] = await makeSims(t.app, rogue.shopId as string, 1)

    const sell = await t.server.inject({
      method: 'POST',
      url: `/api/v1/numbers/${encodeURIComponent(msisdn)}/sell`,
      headers: as(rogue.token),
      payload: { iccid, subscriber: newSubscriber({ name: 'New Customer' }) },
    })
    expect(sell.statusCode).toBe(409)
    expect(sell.json()).toMatchObject({ code: 'number_in_custody', details: { msisdn, state: 'active' } })

    const reserve = await t.server.inject({
      method: 'POST',
      url: `/api/v1/numbers/${encodeURIComponent(msisdn)}/reserve`,
      headers: as(rogue.token),
    })
    expect(reserve.statusCode).toBe(409)

    // The holder still holds the number; the SIM the rogue brought is still unused.
    const number = await t.server.inject({
      method: 'GET',
      url: `/api/v1/numbers/${encodeURIComponent(msisdn)}`,
      headers: as(rogue.token),
    })
    // Without a customer session the rogue is not even shown who holds it (invariant 10).
    expect(number.json()).toMatchObject({ state: 'active', current_custody: null, account: { held: true } })
    expect(number.body).not.toContain(sale.subscriber_id)
    const custodies = await t.app.db
      .selectFrom('custodies')
      .select(['id', 'subscriber_id', 'ended_at'])
      .where('msisdn', '=', msisdn)
      .execute()
    expect(custodies).toEqual([{ id: sale.custody_id, subscriber_id: sale.subscriber_id, ended_at: null }])
    const sim = await t.server.inject({ method: 'GET', url: `/api/v1/sims/${iccid}`, headers: as(rogue.token) })
    expect(sim.json()).toMatchObject({ state: 'allocated', bindings: [] })

    // The compliance officer finds both attempts, each naming the employee and the session.
    const compliance = await makeStaff(t.app, ['compliance_officer'])
    const alerts = await t.server.inject({
      method: 'GET',
      url: `/api/v1/alerts?msisdn=${encodeURIComponent(msisdn)}`,
      headers: as(compliance.token),
    })
    expect(alerts.statusCode).toBe(200)
    const items = alerts.json().items as {
      kind: string
      severity: string
      staff_id: string
      staff_username: string
      attempt: { action: string }
    }[]
    expect(items.map((a) => [a.kind, a.severity, a.staff_username, a.attempt.action]).sort()).toEqual([
      ['attempt_on_active_number', 'risk', rogue.username, 'reserve'],
      ['attempt_on_active_number', 'risk', rogue.username, 'sell'],
    ])

    // The agent may not read alerts about themselves.
    const denied = await t.server.inject({ method: 'GET', url: '/api/v1/alerts', headers: as(rogue.token) })
    expect(denied.statusCode).toBe(403)
  })
})
