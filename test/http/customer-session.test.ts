// Customer sessions over HTTP (issue 4 item 2, invariant 10): an agent sees a subscriber's details only after
// authenticating the customer — with a code that really goes by SMPP to the embedded SMSC's inbox for the number and
// is read back, or with the ID document. Every opening and failure is recorded; repeated failures lock that agent
// out of that number only.
import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { whenBound } from '../../src/sms/runtime.ts'
import { sendDueNotices } from '../../src/sms/sender.ts'
import type { SmscSimulator } from '../../src/sms/simulator/index.ts'
import type { SmsTransport } from '../../src/sms/transport.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { makeActiveNumber, makeStaff, type TestStaff } from '../helpers/factories.ts'
import { auth, envelopeOf, extraSession } from './support.ts'

let t: TestApp
let smsc: SmscSimulator
let transport: SmsTransport
const MINUTE = 60_000

beforeAll(async () => {
  t = await openTestApp({}, { sms: 'simulator' })
  const link = t.app.sms
  if (!link?.smsc) throw new Error('expected the embedded SMSC simulator')
  smsc = link.smsc
  transport = link.transport
  await whenBound(transport)
  // Receipts are the notices feature's business; here they would only race the test's own writes.
  smsc.setBehaviour({ dropReceipts: true })
})
afterAll(() => t.close())

function call(method: 'GET' | 'POST' | 'DELETE', url: string, token: string, payload?: object) {
  const options: InjectOptions = { method, url, headers: auth(token), ...(payload === undefined ? {} : { payload }) }
  return t.server.inject(options)
}

async function sendCode(agent: TestStaff, msisdn: string) {
  const res = await call('POST', '/api/v1/customer-sessions', agent.token, { msisdn, method: 'sms_code' })
  expect(res.statusCode, res.body).toBe(200)
  return res.json() as { id: string; state: string; code_expires_at: string; notice_id: string }
}

/** Sends what is due and reads the newest code the phone of `msisdn` shows. */
async function codeOnPhone(msisdn: string): Promise<{ code: string; text: string }> {
  await sendDueNotices(t.app, transport)
  const text = smsc.inbox(msisdn).at(-1)?.text ?? ''
  const code = /\b(\d{6})\b/.exec(text)?.[1]
  if (!code) throw new Error(`no code on the phone of ${msisdn}: ${text}`)
  return { code, text }
}

const verify = (agent: TestStaff, id: string, code: string) =>
  call('POST', `/api/v1/customer-sessions/${id}/verify`, agent.token, { code })

const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0')

async function alertsOf(staffId: string, kind: string) {
  return t.app.db.selectFrom('alerts').selectAll().where('staff_id', '=', staffId).where('kind', '=', kind).execute()
}

async function auditOf(msisdn: string, action: string) {
  const rows = await t.app.db
    .selectFrom('audit_records')
    .selectAll()
    .where('msisdn', '=', msisdn)
    .where('action', '=', action)
    .orderBy('seq')
    .execute()
  return rows.map(envelopeOf)
}

describe('customer sessions opened with a code sent by SMS', () => {
  it('shows nothing before, sends a bound code to the phone, and shows everything once the agent types it', async () => {
    const { msisdn, sale, iccid } = await makeActiveNumber(t.app)
    const agent = await makeStaff(t.app, ['agent'])
    const url = `/api/v1/subscribers/${sale.subscriber_id}`

    const before = await call('GET', url, agent.token)
    expect(before.statusCode).toBe(403)
    expect(before.json()).toMatchObject({
      code: 'customer_session_required',
      details: { subscriber_id: sale.subscriber_id },
    })
    expect(before.json().message).toMatch(/Authenticate the customer first/)
    expect(await alertsOf(agent.id, 'customer_session_required')).toHaveLength(1)
    // The number page (search) says the number is held and offers the verification, nothing of the holder.
    const page = (await call('GET', `/api/v1/numbers/${msisdn}`, agent.token)).json()
    expect(page).toMatchObject({ current_custody: null, account: { held: true, verify_customer: true } })
    expect(JSON.stringify(page)).not.toContain(sale.subscriber_id)
    expect(JSON.stringify(page)).not.toContain('Sokha')

    const challenge = await sendCode(agent, msisdn)
    expect(challenge.state).toBe('awaiting_code')
    expect(new Date(challenge.code_expires_at).getTime() - t.clock.now().getTime()).toBe(10 * MINUTE)
    const { code, text } = await codeOnPhone(msisdn)
    // Khmer for this holder: who asks, from where, for which number, and that nobody calls to ask for it.
    expect(text).toContain(agent.username)
    expect(text).toContain(msisdn)
    expect(text).toContain('យើងមិនដែលហៅទៅសុំលេខកូដនេះពីអ្នកទេ')
    expect(text).toContain('១០ នាទី')
    // The code rests nowhere in clear: masked in the stored body, absent from every audit leaf, only an HMAC.
    const notice = await t.app.db
      .selectFrom('sms_notices')
      .select(['body_masked', 'priority', 'purpose'])
      .where('id', '=', challenge.notice_id)
      .executeTakeFirstOrThrow()
    expect(notice).toMatchObject({ priority: 'otp', purpose: 'customer_session_code' })
    expect(notice.body_masked).toContain('******')
    expect(notice.body_masked).not.toContain(code)
    const leaves = await t.app.db.selectFrom('audit_records').select('envelope').where('msisdn', '=', msisdn).execute()
    expect(JSON.stringify(leaves)).not.toContain(code)

    const opened = await verify(agent, challenge.id, code)
    expect(opened.statusCode, opened.body).toBe(200)
    expect(opened.json()).toMatchObject({ id: challenge.id, state: 'open', method: 'sms_code', msisdn })
    expect(new Date(opened.json().expires_at).getTime() - t.clock.now().getTime()).toBe(30 * MINUTE)
    const row = await t.app.db
      .selectFrom('customer_sessions')
      .selectAll()
      .where('id', '=', challenge.id)
      .executeTakeFirstOrThrow()
    expect(row).toMatchObject({ code_hash: null, code_salt: null, staff_session_id: agent.actor.sessionId })

    const inside = await call('GET', url, agent.token)
    expect(inside.statusCode, inside.body).toBe(200)
    expect(inside.json()).toMatchObject({
      view: 'full',
      name: 'Sokha Chan',
      customer_session: { id: challenge.id },
      custodies: [{ msisdn }],
      sims: [{ msisdn, iccid }],
    })
    expect(inside.json().kyc_doc_last4).toMatch(/^\w{4}$/)

    const [sent] = await auditOf(msisdn, 'customer_session.code_sent')
    expect(sent).toMatchObject({
      actor: { staff_id: agent.id },
      data: { customer_session_id: challenge.id, subscriber_id: sale.subscriber_id, notice_id: challenge.notice_id },
    })
    const [openedLeaf] = await auditOf(msisdn, 'customer_session.opened')
    expect(openedLeaf).toMatchObject({
      actor: { staff_id: agent.id },
      data: {
        customer_session_id: challenge.id,
        method: 'sms_code',
        staff_id: agent.id,
        subscriber_id: sale.subscriber_id,
      },
    })

    // Single use: the same code opens nothing twice.
    const again = await verify(agent, challenge.id, code)
    expect(again.statusCode).toBe(409)
    expect(again.json().code).toBe('customer_code_not_usable')

    // Closing the session closes the details.
    const closed = await call('DELETE', `/api/v1/customer-sessions/${challenge.id}`, agent.token)
    expect(closed.json()).toMatchObject({ state: 'closed', close_reason: 'closed_by_agent' })
    expect((await call('GET', url, agent.token)).statusCode).toBe(403)
    expect(await auditOf(msisdn, 'customer_session.closed')).toHaveLength(1)
  })

  it('lets a code expire after 10 minutes without counting it against the agent', async () => {
    const { msisdn } = await makeActiveNumber(t.app)
    const agent = await makeStaff(t.app, ['agent'])
    const challenge = await sendCode(agent, msisdn)
    const { code } = await codeOnPhone(msisdn)
    t.clock.advance(10 * MINUTE)
    const late = await verify(agent, challenge.id, code)
    expect(late.statusCode).toBe(409)
    expect(late.json()).toMatchObject({ code: 'customer_code_not_usable', details: { state: 'expired' } })
    const failures = await t.app.db
      .selectFrom('customer_auth_failures')
      .select('id')
      .where('staff_id', '=', agent.id)
      .execute()
    expect(failures).toHaveLength(0)
    expect(await auditOf(msisdn, 'customer_session.auth_failed')).toMatchObject([{ data: { reason: 'code_expired' } }])
  })

  it('ends the session after 30 minutes and with the agent’s sign-in', async () => {
    const { msisdn, sale } = await makeActiveNumber(t.app)
    const agent = await makeStaff(t.app, ['agent'])
    const url = `/api/v1/subscribers/${sale.subscriber_id}`
    const challenge = await sendCode(agent, msisdn)
    expect((await verify(agent, challenge.id, (await codeOnPhone(msisdn)).code)).statusCode).toBe(200)
    const listed = (await call('GET', '/api/v1/customer-sessions', agent.token)).json()
    expect(listed.items.map((s: { id: string }) => s.id)).toContain(challenge.id)

    // Another sign-in of the same agent is another staff session: the customer must be authenticated again there.
    const second = await extraSession(t.app, agent.id)
    expect((await call('GET', url, second.token)).statusCode).toBe(403)
    t.clock.advance(29 * MINUTE)
    expect((await call('GET', url, agent.token)).statusCode).toBe(200)
    t.clock.advance(MINUTE)
    const after = await call('GET', url, agent.token)
    expect(after.statusCode).toBe(403)
    expect((await call('GET', '/api/v1/customer-sessions', agent.token)).json().items).toEqual([])
  })
})

describe('failed attempts', () => {
  it('voids a code after 3 wrong entries and locks that agent out of that number after 5 failures — nobody else', async () => {
    const { msisdn, sale } = await makeActiveNumber(t.app)
    const { msisdn: otherNumber } = await makeActiveNumber(t.app)
    const agent = await makeStaff(t.app, ['agent'])
    const first = await sendCode(agent, msisdn)
    const { code } = await codeOnPhone(msisdn)
    const lefts: unknown[] = []
    for (let i = 0; i < 3; i++) {
      const res = await verify(agent, first.id, wrongCode(code))
      expect(res.statusCode).toBe(403)
      expect(res.json()).toMatchObject({
        code: 'customer_auth_failed',
        details: { reason: 'wrong_code', field: 'code' },
      })
      lefts.push([res.json().details.attempts_left, res.json().details.code_attempts_left])
    }
    expect(lefts).toEqual([
      [4, 2],
      [3, 1],
      [2, 0],
    ])
    // The right code no longer opens anything: the code is void.
    expect((await verify(agent, first.id, code)).json()).toMatchObject({ code: 'customer_code_not_usable' })
    expect(await alertsOf(agent.id, 'customer_auth_failed')).toHaveLength(3)

    const second = await sendCode(agent, msisdn)
    const { code: code2 } = await codeOnPhone(msisdn)
    expect((await verify(agent, second.id, wrongCode(code2))).json().details.attempts_left).toBe(1)
    const locking = await verify(agent, second.id, wrongCode(code2))
    expect(locking.statusCode).toBe(403)
    expect(locking.json().details).toMatchObject({ attempts_left: 0, locked_until: expect.any(String) })
    expect(locking.json().message).toMatch(/locked out/)

    const [lockout] = await alertsOf(agent.id, 'customer_auth_lockout')
    expect(lockout).toMatchObject({ severity: 'risk', msisdn, staff_id: agent.id })
    expect(await auditOf(msisdn, 'customer_session.locked_out')).toHaveLength(1)
    expect(await auditOf(msisdn, 'customer_session.auth_failed')).toHaveLength(5)

    // Locked: a new code, the ID document and the pending code are all refused for this agent on this number.
    const refused = await call('POST', '/api/v1/customer-sessions', agent.token, { msisdn, method: 'sms_code' })
    expect(refused.statusCode).toBe(429)
    expect(refused.json()).toMatchObject({ code: 'customer_auth_locked', details: { msisdn } })
    expect(await alertsOf(agent.id, 'customer_auth_attempt_while_locked')).toHaveLength(1)

    // The same agent on another number is not locked; another agent on this number is not; nor is the holder.
    await sendCode(agent, otherNumber)
    const colleague = await makeStaff(t.app, ['agent'])
    const theirs = await sendCode(colleague, msisdn)
    const opened = await verify(colleague, theirs.id, (await codeOnPhone(msisdn)).code)
    expect(opened.statusCode).toBe(200)
    expect((await call('GET', `/api/v1/subscribers/${sale.subscriber_id}`, colleague.token)).statusCode).toBe(200)
    const number = await t.app.db
      .selectFrom('numbers')
      .select('state')
      .where('msisdn', '=', msisdn)
      .executeTakeFirstOrThrow()
    expect(number.state).toBe('active')

    // Supervisors see the lock; it runs out after 24 hours and the count starts again.
    const supervisor = await makeStaff(t.app, ['supervisor'])
    const locks = (
      await call('GET', `/api/v1/customer-auth-locks?msisdn=${encodeURIComponent(msisdn)}`, supervisor.token)
    ).json()
    expect(locks.items).toMatchObject([{ staff: { id: agent.id }, msisdn, failures: 5, active: true }])
  })

  it('counts a document that does not match, and a lock runs out after 24 hours', async () => {
    const { msisdn } = await makeActiveNumber(t.app)
    const agent = await makeStaff(t.app, ['agent'])
    for (let i = 0; i < 5; i++) {
      const res = await call('POST', '/api/v1/customer-sessions', agent.token, {
        msisdn,
        method: 'id_document',
        document: `WRONG${i}`,
      })
      expect(res.statusCode).toBe(403)
      expect(res.json()).toMatchObject({
        code: 'customer_auth_failed',
        details: { reason: 'document_mismatch', attempts_left: 4 - i },
      })
    }
    expect(await alertsOf(agent.id, 'customer_auth_lockout')).toHaveLength(1)
    t.clock.advance(24 * 60 * MINUTE)
    // The staff session has ended by now (12 h): a new sign-in of the same agent.
    const again = await makeStaffSession(agent)
    const res = await call('POST', '/api/v1/customer-sessions', again.token, {
      msisdn,
      method: 'id_document',
      document: 'WRONG9',
    })
    expect(res.json().details.attempts_left).toBe(4)
  })

  it('limits codes to 5 a day per agent and number, a new code replacing the pending one', async () => {
    const { msisdn } = await makeActiveNumber(t.app)
    const agent = await makeStaff(t.app, ['agent'])
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push((await sendCode(agent, msisdn)).id)
    const states = await t.app.db
      .selectFrom('customer_sessions')
      .select(['id', 'state', 'close_reason'])
      .where('msisdn', '=', msisdn)
      .execute()
    expect(states.filter((s) => s.state === 'awaiting_code').map((s) => s.id)).toEqual([ids[4]])
    expect(states.filter((s) => s.close_reason === 'superseded')).toHaveLength(4)
    const sixth = await call('POST', '/api/v1/customer-sessions', agent.token, { msisdn, method: 'sms_code' })
    expect(sixth.statusCode).toBe(429)
    expect(sixth.json().code).toBe('customer_code_limit')
  })
})

/** A fresh staff session for an existing agent (the first expired with the clock). */
async function makeStaffSession(staff: TestStaff): Promise<TestStaff> {
  const s = await extraSession(t.app, staff.id)
  return { ...staff, token: s.token, actor: { ...staff.actor, sessionId: s.id } }
}
