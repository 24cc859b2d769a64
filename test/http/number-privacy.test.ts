// Invariant 10 on the number's own routes: an agent without a customer session for the current holder sees the
// number (state, category, whether it is held) and how to verify the customer — no holder, no ICCID, no notice text,
// no inactivity cycle — on the number page, its notices, its recycling state and the SIM pages. Inside a session
// for the current holder the agent sees that holder's account in full, never a former holder's; supervisors,
// compliance officers and auditors keep their working view.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { audited, recordAudit } from '../../src/audit/record.ts'
import { runCommand } from '../../src/audit/run-command.ts'
import { sellNumber } from '../../src/inventory/sales.ts'
import { recordMo } from '../../src/sms/mo.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { makeRange, makeSims, makeStaff, newSubscriber, SYSTEM, type TestStaff } from '../helpers/factories.ts'
import { actAsOwnerInThisTransaction } from '../helpers/owner-fixture.ts'
import { type HeldNumber, sellTo, withdrawForInactivity } from '../helpers/reclaim-fixtures.ts'
import { FakeTransport, queueTestNotice } from '../helpers/sms.ts'
import { auth, extraSession } from './support.ts'

const HOUR = 3_600_000
let t: TestApp
let former: HeldNumber
let msisdn: string
let current: { iccid: string; subscriberId: string; custodyId: string; docNumber: string }
const notes = { formerBody: '', currentBody: '' }
const ALT_FORMER = '+85597000111'
const ALT_CURRENT = '+85597000222'

const get = (url: string, token: string) => t.server.inject({ method: 'GET', url, headers: auth(token) })
const numberPage = (s: TestStaff) => get(`/api/v1/numbers/${encodeURIComponent(msisdn)}`, s.token)
const noticesOf = (s: TestStaff) => get(`/api/v1/numbers/${encodeURIComponent(msisdn)}/notices`, s.token)
const recyclingOf = (s: TestStaff) => get(`/api/v1/numbers/${encodeURIComponent(msisdn)}/recycling`, s.token)
const simOf = (s: TestStaff, iccid: string) => get(`/api/v1/sims/${iccid}`, s.token)

async function bodyOf(noticeId: string): Promise<string> {
  const row = await t.app.db
    .selectFrom('sms_notices')
    .select('body_masked')
    .where('id', '=', noticeId)
    .executeTakeFirstOrThrow()
  return row.body_masked
}

/** Opens a customer session for the current holder on the ID document they present. */
async function verifyCurrentHolder(agent: TestStaff) {
  const res = await t.server.inject({
    method: 'POST',
    url: '/api/v1/customer-sessions',
    headers: auth(agent.token),
    payload: { msisdn, method: 'id_document', document: current.docNumber },
  })
  expect(res.statusCode, res.body).toBe(200)
  expect(res.json().state).toBe('open')
  return res.json() as { id: string; expires_at: string }
}

/** The text with its UUIDs and long hex strings (event ids, hashes) replaced. */
const withoutIds = (text: string) => text.replace(/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}|[0-9a-f]{32,}/gi, '<id>')

/**
 * What nobody without the account in view may find anywhere in an answer. The short fragments (the last digits
 * of a document or an alternate contact) are looked for outside the answer's random identifiers and hashes, where
 * four digits turn up by chance (an event id once held `0003`); the whole identifiers are looked for everywhere.
 */
function expectNoAccountData(text: string) {
  for (const secret of [
    former.iccid,
    current.iccid,
    former.subscriberId,
    current.subscriberId,
    former.custodyId,
    current.custodyId,
    'Dara',
    'Bopha',
    notes.formerBody,
    notes.currentBody,
    'hello dara',
    'hello bopha',
  ])
    expect(text, `leaks ${secret}`).not.toContain(secret)
  const readable = withoutIds(text)
  for (const fragment of [
    ALT_FORMER.slice(-6),
    ALT_CURRENT.slice(-6),
    former.subscriber.kyc_doc_number.slice(-4),
    current.docNumber.slice(-4),
  ])
    expect(readable, `leaks ${fragment}`).not.toContain(fragment)
}

beforeAll(async () => {
  t = await openTestApp({}, { sms: { transport: new FakeTransport() } })
  // A former holder (Dara) is sent a warning to the number and one to their alternate contact, replies, is
  // withdrawn, and the number ages out; then Bopha buys it, is sent a warning and replies.
  former = await sellTo(t.app, { subscriber: { name: 'Dara Former', alt_contact: ALT_FORMER } })
  msisdn = former.msisdn
  const formerNotice = await queueTestNotice(t.app, {
    msisdn,
    custodyId: former.custodyId,
    dedupeKey: `privacy:former:${former.custodyId}`,
    params: { msisdn, daysLeft: 30, withdrawalDate: '2026-04-01' },
  })
  await queueTestNotice(t.app, {
    msisdn,
    to: ALT_FORMER,
    custodyId: former.custodyId,
    dedupeKey: `privacy:former-alt:${former.custodyId}`,
    params: { msisdn, daysLeft: 30, withdrawalDate: '2026-04-01' },
  })
  notes.formerBody = await bodyOf(formerNotice.noticeId)
  await recordMo(t.app, { from: msisdn, to: 'numguard', text: 'hello dara', receivedAt: t.clock.now() })
  t.clock.advance(HOUR)
  await withdrawForInactivity(t.app, former)
  t.clock.advance(HOUR)
  await runCommand(t.app.deps, SYSTEM, async (ctx) => {
    // Owner-connection fixture: aged out early, before the floor migration 031 holds the application role to.
    await actAsOwnerInThisTransaction(ctx.tx)
    await ctx.tx
      .updateTable('numbers')
      .set({ state: 'available', state_changed_at: ctx.now })
      .where('msisdn', '=', msisdn)
      .execute()
    const receipt = await recordAudit(ctx, {
      action: 'number.aged_out',
      msisdn,
      before: { state: 'aging', custody_id: former.custodyId },
      after: { state: 'available' },
      basis: 'inactivity',
    })
    return audited(null, [receipt])
  })
  t.clock.advance(HOUR)
  const seller = await makeStaff(t.app, ['agent'])
  const [iccid] = await makeSims(t.app, seller.shopId as string, 1)
  const subscriber = newSubscriber({ name: 'Bopha Current', alt_contact: ALT_CURRENT })
  const sale = await runCommand(t.app.deps, seller.actor, (ctx) =>
    sellNumber(ctx, seller.actor, { msisdn, iccid, subscriber }, t.app.config.kycKey),
  )
  current = {
    iccid,
    subscriberId: sale.subscriber_id,
    custodyId: sale.custody_id,
    docNumber: subscriber.kyc_doc_number,
  }
  t.clock.advance(HOUR)
  const currentNotice = await queueTestNotice(t.app, {
    msisdn,
    custodyId: current.custodyId,
    dedupeKey: `privacy:current:${current.custodyId}`,
    params: { msisdn, daysLeft: 25, withdrawalDate: '2026-07-15' },
  })
  notes.currentBody = await bodyOf(currentNotice.noticeId)
  await recordMo(t.app, { from: msisdn, to: 'numguard', text: 'hello bopha', receivedAt: t.clock.now() })
})
afterAll(() => t.close())

describe('an agent without a customer session for the holder', () => {
  it('sees the number, that it is held and how to verify the customer — no holder, ICCID or custody', async () => {
    const agent = await makeStaff(t.app, ['agent'])
    const res = await numberPage(agent)
    expect(res.statusCode, res.body).toBe(200)
    const page = res.json()
    expect(page).toMatchObject({
      msisdn,
      state: 'active',
      category: 'standard',
      current_custody: null,
      custodies: [],
      sim_bindings: [],
      abilities: { reserve: false, sell: false, verify_customer: true, view_account: false },
      account: {
        view: 'restricted',
        held: true,
        customer_session: null,
        verify_customer: true,
        withheld: expect.arrayContaining(['holder', 'custodies', 'sim_bindings']),
      },
    })
    expect(page.account.message).toMatch(/Verify the customer/)
    // The trail still says what happened to the number, and by whom, but not whom or which SIM it concerned.
    const actions = page.history.map((h: { action: string }) => h.action)
    expect(actions).toEqual(expect.arrayContaining(['number.sold', 'number.withdrawn', 'number.aged_out']))
    const sold = page.history.filter((h: { action: string }) => h.action === 'number.sold')
    expect(sold).toHaveLength(2)
    for (const h of sold) expect(h).toMatchObject({ details_withheld: true, after: { state: 'active' } })
    for (const h of page.history)
      for (const side of [h.before, h.after])
        if (side)
          expect(
            Object.keys(side).every((k) => ['state', 'category', 'reserved_until', 'aging_ends_on'].includes(k)),
          ).toBe(true)
    expectNoAccountData(res.body)
  })

  it('sees notices and replies without their text, address, language or custody', async () => {
    const agent = await makeStaff(t.app, ['agent'])
    const res = await noticesOf(agent)
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json()
    expect(body.account_view).toBe('restricted')
    expect(body.notices).toHaveLength(5)
    for (const n of body.notices)
      expect(n).toMatchObject({ withheld: true, body: null, language: null, custody_id: null, dedupe_key: null })
    const alternate = body.notices.find((n: { to_alternate_contact: boolean }) => n.to_alternate_contact)
    expect(alternate.to).toBeNull()
    expect(body.replies).toHaveLength(2)
    for (const m of body.replies) expect(m).toMatchObject({ withheld: true, text: null, keyword: null })
    expectNoAccountData(res.body)
  })

  it('does not see the holder’s inactivity cycle', async () => {
    const agent = await makeStaff(t.app, ['agent'])
    const res = await recyclingOf(agent)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ msisdn, cycle: null, withheld: true })
    expectNoAccountData(res.body)
  })

  it('finds no page for a SIM that serves or served a holder (issue 9 item 8), nor the SIM in the lookup box', async () => {
    const agent = await makeStaff(t.app, ['agent'])
    for (const iccid of [current.iccid, former.iccid]) {
      // The same answer as for a SIM that does not exist: nothing to match a held number to its SIM.
      const res = await simOf(agent, iccid)
      expect(res.statusCode, res.body).toBe(404)
      expect(res.json()).toMatchObject({ code: 'not_found' })
    }
    for (const state of ['bound', 'deactivated', '']) {
      const listed = await get(`/api/v1/sims?limit=500${state ? `&state=${state}` : ''}`, agent.token)
      expect(listed.statusCode).toBe(200)
      expect(listed.body).not.toContain(current.iccid)
      expect(listed.body).not.toContain(former.iccid)
    }
    const lookup = await get(`/api/v1/lookup?q=${current.iccid}`, agent.token)
    expect(lookup.statusCode).toBe(404)
    const byNumber = await get(`/api/v1/lookup?q=${encodeURIComponent(msisdn)}`, agent.token)
    expect(byNumber.json()).toEqual({ kind: 'number', id: msisdn })
  })

  it('is not helped by a session opened in another sign-in, nor by another agent’s session', async () => {
    const agent = await makeStaff(t.app, ['agent'])
    const colleague = await makeStaff(t.app, ['agent'])
    await verifyCurrentHolder(colleague)
    const elsewhere = await extraSession(t.app, agent.id)
    await verifyCurrentHolder({ ...agent, token: elsewhere.token })
    const res = await numberPage(agent)
    expect(res.json().account.view).toBe('restricted')
    expectNoAccountData(res.body)
    expect((await numberPage(colleague)).json().account.view).toBe('holder')
  })

  it('has nothing withheld on a number nobody ever held', async () => {
    const agent = await makeStaff(t.app, ['agent'])
    const [fresh] = await makeRange(t.app, 1)
    const page = (await get(`/api/v1/numbers/${encodeURIComponent(fresh)}`, agent.token)).json()
    expect(page).toMatchObject({
      state: 'available',
      abilities: { reserve: true, sell: true, verify_customer: false },
      account: { view: 'restricted', held: false, withheld: [], verify_customer: false, message: null },
      custodies: [],
    })
  })

  it('an inventory manager sees the number only and is not offered a verification', async () => {
    const manager = await makeStaff(t.app, ['inventory_manager'])
    const res = await numberPage(manager)
    expect(res.json()).toMatchObject({
      current_custody: null,
      sim_bindings: [],
      abilities: { verify_customer: false, view_account: false },
      account: { view: 'restricted', held: true, verify_customer: false },
    })
    expect(res.json().account.message).toMatch(/not shown to your role/)
    expectNoAccountData(res.body)
    expectNoAccountData((await noticesOf(manager)).body)
    // The manager runs the stock: the SIM, but nothing of the number it serves — no digits, no start.
    const sim = await simOf(manager, current.iccid)
    expect(sim.json().bindings).toEqual([
      expect.objectContaining({ msisdn: 'withheld', custody_id: null, started_at: null, withheld: true }),
    ])
  })
})

describe('an agent inside a customer session for the current holder', () => {
  it('sees the holder, their SIM, their records, notices, replies and cycle in full — never the former holder', async () => {
    const agent = await makeStaff(t.app, ['agent'])
    const session = await verifyCurrentHolder(agent)

    const res = await numberPage(agent)
    const page = res.json()
    expect(page.account).toMatchObject({
      view: 'holder',
      held: true,
      customer_session: { id: session.id },
      verify_customer: false,
      withheld: ['former_holders'],
    })
    expect(page.abilities).toMatchObject({ verify_customer: false, view_account: true })
    expect(page.current_custody).toMatchObject({
      id: current.custodyId,
      subscriber: {
        id: current.subscriberId,
        name: 'Bopha Current',
        alt_contact: ALT_CURRENT,
        kyc_doc_last4: current.docNumber.slice(-4),
      },
    })
    // The former holder's custody is a period, nobody's; their SIM and their records' details are not shown.
    expect(page.custodies).toEqual([
      expect.objectContaining({ id: current.custodyId }),
      expect.objectContaining({ id: former.custodyId, subscriber: null, end_reason: 'inactivity' }),
    ])
    expect(page.sim_bindings.map((b: { iccid: string }) => b.iccid)).toEqual([current.iccid])
    const sold = page.history.filter((h: { action: string }) => h.action === 'number.sold')
    expect(sold.map((h: { details_withheld: boolean }) => h.details_withheld)).toEqual([false, true])
    expect(JSON.stringify(sold[0])).toContain(current.iccid)
    for (const leak of [former.iccid, former.subscriberId, 'Dara'])
      expect(res.body, `leaks ${leak}`).not.toContain(leak)
    expect(withoutIds(res.body)).not.toContain(ALT_FORMER.slice(-6))

    const notices = (await noticesOf(agent)).json()
    expect(notices.account_view).toBe('holder')
    // Bopha's warning and the automatic answer to her reply are hers; Dara's three (two warnings, one answer) not.
    const own = notices.notices.filter((n: { withheld: boolean }) => !n.withheld)
    expect(own.map((n: { custody_id: string }) => n.custody_id)).toEqual([current.custodyId, current.custodyId])
    expect(own.map((n: { body: string }) => n.body)).toContain(notes.currentBody)
    const others = notices.notices.filter((n: { withheld: boolean }) => n.withheld)
    expect(others).toHaveLength(3)
    for (const n of others) expect(n).toMatchObject({ body: null, custody_id: null })
    expect(notices.replies.map((m: { text: string | null }) => m.text)).toEqual(['hello bopha', null])
    expect(JSON.stringify(notices)).not.toContain(notes.formerBody)

    const cycle = (await recyclingOf(agent)).json()
    expect(cycle).toMatchObject({ withheld: false, cycle: { custody_id: current.custodyId } })

    expect((await simOf(agent, current.iccid)).json().bindings).toEqual([
      expect.objectContaining({ msisdn, custody_id: current.custodyId, withheld: false }),
    ])
    const listed = (await get('/api/v1/sims?state=bound&limit=500', agent.token)).json().items
    expect(listed.map((x: { iccid: string }) => x.iccid)).toContain(current.iccid)
    // The former holder did not authenticate: their SIM stays out of sight.
    expect((await simOf(agent, former.iccid)).statusCode).toBe(404)
  })

  it('loses the view when the session is closed or runs out', async () => {
    const agent = await makeStaff(t.app, ['agent'])
    const session = await verifyCurrentHolder(agent)
    expect((await numberPage(agent)).json().account.view).toBe('holder')
    const closed = await t.server.inject({
      method: 'DELETE',
      url: `/api/v1/customer-sessions/${session.id}`,
      headers: auth(agent.token),
    })
    expect(closed.statusCode, closed.body).toBe(200)
    const after = await numberPage(agent)
    expect(after.json().account.view).toBe('restricted')
    expectNoAccountData(after.body)

    await verifyCurrentHolder(agent)
    expect((await numberPage(agent)).json().account.view).toBe('holder')
    t.clock.advance(31 * 60_000)
    const expired = await numberPage(agent)
    expect(expired.json().account.view).toBe('restricted')
    expectNoAccountData(expired.body)
  })
})

describe('supervisors, compliance officers and auditors', () => {
  it.each([['supervisor'], ['compliance_officer'], ['auditor']] as const)(
    'a %s keeps the working view: holders masked with the document’s last 4, every SIM, notice and record',
    async (role) => {
      const staff = await makeStaff(t.app, [role])
      const page = (await numberPage(staff)).json()
      expect(page.account).toMatchObject({ view: 'work', held: true, withheld: [], verify_customer: false })
      expect(page.custodies).toEqual([
        expect.objectContaining({
          id: current.custodyId,
          subscriber: expect.objectContaining({ id: current.subscriberId, name_masked: 'B**** C******' }),
        }),
        expect.objectContaining({
          id: former.custodyId,
          subscriber: expect.objectContaining({
            id: former.subscriberId,
            name_masked: 'D*** F*****',
            kyc_doc_last4: former.subscriber.kyc_doc_number.slice(-4),
          }),
        }),
      ])
      expect(page.current_custody.subscriber.name).toBeUndefined()
      expect(page.current_custody.subscriber.alt_contact).toBeUndefined()
      expect(page.sim_bindings.map((b: { iccid: string }) => b.iccid)).toEqual([current.iccid, former.iccid])
      expect(page.history.some((h: { details_withheld: boolean }) => h.details_withheld)).toBe(false)

      const notices = (await noticesOf(staff)).json()
      expect(notices.notices.every((n: { withheld: boolean }) => !n.withheld)).toBe(true)
      expect(JSON.stringify(notices)).toContain(notes.formerBody)
      expect(notices.replies.map((m: { text: string }) => m.text)).toEqual(['hello bopha', 'hello dara'])
      expect((await recyclingOf(staff)).json()).toMatchObject({ withheld: false, cycle: expect.any(Object) })
      expect((await simOf(staff, former.iccid)).json().bindings[0]).toMatchObject({ msisdn, withheld: false })
    },
  )
})
