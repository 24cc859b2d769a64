// Invariant 8 across the permission layer (issue 9 item 7): every 403 to a known staff member or machine client
// leaves an alert naming them — the access hook's wrong-role refusals included — exactly once, and identical
// refusals in a loop count repeats on one alert instead of flooding the list.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ALERT_REPEAT_WINDOW_MS } from '../../src/audit/alerts.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { openCustomerSession } from '../helpers/customer-session.ts'
import { makeActiveNumber, makeSims, makeStaff, type TestStaff } from '../helpers/factories.ts'
import { FakeTransport } from '../helpers/sms.ts'
import { auth, makeMachineClient } from './support.ts'

let t: TestApp
let agent: TestStaff
let manager: TestStaff
let compliance: TestStaff

const inject = (who: { token: string }, method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
  t.server.inject({ method, url, headers: auth(who.token), ...(payload ? { payload } : {}) })

const alertRow = (id: string) =>
  t.app.db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
const alertsOf = (staffId: string) =>
  t.app.db.selectFrom('alerts').selectAll().where('staff_id', '=', staffId).execute()

beforeAll(async () => {
  t = await openTestApp({}, { sms: { transport: new FakeTransport() } })
  agent = await makeStaff(t.app, ['agent'])
  manager = await makeStaff(t.app, ['inventory_manager'])
  compliance = await makeStaff(t.app, ['compliance_officer'])
  await makeStaff(t.app, ['supervisor']) // of another shop: the transfer's approver
})
afterAll(() => t.close())

describe('a refusal by the permission layer', () => {
  it('leaves a risk alert naming the agent who tries to approve their own transfer', async () => {
    const { msisdn, subscriber } = await makeActiveNumber(t.app, { agent })
    const [iccid] = await makeSims(t.app, agent.shopId as string, 1)
    await openCustomerSession(t.server, agent, msisdn, subscriber.kyc_doc_number)
    const filed = await inject(agent, 'POST', `/api/v1/numbers/${encodeURIComponent(msisdn)}/transfer`, {
      iccid,
      new_subscriber: {
        party_kind: 'person',
        account_type: 'prepaid',
        name: 'New Holder',
        kyc_doc_kind: 'passport',
        kyc_doc_number: 'N1234567',
        language: 'en',
      },
    })
    expect(filed.statusCode, filed.body).toBe(200)
    const request = filed.json() as { id: string; payload_sha256: string }

    const res = await inject(agent, 'POST', `/api/v1/requests/${request.id}/approve`, {
      payload_sha256: request.payload_sha256,
    })
    expect(res.statusCode).toBe(403)
    expect(res.json()).toMatchObject({ code: 'forbidden', details: { action: 'decide_requests' } })
    const alert = await alertRow(res.json().details.alert_id)
    expect(alert).toMatchObject({ kind: 'permission_denied', severity: 'risk', staff_id: agent.id, repeats: 1 })
    expect(alert.session_id).toBe(agent.actor.sessionId)
    expect(alert.attempt).toMatchObject({
      permission: 'decide_requests',
      roles: ['agent'],
      route: 'POST /api/v1/requests/:id/approve',
      id: request.id,
    })
    // Its audit record came with it, as for any alert.
    const raised = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM audit_records
       WHERE action = 'alert.raised' AND envelope->'after'->>'alert_id' = ${alert.id}`.execute(t.app.db)
    expect(raised.rows[0].n).toBe(1)
  })

  it('leaves one alert for a wrong-role read, and shows it in the alerts API', async () => {
    const res = await inject(manager, 'GET', '/api/v1/alerts')
    expect(res.statusCode).toBe(403)
    const id = res.json().details.alert_id as string
    expect(await alertRow(id)).toMatchObject({ kind: 'permission_denied', severity: 'info', staff_id: manager.id })
    expect((await alertsOf(manager.id)).filter((a) => a.kind === 'permission_denied')).toHaveLength(1)

    const listed = await inject(compliance, 'GET', `/api/v1/alerts?kind=permission_denied`)
    const item = listed.json().items.find((a: { id: string }) => a.id === id)
    expect(item).toMatchObject({ staff_id: manager.id, staff_username: manager.username, repeats: 1 })
    expect(item.last_seen_at).toBe(item.raised_at)
  })

  it('names the machine client whose token lacks the route’s scope', async () => {
    const client = await makeMachineClient(t.app, ['number-recycling:check'])
    const token = await t.server.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { grant_type: 'client_credentials', client_id: client.id, client_secret: client.secret },
    })
    expect(token.statusCode, token.body).toBe(200)
    const res = await t.server.inject({
      method: 'POST',
      url: '/api/v1/activity',
      headers: auth(token.json().access_token),
      payload: { events: [] },
    })
    expect(res.statusCode).toBe(403)
    const alert = await alertRow(res.json().details.alert_id)
    expect(alert).toMatchObject({ kind: 'permission_denied', client_id: client.id, staff_id: null })
    expect(alert.attempt).toMatchObject({ scope: 'activity:ingest', scopes: ['number-recycling:check'] })
  })
})

describe('identical refusals in a loop', () => {
  it('leave one alert whose repeat count is the number of refusals, each repeat audited', async () => {
    const looper = await makeStaff(t.app, ['auditor'])
    const ids = new Set<string>()
    for (let i = 0; i < 50; i++) {
      const res = await inject(looper, 'POST', '/api/v1/shops', { id: 'loop-shop', name: 'Loop' })
      expect(res.statusCode).toBe(403)
      ids.add(res.json().details.alert_id)
    }
    expect(ids.size).toBe(1)
    const alerts = (await alertsOf(looper.id)).filter((a) => a.kind === 'permission_denied')
    expect(alerts).toHaveLength(1)
    expect(alerts[0]).toMatchObject({ repeats: 50, severity: 'risk' })
    const repeated = await sql<{ n: number; last: number }>`
      SELECT count(*)::int AS n, max((envelope->'after'->>'repeats')::int) AS last FROM audit_records
       WHERE action = 'alert.repeated' AND envelope->'after'->>'alert_id' = ${alerts[0].id}`.execute(t.app.db)
    expect(repeated.rows[0]).toEqual({ n: 49, last: 50 })
    const listed = await inject(compliance, 'GET', '/api/v1/alerts?kind=permission_denied&limit=200')
    expect(listed.json().items.find((a: { id: string }) => a.id === alerts[0].id)).toMatchObject({ repeats: 50 })
  })

  it('start a new alert once the window has passed', async () => {
    const looper = await makeStaff(t.app, ['auditor'])
    const first = await inject(looper, 'POST', '/api/v1/shops', { id: 'loop-shop-2', name: 'Loop' })
    t.clock.advance(ALERT_REPEAT_WINDOW_MS + 1000)
    const second = await inject(looper, 'POST', '/api/v1/shops', { id: 'loop-shop-2', name: 'Loop' })
    expect(second.json().details.alert_id).not.toBe(first.json().details.alert_id)
    expect((await alertsOf(looper.id)).map((a) => a.repeats)).toEqual([1, 1])
  })

  it('count separately what differs: another route is another alert', async () => {
    const looper = await makeStaff(t.app, ['auditor'])
    const a = await inject(looper, 'POST', '/api/v1/shops', { id: 'loop-shop-3', name: 'Loop' })
    const b = await inject(looper, 'POST', '/api/v1/sims/allocate', { shop_id: 'x', count: 1 })
    expect(a.json().details.alert_id).not.toBe(b.json().details.alert_id)
  })
})

describe('the database keeps alerts insert-only but for the count', () => {
  const anAlert = async () => {
    const res = await inject(manager, 'POST', '/api/v1/shops', { id: 'manager-shop', name: 'No' })
    expect(res.statusCode).toBe(403)
    return res.json().details.alert_id as string
  }

  it('refuses any other change to an alert, even with an audit record', async () => {
    const id = await anAlert()
    await expect(sql`UPDATE alerts SET severity = 'info' WHERE id = ${id}`.execute(t.app.db)).rejects.toThrow()
    await expect(
      sql`UPDATE alerts SET repeats = repeats + 5, last_seen_at = last_seen_at WHERE id = ${id}`.execute(t.app.db),
    ).rejects.toThrow()
    await expect(sql`DELETE FROM alerts WHERE id = ${id}`.execute(t.app.db)).rejects.toThrow()
    expect(await alertRow(id)).toMatchObject({ repeats: 1 })
  })

  it('refuses even the one-step count without its audit record in the same transaction', async () => {
    const id = await anAlert()
    const { repeats } = await alertRow(id)
    await expect(
      t.app.db.transaction().execute((tx) => sql`UPDATE alerts SET repeats = repeats + 1 WHERE id = ${id}`.execute(tx)),
    ).rejects.toThrow(/audit record/)
    expect(await alertRow(id)).toMatchObject({ repeats })
  })
})
