import { createHash, randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { makeActiveNumber, makeRange, makeStaff, SYSTEM } from '../../test/helpers/factories.ts'
import { audited, recordAudit } from '../audit/record.ts'
import { runCommand } from '../audit/run-command.ts'
import { withdrawToAging } from '../changes/custody-moves.ts'
import { lockHolding } from '../changes/holding.ts'
import { feedHealth, usageSince } from './index.ts'
import { bearer, machineClient, machineToken, type TestClient, withdrawForTest } from './test-support.ts'

let t: TestApp
let charging: TestClient
const DAY = 86_400_000

beforeAll(async () => {
  t = await openTestApp()
  charging = await machineClient(t.app, ['activity:ingest'])
})
afterAll(async () => t.close())

let ids = 0
const nextId = () => `ev-${++ids}`
const iso = (ms: number) => new Date(ms).toISOString()
const now = () => t.clock.now().getTime()

async function post(body: unknown, given?: string) {
  const token = given ?? (await charging.token())
  const payload = typeof body === 'string' ? body : JSON.stringify(body)
  const res = await t.server.inject({
    method: 'POST',
    url: '/api/v1/activity',
    headers: { ...bearer(token), 'content-type': 'application/json' },
    payload,
  })
  return { res, json: res.json(), payload }
}

async function stateOf(msisdn: string) {
  return t.app.db
    .selectFrom('recycling_state')
    .innerJoin('custodies', 'custodies.id', 'recycling_state.custody_id')
    .select(['recycling_state.custody_id', 'cycle_started_at', 'cycle_no', 'last_usage_at', 'next_due_at', 'stage'])
    .where('recycling_state.msisdn', '=', msisdn)
    .orderBy('custodies.started_at', 'desc')
    .executeTakeFirstOrThrow()
}

/** A number sold a day ago (so events dated since then find its custody). */
async function heldNumber() {
  const { msisdn } = await makeActiveNumber(t.app)
  t.clock.advance(DAY)
  return msisdn
}

describe('POST /api/v1/activity access', () => {
  test('401 without a token, 403 for staff and for a client without the scope', async () => {
    const body = { events: [] }
    const none = await t.server.inject({ method: 'POST', url: '/api/v1/activity', payload: body })
    expect(none.statusCode).toBe(401)
    const staff = await makeStaff(t.app, ['inventory_manager'])
    expect((await post(body, staff.token)).res.statusCode).toBe(401)
    const other = await machineToken(t.app, ['provisioning'])
    const wrong = await post(body, other.token)
    expect(wrong.res.statusCode).toBe(403)
    expect(wrong.json.code).toBe('forbidden')
  })

  test('a malformed envelope is a 400 naming the field; rows are never judged that way', async () => {
    expect((await post('{"events": [')).res.statusCode).toBe(400)
    const missing = await post({ source: 'charging' })
    expect(missing.res.statusCode).toBe(400)
    expect(missing.json.details.field).toBe('events')
    expect((await post({ events: {} })).json.details.field).toBe('events')
    expect((await post({ events: [], extra: 1 })).res.statusCode).toBe(400)
    const tooMany = await post({ events: Array.from({ length: 10_001 }, () => ({})) })
    expect(tooMany.res.statusCode).toBe(400)
    expect(tooMany.json.details.field).toBe('events')
    expect((await post({ source: 'bad source!', events: [] })).res.statusCode).toBe(400)
  })
})

describe('per-row outcomes', () => {
  test('each bad row is reported by index and code; the good rows are accepted', async () => {
    const msisdn = await heldNumber()
    const [unheld] = await makeRange(t.app, 1)
    const good = {
      msisdn,
      kind: 'topup',
      amount: '1.00',
      occurred_at: iso(now() - 3_600_000),
      source: 'ocs',
      external_id: nextId(),
    }
    const events = [
      good,
      { ...good, external_id: nextId(), kind: 'refund' },
      { ...good, external_id: nextId(), occurred_at: '2026-02-30T10:00:00Z' },
      { ...good, external_id: nextId(), occurred_at: iso(now() + 3_600_000) },
      { ...good, external_id: nextId(), occurred_at: iso(now() + 60_000) }, // within the clock skew: accepted
      { ...good, external_id: nextId(), msisdn: '+85599999999' },
      { ...good, external_id: nextId(), msisdn: unheld },
      { ...good, external_id: nextId(), msisdn: 'twelve' },
      { ...good, external_id: nextId(), amount: '-5' },
      { ...good, external_id: nextId(), amount: undefined },
      { ...good, external_id: undefined },
      { ...good, external_id: nextId(), source: undefined },
      { ...good, external_id: nextId(), occurred_at: iso(t.clock.now().getTime() - 400 * DAY) },
      good,
      { ...good, amount: '2.00' },
      'not an object',
    ]
    const { res, json } = await post({ events })
    expect(res.statusCode).toBe(200)
    const byIndex = Object.fromEntries(json.rows.map((r: { index: number }) => [r.index, r]))
    expect(byIndex[1]).toMatchObject({ code: 'invalid', field: 'kind' })
    expect(byIndex[2]).toMatchObject({ code: 'invalid', field: 'occurred_at' })
    expect(byIndex[3]).toMatchObject({ code: 'in_future', field: 'occurred_at' })
    expect(byIndex[4]).toBeUndefined()
    expect(byIndex[5]).toMatchObject({ code: 'unknown_number' })
    expect(byIndex[6]).toMatchObject({ code: 'not_in_custody' })
    expect(byIndex[7]).toMatchObject({ code: 'invalid', field: 'msisdn' })
    expect(byIndex[8]).toMatchObject({ code: 'invalid', field: 'amount' })
    expect(byIndex[9]).toMatchObject({ code: 'invalid', field: 'amount' })
    expect(byIndex[10]).toMatchObject({ code: 'invalid', field: 'external_id', external_id: null })
    expect(byIndex[11]).toMatchObject({ code: 'invalid', field: 'source' })
    expect(byIndex[12]).toMatchObject({ code: 'not_in_custody' }) // before the sale
    expect(byIndex[13]).toMatchObject({ code: 'duplicate', external_id: good.external_id })
    expect(byIndex[14]).toMatchObject({ code: 'conflict' })
    expect(byIndex[15]).toMatchObject({ code: 'invalid', field: 'event' })
    expect(json).toMatchObject({ received: 16, accepted: 2, duplicate: 1, rejected: 13 })
    expect(json.rows).toHaveLength(14)
    const batch = await t.app.db
      .selectFrom('activity_batches')
      .selectAll()
      .where('id', '=', json.batch_id)
      .executeTakeFirstOrThrow()
    expect((batch.rejections as unknown[]).length).toBe(13)
  })

  test('national and international spellings of a number reach the same custody', async () => {
    const msisdn = await heldNumber()
    const national = `0${msisdn.slice(4)}`
    const at = iso(now() - 1000)
    const { json } = await post({
      source: 'ocs',
      events: [
        { msisdn: national, kind: 'usage', occurred_at: at, external_id: nextId() },
        { msisdn: msisdn.slice(1), kind: 'usage', occurred_at: at, external_id: nextId() },
        {
          msisdn: `00${msisdn.slice(1)}`,
          kind: 'payment',
          amount: 3,
          currency: 'USD',
          occurred_at: at,
          external_id: nextId(),
        },
      ],
    })
    expect(json).toMatchObject({ accepted: 3, rejected: 0 })
    const stored = await t.app.db
      .selectFrom('activity_events')
      .select('msisdn')
      .where('batch_id', '=', json.batch_id)
      .execute()
    expect(stored.map((r) => r.msisdn)).toEqual([msisdn, msisdn, msisdn])
  })
})

describe('idempotency and the audit record', () => {
  test('a replayed batch reports duplicates and changes nothing; each batch writes one audit record with its SHA-256', async () => {
    const msisdn = await heldNumber()
    const body = {
      events: [
        {
          msisdn,
          kind: 'topup',
          amount: '5',
          occurred_at: iso(now() - 7_200_000),
          source: 'ocs',
          external_id: nextId(),
        },
        { msisdn, kind: 'usage', occurred_at: iso(now() - 3_600_000), source: 'ocs', external_id: nextId() },
      ],
    }
    const first = await post(body)
    expect(first.json).toMatchObject({ accepted: 2, duplicate: 0, cycles_restarted: 1 })
    const before = await stateOf(msisdn)
    t.clock.advance(60_000)
    const again = await post(body)
    expect(again.json).toMatchObject({ accepted: 0, duplicate: 2, rejected: 0, cycles_restarted: 0 })
    expect(again.json.rows.map((r: { code: string }) => r.code)).toEqual(['duplicate', 'duplicate'])
    expect(await stateOf(msisdn)).toEqual(before)
    for (const sent of [first, again]) {
      const audits = await t.app.db
        .selectFrom('audit_records')
        .select(['envelope', 'action'])
        .where('action', '=', 'activity.ingested')
        .execute()
      const mine = audits.filter(
        (a) => (a.envelope as { data: { batch_id: string } }).data.batch_id === sent.json.batch_id,
      )
      expect(mine).toHaveLength(1)
      const sha = createHash('sha256').update(sent.payload).digest('hex')
      expect(mine[0].envelope).toMatchObject({ basis: sha, data: { input_sha256: sha, sources: ['ocs'] } })
      expect(sent.json.input_sha256).toBe(sha)
    }
  })
})

describe('inactivity cycle', () => {
  test('a qualifying event restarts the cycle and makes the custody due; usage moves only last_usage_at', async () => {
    const msisdn = await heldNumber()
    const start = await stateOf(msisdn)
    const usageAt = iso(now() - 1000)
    await post({ source: 'ocs', events: [{ msisdn, kind: 'usage', occurred_at: usageAt, external_id: nextId() }] })
    const afterUsage = await stateOf(msisdn)
    expect(afterUsage).toMatchObject({ cycle_no: start.cycle_no, cycle_started_at: start.cycle_started_at })
    expect(afterUsage.last_usage_at?.toISOString()).toBe(usageAt)
    t.clock.advance(DAY)
    // As the worker leaves it between steps: next look due in the future.
    await t.app.db
      .updateTable('recycling_state')
      .set({ next_due_at: new Date(now() + 50 * DAY) })
      .where('custody_id', '=', start.custody_id)
      .execute()
    const topupAt = iso(now() - 2000)
    const out = await post({
      source: 'ocs',
      events: [{ msisdn, kind: 'topup', amount: '1', occurred_at: topupAt, external_id: nextId() }],
    })
    expect(out.json.cycles_restarted).toBe(1)
    const moved = await stateOf(msisdn)
    expect(moved.cycle_no).toBe(start.cycle_no + 1)
    expect(moved.cycle_started_at.toISOString()).toBe(topupAt)
    expect(moved.next_due_at?.toISOString()).toBe(t.clock.now().toISOString())
    expect(moved.last_usage_at?.toISOString()).toBe(usageAt)
  })

  test('out of order: an older event is stored but never moves the cycle back', async () => {
    const msisdn = await heldNumber()
    const late = iso(now() - 1000)
    const early = iso(now() - 20 * 3_600_000)
    await post({
      source: 'ocs',
      events: [{ msisdn, kind: 'topup', amount: '1', occurred_at: late, external_id: nextId() }],
    })
    const after = await stateOf(msisdn)
    const old = await post({
      source: 'ocs',
      events: [
        { msisdn, kind: 'payment', amount: '1', occurred_at: early, external_id: nextId() },
        { msisdn, kind: 'usage', occurred_at: early, external_id: nextId() },
      ],
    })
    expect(old.json).toMatchObject({ accepted: 2, cycles_restarted: 0 })
    const state = await stateOf(msisdn)
    expect(state).toMatchObject({ cycle_no: after.cycle_no, cycle_started_at: after.cycle_started_at })
    expect(state.last_usage_at?.toISOString()).toBe(early)
  })

  test('a qualifying event dated before a withdrawal matches the ended custody and makes it due; a later one does not', async () => {
    const msisdn = await heldNumber()
    const withdrawnAt = t.clock.now()
    t.clock.advance(5 * DAY)
    const custodyId = await withdrawForTest(t.app, msisdn, withdrawnAt)
    const before = await stateOf(msisdn)
    expect(before.stage).toBe('aging')
    const { json } = await post({
      source: 'ocs',
      events: [
        {
          msisdn,
          kind: 'topup',
          amount: '2',
          occurred_at: iso(withdrawnAt.getTime() - 3_600_000),
          external_id: nextId(),
        },
        {
          msisdn,
          kind: 'topup',
          amount: '2',
          occurred_at: iso(withdrawnAt.getTime() + 3_600_000),
          external_id: nextId(),
        },
      ],
    })
    expect(json).toMatchObject({ accepted: 1, cycles_restarted: 1 })
    expect(json.rows).toMatchObject([{ index: 1, code: 'not_in_custody' }])
    const stored = await t.app.db
      .selectFrom('activity_events')
      .select('custody_id')
      .where('batch_id', '=', json.batch_id)
      .execute()
    expect(stored).toEqual([{ custody_id: custodyId }])
    const after = await stateOf(msisdn)
    expect(after).toMatchObject({ stage: 'aging', cycle_no: before.cycle_no + 1 })
    expect(after.next_due_at?.toISOString()).toBe(t.clock.now().toISOString())
  })
})

describe('a custody ended by termination', () => {
  test('a top-up dated before the termination is stored against it but restarts no cycle (cycles_restarted 0)', async () => {
    const msisdn = await heldNumber()
    const terminatedAt = t.clock.now()
    const custodyId = await terminateForTest(msisdn)
    t.clock.advance(DAY)
    const before = await stateOf(msisdn)
    expect(before).toMatchObject({ custody_id: custodyId, stage: 'aging' })
    const { json } = await post({
      source: 'ocs',
      events: [
        {
          msisdn,
          kind: 'topup',
          amount: '2',
          occurred_at: iso(terminatedAt.getTime() - 3_600_000),
          external_id: nextId(),
        },
      ],
    })
    expect(json).toMatchObject({ accepted: 1, rejected: 0, cycles_restarted: 0 })
    const after = await stateOf(msisdn)
    expect(after).toMatchObject({ stage: 'aging', cycle_no: before.cycle_no })
    expect(after.cycle_started_at).toEqual(before.cycle_started_at)
    expect(after.next_due_at).toEqual(before.next_due_at) // not made due early: nothing to reinstate
  })
})

/** Ends the number's custody by termination, the way an executed termination request does. */
async function terminateForTest(msisdn: string): Promise<string> {
  return runCommand(t.app.deps, SYSTEM, async (ctx) => {
    const holding = await lockHolding(ctx, msisdn, 'termination')
    const out = await withdrawToAging(ctx, holding, 'termination', randomUUID())
    const receipt = await recordAudit(ctx, { action: 'number.terminated', msisdn, basis: 'termination' })
    return audited(holding.custody_id, [receipt, ...out.receipts])
  })
}

describe('feed health', () => {
  test('sources that spoke count; a silent one makes the feed unhealthy; a heartbeat revives it', async () => {
    const fresh = await openTestApp()
    try {
      const client = await machineClient(fresh.app, ['activity:ingest'])
      const at = () => fresh.clock.now()
      expect(await feedHealth(fresh.app.db, at(), 6)).toMatchObject({ healthy: false, knownSources: 0 })
      const send = async (body: unknown) =>
        fresh.server.inject({
          method: 'POST',
          url: '/api/v1/activity',
          headers: bearer(await client.token()),
          payload: body as object,
        })
      expect((await send({ source: 'ocs', events: [] })).statusCode).toBe(200)
      expect((await send({ source: 'billing', events: [] })).statusCode).toBe(200)
      expect(await feedHealth(fresh.app.db, at(), 6)).toEqual({ healthy: true, silentSources: [], knownSources: 2 })
      fresh.clock.advance(5 * 3_600_000)
      await send({ source: 'ocs', events: [] })
      fresh.clock.advance(2 * 3_600_000)
      const health = await feedHealth(fresh.app.db, at(), 6)
      expect(health.healthy).toBe(false)
      expect(health.silentSources.map((s) => s.source)).toEqual(['billing'])
      await send({ source: 'billing', events: [] })
      expect((await feedHealth(fresh.app.db, at(), 6)).healthy).toBe(true)
    } finally {
      await fresh.close()
    }
  })

  test('usageSince counts a custody’s usage from a date', async () => {
    const msisdn = await heldNumber()
    const at = iso(now() - 1000)
    await post({ source: 'ocs', events: [{ msisdn, kind: 'usage', occurred_at: at, external_id: nextId() }] })
    const { custody_id } = await stateOf(msisdn)
    expect(await usageSince(t.app.db, custody_id, new Date(now() - DAY))).toEqual({
      count: 1,
      lastUsageAt: new Date(at),
    })
    expect(await usageSince(t.app.db, custody_id, new Date(now()))).toEqual({ count: 0, lastUsageAt: null })
  })
})

describe('staff views of the feed', () => {
  test('sources and batches for those who may see them; only a compliance officer retires a source', async () => {
    const heartbeat = await post({ source: 'legacy-feed', events: [] })
    const auditor = await makeStaff(t.app, ['auditor'])
    const agent = await makeStaff(t.app, ['agent'])
    const manager = await makeStaff(t.app, ['inventory_manager'])
    const compliance = await makeStaff(t.app, ['compliance_officer'])
    const get = (url: string, token: string) => t.server.inject({ method: 'GET', url, headers: bearer(token) })
    expect((await get('/api/v1/activity/sources', agent.token)).statusCode).toBe(403)
    const sources = await get('/api/v1/activity/sources', auditor.token)
    expect(sources.statusCode).toBe(200)
    expect(sources.json()).toMatchObject({ silence_hours: 6 })
    expect(sources.json().items).toContainEqual(
      expect.objectContaining({ source: 'legacy-feed', counts_for_feed_health: true, silent: false }),
    )
    const batches = await get('/api/v1/activity/batches?limit=5', auditor.token)
    expect(batches.json().items).toHaveLength(5)
    const one = await get(`/api/v1/activity/batches/${heartbeat.json.batch_id}`, auditor.token)
    expect(one.json()).toMatchObject({ id: heartbeat.json.batch_id, counts: { received: 0 }, rejections: [] })

    const retire = (token: string) =>
      t.server.inject({ method: 'POST', url: '/api/v1/activity/sources/legacy-feed/retire', headers: bearer(token) })
    expect((await retire(manager.token)).statusCode).toBe(403)
    expect((await retire(compliance.token)).statusCode).toBe(200)
    expect((await retire(compliance.token)).statusCode).toBe(404)
    const health = await feedHealth(t.app.db, t.clock.now(), 6)
    expect(health.knownSources).toBeGreaterThan(0)
    const after = await get('/api/v1/activity/sources', auditor.token)
    expect(after.json().items).toContainEqual(
      expect.objectContaining({ source: 'legacy-feed', counts_for_feed_health: false }),
    )
    // Sending again brings it back.
    await post({ source: 'legacy-feed', events: [] })
    const back = await get('/api/v1/activity/sources', auditor.token)
    expect(back.json().items).toContainEqual(
      expect.objectContaining({ source: 'legacy-feed', counts_for_feed_health: true }),
    )
  })
})
