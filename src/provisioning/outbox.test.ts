import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { makeRange, makeStaff, SYSTEM } from '../../test/helpers/factories.ts'
import { bearer, machineClient, type TestClient } from '../activity/test-support.ts'
import { audited, recordAudit } from '../audit/record.ts'
import { runCommand } from '../audit/run-command.ts'
import { BACKLOG_ALERT_PERIOD_MS, MAX_ATTEMPTS, retryDelayMs } from './commands.ts'
import { checkProvisioningBacklog, enqueueProvisioning, type ProvisioningKind } from './index.ts'

let t: TestApp
let hlr: TestClient
let hss: TestClient

beforeAll(async () => {
  t = await openTestApp()
  hlr = await machineClient(t.app, ['provisioning'])
  hss = await machineClient(t.app, ['provisioning'])
})
afterAll(async () => t.close())

/** Enqueues events the way a recycling step does: in a command with its own audit record. */
async function enqueue(msisdn: string, ...kinds: ProvisioningKind[]): Promise<string[]> {
  return runCommand(t.app.deps, SYSTEM, async (ctx) => {
    const ids: string[] = []
    for (const kind of kinds) ids.push((await enqueueProvisioning(ctx, { msisdn, kind, payload: { kind } })).eventId)
    return audited(ids, [await recordAudit(ctx, { action: 'number.suspended', msisdn })])
  })
}

async function call(client: TestClient, method: 'GET' | 'POST', url: string, payload?: object) {
  const res = await t.server.inject({ method, url, headers: bearer(await client.token()), payload })
  return { status: res.statusCode, json: res.json() }
}
const claim = (client: TestClient, limit = 500, lease_seconds?: number) =>
  call(client, 'POST', '/api/v1/provisioning/claim', { limit, ...(lease_seconds ? { lease_seconds } : {}) })
const ack = (client: TestClient, id: string) => call(client, 'POST', `/api/v1/provisioning/events/${id}/ack`)
const nack = (client: TestClient, id: string, error = 'HLR timeout') =>
  call(client, 'POST', `/api/v1/provisioning/events/${id}/nack`, { error })
const idsOf = (r: { json: { items: { id: string }[] } }) => r.json.items.map((e) => e.id)

/** Acknowledges whatever is claimable, so each test starts from an empty queue. */
async function drain() {
  for (;;) {
    const got = await claim(hlr)
    if (got.json.items.length === 0) return
    for (const id of idsOf(got)) await ack(hlr, id)
  }
}

describe('enqueueProvisioning', () => {
  test('writes an event in the caller transaction; a rolled-back command leaves none', async () => {
    const [msisdn] = await makeRange(t.app, 1)
    const [id] = await enqueue(msisdn, 'bar_outgoing')
    const row = await t.app.db
      .selectFrom('provisioning_events')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
    expect(row).toMatchObject({
      msisdn,
      kind: 'bar_outgoing',
      attempts: 0,
      acked_at: null,
      payload: { kind: 'bar_outgoing' },
    })
    await expect(
      runCommand(t.app.deps, SYSTEM, async (ctx) => {
        await enqueueProvisioning(ctx, { msisdn, kind: 'unbar' })
        throw new Error('the step failed')
      }),
    ).rejects.toThrow('the step failed')
    const all = await t.app.db.selectFrom('provisioning_events').select('kind').where('msisdn', '=', msisdn).execute()
    expect(all).toEqual([{ kind: 'bar_outgoing' }])
    await drain()
  })
})

describe('claim, ack, nack', () => {
  test('a claimed event is leased to one consumer, acknowledged once, and audited', async () => {
    const [msisdn] = await makeRange(t.app, 1)
    const [id] = await enqueue(msisdn, 'bar_outgoing')
    const first = await claim(hlr)
    expect(first.status).toBe(200)
    expect(first.json.items).toMatchObject([
      { id, msisdn, kind: 'bar_outgoing', attempts: 1, claimed_by: hlr.clientId },
    ])
    expect(idsOf(await claim(hss))).toEqual([])
    expect((await ack(hss, id)).status).toBe(409)
    expect(await ack(hlr, id)).toMatchObject({ status: 200, json: { id, outcome: 'acked' } })
    expect(await ack(hlr, id)).toMatchObject({ status: 200, json: { outcome: 'already_acked' } })
    expect((await ack(hlr, '0b8f4b8e-6c1a-4d1e-9d0a-3f7c2b1a9e55')).status).toBe(404)
    const audits = await t.app.db
      .selectFrom('audit_records')
      .select('envelope')
      .where('action', '=', 'provisioning.acked')
      .where('msisdn', '=', msisdn)
      .execute()
    expect(audits).toHaveLength(1)
    expect(audits[0].envelope).toMatchObject({
      actor: { kind: 'machine', client_id: hlr.clientId },
      data: { events: [{ id }] },
    })
  })

  test('a number’s events go out in order, one at a time; other numbers are not held up', async () => {
    const [a, b] = await makeRange(t.app, 2)
    const [bar, withdraw, restore] = await enqueue(a, 'bar_outgoing', 'withdraw', 'restore')
    const [other] = await enqueue(b, 'sim_change')
    expect(idsOf(await claim(hlr))).toEqual([bar, other])
    expect(idsOf(await claim(hss))).toEqual([])
    await ack(hlr, other)
    await nack(hlr, bar)
    // Backing off still holds the later events back.
    expect(idsOf(await claim(hss))).toEqual([])
    t.clock.advance(retryDelayMs(1))
    expect(idsOf(await claim(hss))).toEqual([bar])
    await ack(hss, bar)
    expect(idsOf(await claim(hlr))).toEqual([withdraw])
    await ack(hlr, withdraw)
    expect(idsOf(await claim(hlr))).toEqual([restore])
    await ack(hlr, restore)
  })

  test('an expired lease makes the event claimable again, by another consumer; the first can no longer ack it', async () => {
    const [msisdn] = await makeRange(t.app, 1)
    const [id] = await enqueue(msisdn, 'unbar')
    expect(idsOf(await claim(hlr, 10, 30))).toEqual([id])
    t.clock.advance(29_000)
    expect(idsOf(await claim(hss))).toEqual([])
    t.clock.advance(2_000)
    const again = await claim(hss)
    expect(again.json.items).toMatchObject([{ id, attempts: 2, claimed_by: hss.clientId }])
    expect((await ack(hlr, id)).status).toBe(409)
    expect((await ack(hss, id)).json.outcome).toBe('acked')
  })

  test('failures back off exponentially, then the event is dead, alerted and blocks its number until requeued', async () => {
    const [msisdn] = await makeRange(t.app, 1)
    const [id, later] = await enqueue(msisdn, 'withdraw', 'sim_change')
    const delays: number[] = []
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const got = await claim(hlr)
      expect(idsOf(got)).toEqual([id])
      const out = await nack(hlr, id, `HLR said no (${attempt})`)
      expect(out.status).toBe(200)
      if (attempt < MAX_ATTEMPTS) {
        const wait = new Date(out.json.next_attempt_at).getTime() - t.clock.now().getTime()
        delays.push(wait)
        expect(idsOf(await claim(hlr))).toEqual([])
        t.clock.advance(wait)
      } else expect(out.json).toMatchObject({ dead: true, next_attempt_at: null })
    }
    expect(delays.slice(0, 4)).toEqual([30_000, 60_000, 120_000, 240_000])
    t.clock.advance(24 * 3_600_000)
    expect(idsOf(await claim(hlr))).toEqual([])
    const alerts = await t.app.db
      .selectFrom('alerts')
      .selectAll()
      .where('kind', '=', 'provisioning_dead_letter')
      .where('msisdn', '=', msisdn)
      .execute()
    expect(alerts).toHaveLength(1)
    expect(alerts[0].attempt).toMatchObject({
      event_id: id,
      attempts: MAX_ATTEMPTS,
      last_error: `HLR said no (${MAX_ATTEMPTS})`,
    })

    const operator = await makeStaff(t.app, ['inventory_manager'])
    const agent = await makeStaff(t.app, ['agent'])
    const dead = await t.server.inject({
      method: 'GET',
      url: '/api/v1/provisioning/events?state=dead',
      headers: bearer(operator.token),
    })
    expect(dead.json().items.map((e: { id: string }) => e.id)).toContain(id)
    const requeue = (token: string) =>
      t.server.inject({ method: 'POST', url: `/api/v1/provisioning/events/${id}/requeue`, headers: bearer(token) })
    expect((await requeue(agent.token)).statusCode).toBe(403)
    expect((await requeue(operator.token)).statusCode).toBe(200)
    expect((await requeue(operator.token)).json().code).toBe('not_dead')
    expect((await claim(hlr)).json.items).toMatchObject([{ id, attempts: 1 }])
    await ack(hlr, id)
    expect(idsOf(await claim(hlr))).toEqual([later])
    await ack(hlr, later)
  })

  test('a consumer that never answers uses up its attempts too: the worker dead-letters the event', async () => {
    const [msisdn] = await makeRange(t.app, 1)
    const [id] = await enqueue(msisdn, 'bar_outgoing')
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      expect(idsOf(await claim(hlr, 10, 10))).toEqual([id])
      t.clock.advance(11_000)
    }
    expect(idsOf(await claim(hlr))).toEqual([])
    const out = await checkProvisioningBacklog(t.app)
    expect(out.deadLettered).toBe(1)
    const row = await t.app.db
      .selectFrom('provisioning_events')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
    expect(row.dead_at).not.toBeNull()
    expect(row.last_error).toBe('lease expired without an acknowledgement')
    expect((await checkProvisioningBacklog(t.app)).deadLettered).toBe(0)
  })
})

describe('backlog alert and status', () => {
  test('raises provisioning_backlog once per period while old events wait; status counts them', async () => {
    await drain()
    const [msisdn] = await makeRange(t.app, 1)
    await enqueue(msisdn, 'unbar')
    const count = async () =>
      (await t.app.db.selectFrom('alerts').select('id').where('kind', '=', 'provisioning_backlog').execute()).length
    const before = await count()
    expect((await checkProvisioningBacklog(t.app)).backlogAlerts).toBe(0)
    t.clock.advance(16 * 60_000)
    expect((await checkProvisioningBacklog(t.app)).backlogAlerts).toBe(1)
    expect((await checkProvisioningBacklog(t.app)).backlogAlerts).toBe(0)
    t.clock.advance(BACKLOG_ALERT_PERIOD_MS / 2)
    expect((await checkProvisioningBacklog(t.app)).backlogAlerts).toBe(0)
    t.clock.advance(BACKLOG_ALERT_PERIOD_MS / 2 + 1000)
    expect((await checkProvisioningBacklog(t.app)).backlogAlerts).toBe(1)
    expect(await count()).toBe(before + 2)

    const auditor = await makeStaff(t.app, ['auditor'])
    const status = await t.server.inject({
      method: 'GET',
      url: '/api/v1/provisioning/status',
      headers: bearer(auditor.token),
    })
    expect(status.statusCode).toBe(200)
    expect(status.json()).toMatchObject({ pending: 1, backlog: true })
    expect(status.json().oldest_pending_age_seconds).toBeGreaterThan(15 * 60)
    const agent = await makeStaff(t.app, ['agent'])
    const refused = await t.server.inject({
      method: 'GET',
      url: '/api/v1/provisioning/status',
      headers: bearer(agent.token),
    })
    expect(refused.statusCode).toBe(403)
    await drain()
  })
})

describe('access', () => {
  test('consumer routes need the provisioning scope', async () => {
    const charging = await machineClient(t.app, ['activity:ingest'])
    expect((await claim(charging)).status).toBe(403)
    const staff = await makeStaff(t.app, ['compliance_officer'])
    const res = await t.server.inject({
      method: 'POST',
      url: '/api/v1/provisioning/claim',
      headers: bearer(staff.token),
      payload: {},
    })
    expect(res.statusCode).toBe(401)
    expect((await t.server.inject({ method: 'POST', url: '/api/v1/provisioning/claim', payload: {} })).statusCode).toBe(
      401,
    )
    expect((await call(hlr, 'POST', '/api/v1/provisioning/claim', { limit: 0 })).status).toBe(400)
    expect((await call(hlr, 'POST', '/api/v1/provisioning/events/not-a-uuid/nack', { error: 'x' })).status).toBe(400)
  })
})
