// The demo walk over HTTP with the embedded SMSC: advancing the demo clock by 100 days lives each day, so a holder
// who lapses is warned on days 60, 75 and 85 (SMS in their phone's inbox), suspended on day 60 and withdrawn on day
// 90 into aging, with the disconnection registered; a regular holder tops up through the simulated charging
// system and is never warned. The phone answers STATUS and gets its reply.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCommand } from '../../src/audit/run-command.ts'
import { sellNumber } from '../../src/inventory/sales.ts'
import { startSms, whenBound } from '../../src/sms/index.ts'
import type { RunningSms } from '../../src/sms/runtime.ts'
import type { TestApp } from '../helpers/app.ts'
import { makeRange, makeSims, makeStaff, newSubscriber, type TestStaff } from '../helpers/factories.ts'
import { openDemoTestApp } from '../http/support.ts'

let t: TestApp
let sms: RunningSms
let agent: TestStaff
let lapsing: string
let regular: string
let lapsingDoc: string

const h = () => ({ authorization: `Bearer ${agent.token}` })

beforeAll(async () => {
  t = await openDemoTestApp()
  sms = await startSms(t.app, { sendLoop: false })
  await whenBound(sms.link.transport)
  agent = await makeStaff(t.app, ['agent'])
  const numbers = await makeRange(t.app, 30)
  // The demo's rule: a holder whose number ends in 07 or 47 lets it lapse; the others top up.
  lapsing = numbers.find((n) => Number(n.slice(-2)) % 40 === 7) as string
  regular = numbers.find((n) => Number(n.slice(-2)) % 40 === 10) as string
  const sims = await makeSims(t.app, agent.shopId as string, 2)
  for (const [i, msisdn] of [lapsing, regular].entries()) {
    const subscriber = newSubscriber({ language: 'en' })
    if (msisdn === lapsing) lapsingDoc = subscriber.kyc_doc_number
    await runCommand(t.app.deps, agent.actor, (ctx) =>
      sellNumber(ctx, agent.actor, { msisdn, iccid: sims[i], subscriber }, t.app.config.kycKey),
    )
  }
})
afterAll(async () => {
  await sms?.close()
  await t?.close()
})

describe('the demo clock walking 100 days', () => {
  it('takes the lapsing holder through warnings, suspension and withdrawal, each SMS in the phone', async () => {
    const res = await t.server.inject({
      method: 'POST',
      url: '/api/v1/demo/clock/advance',
      headers: h(),
      payload: { by: '100d' },
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ steps: 100, walk: { recycling_withdrawn: 1 } })
    expect(res.json().walk.topups).toBeGreaterThanOrEqual(2) // the regular holder, on days 45 and 90

    const numbers = await t.app.db
      .selectFrom('numbers')
      .select(['msisdn', 'state'])
      .where('msisdn', 'in', [lapsing, regular])
      .execute()
    expect(Object.fromEntries(numbers.map((n) => [n.msisdn, n.state]))).toEqual({
      [lapsing]: 'aging',
      [regular]: 'active',
    })

    const inbox = await t.server.inject({
      method: 'GET',
      url: `/api/v1/demo/sms/inbox/${encodeURIComponent(lapsing)}`,
      headers: h(),
    })
    const texts: string[] = inbox.json().messages.map((m: { text: string }) => m.text)
    expect(texts.filter((x) => x.includes('Top up within'))).toHaveLength(3)
    expect(texts.some((x) => x.startsWith('Outgoing calls and SMS'))).toBe(true)
    expect(texts.at(-1)).toMatch(/has been withdrawn .* until \d/)
    const regularInbox = await t.server.inject({
      method: 'GET',
      url: `/api/v1/demo/sms/inbox/${encodeURIComponent(regular)}`,
      headers: h(),
    })
    expect(regularInbox.json().messages).toEqual([])

    const recycling = await t.server.inject({
      method: 'GET',
      url: `/api/v1/numbers/${encodeURIComponent(lapsing)}/recycling`,
      headers: h(),
    })
    expect(recycling.json()).toMatchObject({
      cycle: { group: 'aging', reclaimable: true },
      abilities: { reclaim: true },
    })
    const register = await t.app.db
      .selectFrom('disconnections')
      .select('disconnected_on')
      .where('msisdn', '=', lapsing)
      .execute()
    expect(register).toHaveLength(1)
  })

  it('gives the number back on day 100: reclaim filed, approved by another shop, executed, the holder told by SMS', async () => {
    const supervisor = await makeStaff(t.app, ['supervisor'])
    const post = (token: string, url: string, payload: Record<string, unknown> = {}) =>
      t.server.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}` }, payload })
    const filed = await post(agent.token, `/api/v1/numbers/${encodeURIComponent(lapsing)}/reclaim`, {
      kyc_doc_number: lapsingDoc,
    })
    expect(filed.statusCode, filed.body).toBe(200)
    const request = filed.json()
    const approved = await post(supervisor.token, `/api/v1/requests/${request.id}/approve`, {
      payload_sha256: request.payload_sha256,
    })
    expect(approved.statusCode, approved.body).toBe(200)
    const executed = await post(agent.token, `/api/v1/requests/${request.id}/execute`)
    expect(executed.statusCode, executed.body).toBe(200)
    expect(executed.json().outcome.disconnection_cancelled).toMatchObject({ correction_due: false })
    const number = await t.app.db
      .selectFrom('numbers')
      .select('state')
      .where('msisdn', '=', lapsing)
      .executeTakeFirstOrThrow()
    expect(number.state).toBe('active')
    // The next day of the walk sends the reclaim SMS.
    await post(agent.token, '/api/v1/demo/clock/advance', { by: '1d' })
    const inbox = await t.server.inject({
      method: 'GET',
      url: `/api/v1/demo/sms/inbox/${encodeURIComponent(lapsing)}`,
      headers: h(),
    })
    expect(inbox.json().messages.at(-1).text).toContain('is yours again')
  })

  it('lets the phone reply: STATUS is answered by SMS', async () => {
    const before = (
      await t.server.inject({
        method: 'GET',
        url: `/api/v1/demo/sms/inbox/${encodeURIComponent(regular)}`,
        headers: h(),
      })
    ).json().messages.length
    const res = await t.server.inject({
      method: 'POST',
      url: '/api/v1/demo/sms/reply',
      headers: h(),
      payload: { from: regular, text: 'STATUS' },
    })
    expect(res.statusCode, res.body).toBe(200)
    let after = before
    for (let i = 0; i < 100 && after === before; i++) {
      // The reply is queued by the MO handler and sent by the next pass; the simulator answers within milliseconds.
      await t.server.inject({ method: 'POST', url: '/api/v1/demo/clock/advance', headers: h(), payload: { by: '1m' } })
      after = (
        await t.server.inject({
          method: 'GET',
          url: `/api/v1/demo/sms/inbox/${encodeURIComponent(regular)}`,
          headers: h(),
        })
      ).json().messages.length
    }
    expect(after).toBe(before + 1)
  })
})
