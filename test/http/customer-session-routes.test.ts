// Customer sessions opened with the ID document, the views of the other roles, releasing a lockout, and each
// route's refusals (401 without a session, 403 for the roles that must not, 400 for bad input).
import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { makeActiveNumber, makeRange, makeStaff, type TestStaff } from '../helpers/factories.ts'
import { auth, envelopeOf } from './support.ts'

let t: TestApp
const DAY = 86_400_000

beforeAll(async () => {
  // No SMSC: codes only queue here (the code flow over SMPP is customer-session.test.ts).
  t = await openTestApp()
})
afterAll(() => t.close())

function call(method: 'GET' | 'POST' | 'DELETE', url: string, token: string | null, payload?: object) {
  const options: InjectOptions = {
    method,
    url,
    headers: token ? auth(token) : {},
    ...(payload === undefined ? {} : { payload }),
  }
  return t.server.inject(options)
}

const byDocument = (agent: TestStaff, msisdn: string, document: string) =>
  call('POST', '/api/v1/customer-sessions', agent.token, { msisdn, method: 'id_document', document })

async function lockOut(agent: TestStaff, msisdn: string) {
  for (let i = 0; i < 5; i++) expect((await byDocument(agent, msisdn, `NOPE${i}`)).statusCode).toBe(403)
  const [lock] = await t.app.db.selectFrom('customer_auth_locks').selectAll().where('staff_id', '=', agent.id).execute()
  return lock
}

describe('the ID document', () => {
  it('opens a session when it matches the KYC hash (spaces, dashes and case aside), and the opening is recorded', async () => {
    const { msisdn, sale, subscriber } = await makeActiveNumber(t.app)
    const agent = await makeStaff(t.app, ['agent'])
    const typed = ` ${subscriber.kyc_doc_number.toLowerCase().replace(/^(..)/, '$1-')} `
    const res = await byDocument(agent, msisdn, typed)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ method: 'id_document', state: 'open', subscriber_id: sale.subscriber_id })
    const details = await call('GET', `/api/v1/subscribers/${sale.subscriber_id}`, agent.token)
    expect(details.json()).toMatchObject({ view: 'full', name: subscriber.name })
    const [leaf] = await t.app.db
      .selectFrom('audit_records')
      .selectAll()
      .where('action', '=', 'customer_session.opened')
      .where('msisdn', '=', msisdn)
      .execute()
    expect(envelopeOf(leaf)).toMatchObject({
      actor: { staff_id: agent.id },
      data: { method: 'id_document', staff_id: agent.id, subscriber_id: sale.subscriber_id },
    })
    expect(JSON.stringify(envelopeOf(leaf))).not.toContain(subscriber.kyc_doc_number)
  })

  it('is refused for 30 days after a KYC identity change; a code still works then', async () => {
    const { msisdn, sale, subscriber } = await makeActiveNumber(t.app)
    const agent = await makeStaff(t.app, ['agent'])
    // What the kyc_change request's executor records when it runs.
    await t.app.db
      .updateTable('subscribers')
      .set({ kyc_changed_at: t.clock.now() })
      .where('id', '=', sale.subscriber_id)
      .execute()
    const refused = await byDocument(agent, msisdn, subscriber.kyc_doc_number)
    expect(refused.statusCode).toBe(403)
    expect(refused.json()).toMatchObject({ code: 'id_authentication_refused', details: { field: 'method' } })
    const alerts = await t.app.db.selectFrom('alerts').selectAll().where('staff_id', '=', agent.id).execute()
    expect(alerts).toMatchObject([{ kind: 'customer_auth_refused', severity: 'warning', msisdn }])
    const code = await call('POST', '/api/v1/customer-sessions', agent.token, { msisdn, method: 'sms_code' })
    expect(code.statusCode).toBe(200)
    t.clock.advance(30 * DAY)
    const later = await makeStaff(t.app, ['agent'])
    expect((await byDocument(later, msisdn, subscriber.kyc_doc_number)).statusCode).toBe(200)
  })

  it('answers a number nobody holds with 409, an unknown number with 404', async () => {
    const agent = await makeStaff(t.app, ['agent'])
    const [free] = await makeRange(t.app, 1)
    const res = await byDocument(agent, free, 'KH123456')
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({ code: 'number_has_no_holder', details: { state: 'available' } })
    expect((await byDocument(agent, '+85519999999', 'KH123456')).statusCode).toBe(404)
  })
})

describe('what the other roles see', () => {
  it('supervisors, compliance officers and auditors keep their working view: names masked, numbers in full', async () => {
    const { msisdn, sale, subscriber } = await makeActiveNumber(t.app)
    for (const roles of [['supervisor'], ['compliance_officer'], ['auditor']] as const) {
      const viewer = await makeStaff(t.app, [...roles])
      const res = await call('GET', `/api/v1/subscribers/${sale.subscriber_id}`, viewer.token)
      expect(res.statusCode, roles.join()).toBe(200)
      expect(res.json()).toMatchObject({ view: 'work', custodies: [{ msisdn }], sims: null, customer_session: null })
      expect(res.json().kyc_doc_last4).toBe(subscriber.kyc_doc_number.slice(-4))
      expect(res.body).not.toContain(subscriber.name)
    }
  })
})

describe('releasing a lockout', () => {
  it('a supervisor of the agent’s own shop may not; one of another shop may, and the agent can try again', async () => {
    const { msisdn } = await makeActiveNumber(t.app)
    const agent = await makeStaff(t.app, ['agent'])
    const lock = await lockOut(agent, msisdn)
    const sameShop = await makeStaff(t.app, ['supervisor'], { shopId: agent.shopId })
    const url = `/api/v1/customer-auth-locks/${lock.id}/release`
    const refused = await call('POST', url, sameShop.token, { reason: 'customer was confused' })
    expect(refused.statusCode).toBe(403)
    const [alert] = await t.app.db.selectFrom('alerts').selectAll().where('staff_id', '=', sameShop.id).execute()
    expect(alert).toMatchObject({ kind: 'customer_lock_release_refused', msisdn })

    const otherShop = await makeStaff(t.app, ['supervisor'])
    const released = await call('POST', url, otherShop.token, { reason: 'checked the call recording' })
    expect(released.statusCode, released.body).toBe(200)
    expect(released.json()).toMatchObject({ active: false, released_by: { id: otherShop.id } })
    expect((await call('POST', url, otherShop.token, { reason: 'twice' })).json().code).toBe('lock_not_active')
    // The count starts again after the lock: one more failure, a minute later, leaves 4 attempts.
    t.clock.advance(60_000)
    expect((await byDocument(agent, msisdn, 'NOPE9')).json().details.attempts_left).toBe(4)
    const leaves = await t.app.db
      .selectFrom('audit_records')
      .select('envelope')
      .where('action', '=', 'customer_session.lock_released')
      .where('msisdn', '=', msisdn)
      .execute()
    expect(leaves.map(envelopeOf)).toMatchObject([{ data: { lock_id: lock.id, staff_id: agent.id } }])
  })

  it('a compliance officer may release any lock; the locked agent never their own', async () => {
    const { msisdn } = await makeActiveNumber(t.app)
    const agent = await makeStaff(t.app, ['agent', 'supervisor'])
    const lock = await lockOut(agent, msisdn)
    const url = `/api/v1/customer-auth-locks/${lock.id}/release`
    expect((await call('POST', url, agent.token, { reason: 'let me in' })).statusCode).toBe(403)
    const compliance = await makeStaff(t.app, ['compliance_officer'])
    expect((await call('POST', url, compliance.token, { reason: 'reviewed' })).statusCode).toBe(200)
  })
})

describe('the routes refuse', () => {
  it('without a session (401), for roles other than agent (403), and bad input (400)', async () => {
    const { msisdn } = await makeActiveNumber(t.app)
    const id = crypto.randomUUID()
    const routes = [
      ['POST', '/api/v1/customer-sessions', { msisdn, method: 'sms_code' }],
      ['POST', `/api/v1/customer-sessions/${id}/verify`, { code: '123456' }],
      ['DELETE', `/api/v1/customer-sessions/${id}`, undefined],
      ['GET', '/api/v1/customer-sessions', undefined],
    ] as const
    const supervisor = await makeStaff(t.app, ['supervisor'])
    for (const [method, url, payload] of routes) {
      expect((await call(method, url, null, payload)).statusCode, url).toBe(401)
      const res = await call(method, url, supervisor.token, payload)
      expect(res.statusCode, url).toBe(403)
      expect(res.json().code).toBe('forbidden')
    }
    const agent = await makeStaff(t.app, ['agent'])
    const bad = [
      [{ msisdn, method: 'fingerprint' }, 'method'],
      [{ method: 'sms_code' }, 'msisdn'],
      [{ msisdn: 'abc', method: 'sms_code' }, 'msisdn'],
      [{ msisdn, method: 'sms_code', document: 'KH1' }, 'document'],
      [{ msisdn, method: 'id_document' }, 'document'],
    ] as const
    for (const [payload, field] of bad) {
      const res = await call('POST', '/api/v1/customer-sessions', agent.token, payload)
      expect(res.statusCode, JSON.stringify(payload)).toBe(400)
      expect(res.json().details.field).toBe(field)
    }
    const verify = await call('POST', `/api/v1/customer-sessions/${id}/verify`, agent.token, { code: '12a456' })
    expect(verify.json().details.field).toBe('code')
    expect(
      (await call('POST', `/api/v1/customer-sessions/${id}/verify`, agent.token, { code: '123456' })).statusCode,
    ).toBe(404)
  })

  it('another agent’s challenge is not found for you', async () => {
    const { msisdn } = await makeActiveNumber(t.app)
    const [one, two] = [await makeStaff(t.app, ['agent']), await makeStaff(t.app, ['agent'])]
    const sent = (await call('POST', '/api/v1/customer-sessions', one.token, { msisdn, method: 'sms_code' })).json()
    expect(
      (await call('POST', `/api/v1/customer-sessions/${sent.id}/verify`, two.token, { code: '000000' })).statusCode,
    ).toBe(404)
    expect((await call('DELETE', `/api/v1/customer-sessions/${sent.id}`, two.token)).statusCode).toBe(404)
    const failures = await t.app.db
      .selectFrom('customer_auth_failures')
      .select('id')
      .where('msisdn', '=', msisdn)
      .execute()
    expect(failures).toHaveLength(0)
  })
})
