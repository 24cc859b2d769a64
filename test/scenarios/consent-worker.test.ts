// What the worker does for issue 4's changes, beyond executing them: a due change that keeps failing is retried
// with a growing wait and alerts once per reason; an UNLOCK that takes effect is told to the holder, once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { executeDueRequests, executeIfDue } from '../../src/changes/due.ts'
import { retryDelayMs } from '../../src/changes/due-failures.ts'
import { noticeEffectiveUnlocks } from '../../src/changes/swap-unlocks.ts'
import { runDueWork } from '../../src/worker/loop.ts'
import type { TestApp } from '../helpers/app.ts'
import { makeAuthenticatedNumber } from '../helpers/customer-session.ts'
import { makeActiveNumber, makeSims, makeStaff, newSubscriber, type TestStaff } from '../helpers/factories.ts'
import { alertsFor, codeOnPhone, HOUR, http, num, openConsentApp, reply } from './consent-harness.ts'

let t: TestApp
let agent: TestStaff
let supervisor: TestStaff
let api: ReturnType<typeof http>

beforeAll(async () => {
  t = await openConsentApp()
  api = http(t)
  agent = await makeStaff(t.app, ['agent'])
  supervisor = await makeStaff(t.app, ['supervisor'])
})
afterAll(() => t.close())

const failureOf = (requestId: string) =>
  t.app.db.selectFrom('change_execution_failures').selectAll().where('request_id', '=', requestId).executeTakeFirst()

describe('a due change that keeps failing', () => {
  it('is retried with a growing wait and raises its alert once per reason', async () => {
    const { msisdn } = await makeAuthenticatedNumber(t, agent)
    const [newIccid, swapIccid] = await makeSims(t.app, agent.shopId as string, 2)
    const filed = await api.post(agent, `${num(msisdn)}/transfer`, { iccid: newIccid, new_subscriber: newSubscriber() })
    expect(filed.statusCode, filed.body).toBe(200)
    const request = filed.json()
    expect((await reply(t, msisdn, `YES ${await codeOnPhone(t, msisdn)}`)).outcome).toBe('consent_recorded')
    const approved = await api.post(supervisor, `/api/v1/requests/${request.id}/approve`, {
      payload_sha256: request.payload_sha256,
    })
    expect(approved.statusCode, approved.body).toBe(200)
    // During the transfer’s wait the holder swaps their SIM: no transfer within 30 days of a swap.
    const swap = await api.post(agent, `${num(msisdn)}/sim-swap`, { iccid: swapIccid })
    expect(swap.statusCode, swap.body).toBe(200)
    expect((await reply(t, msisdn, `YES ${await codeOnPhone(t, msisdn)}`)).outcome).toBe('consent_recorded')
    t.clock.advance(24 * HOUR)
    const refused = () => alertsFor(t, msisdn, 'transfer_after_sim_swap')

    expect(await executeDueRequests(t.app)).toEqual({ executed: 0, failed: 1 })
    expect(await refused()).toHaveLength(1)
    expect(await failureOf(request.id)).toMatchObject({ reason: 'transfer_after_sim_swap', attempts: 1 })
    // The next passes leave it alone until its retry time…
    expect(await executeDueRequests(t.app)).toEqual({ executed: 0, failed: 0 })
    t.clock.advance(retryDelayMs(1) - 1000)
    expect(await executeDueRequests(t.app)).toEqual({ executed: 0, failed: 0 })
    // …then try again, without a second alert for the same reason, and wait longer.
    t.clock.advance(1000)
    expect(await executeDueRequests(t.app)).toEqual({ executed: 0, failed: 1 })
    expect(await failureOf(request.id)).toMatchObject({ attempts: 2 })
    expect(await refused()).toHaveLength(1)
    t.clock.advance(retryDelayMs(1))
    expect(await executeDueRequests(t.app)).toEqual({ executed: 0, failed: 0 })
    t.clock.advance(retryDelayMs(2) - retryDelayMs(1))
    expect(await executeDueRequests(t.app)).toEqual({ executed: 0, failed: 1 })
    // A try on the request's own account (a consent just came in) ignores the wait, still quietly.
    expect(await executeIfDue(t.app, request.id)).toBe(false)
    expect(await failureOf(request.id)).toMatchObject({ attempts: 4 })
    expect(await refused()).toHaveLength(1)

    // A reason other than the one remembered is news: its alert is raised again.
    await t.app.db
      .updateTable('change_execution_failures')
      .set({ reason: 'change_overtaken', next_attempt_at: t.clock.now() })
      .where('request_id', '=', request.id)
      .execute()
    expect(await executeDueRequests(t.app)).toEqual({ executed: 0, failed: 1 })
    const alerts = await refused()
    expect(alerts).toHaveLength(2)
    expect(await failureOf(request.id)).toMatchObject({
      reason: 'transfer_after_sim_swap',
      attempts: 1,
      alert_id: alerts[1].id,
    })
  })

  it('waits at most 6 hours between tries', () => {
    expect([1, 2, 3, 20].map(retryDelayMs)).toEqual([5 * 60_000, 10 * 60_000, 20 * 60_000, 6 * HOUR])
  })
})

describe('an UNLOCK taking effect', () => {
  const unlockedNotices = (msisdn: string) =>
    t.app.db
      .selectFrom('sms_notices')
      .select(['id', 'dedupe_key', 'body_masked', 'respect_send_window'])
      .where('msisdn', '=', msisdn)
      .where('purpose', '=', 'sim_swap_unlocked')
      .execute()
  const unlockedRecords = (msisdn: string) =>
    t.app.db
      .selectFrom('audit_records')
      .select('action')
      .where('msisdn', '=', msisdn)
      .where('action', '=', 'sim_swap_lock.unlocked')
      .execute()

  it('is told to the holder by the worker, once per unlock', async () => {
    const { msisdn } = await makeActiveNumber(t.app, { agent })
    expect((await reply(t, msisdn, 'LOCK')).outcome).toBe('locked')
    expect((await reply(t, msisdn, 'UNLOCK')).outcome).toBe('unlock_requested')
    t.clock.advance(23 * HOUR)
    expect(await noticeEffectiveUnlocks(t.app)).toEqual({ noticed: 0, failed: 0 })
    expect(await unlockedNotices(msisdn)).toHaveLength(0)

    t.clock.advance(HOUR)
    expect((await runDueWork(t.app)).swap_unlocks_noticed).toBeGreaterThanOrEqual(1)
    const [notice] = await unlockedNotices(msisdn)
    expect(notice).toBeDefined()
    // Khmer holder: "the SIM-swap lock on … is now off; reply LOCK to turn it on again", at once, whatever the hour.
    expect(notice).toMatchObject({
      respect_send_window: false,
      dedupe_key: expect.stringContaining('sim_swap_unlocked:'),
    })
    expect(notice.body_masked).toContain(msisdn)
    expect(notice.body_masked).toContain('ត្រូវបានបិទហើយ')
    expect(notice.body_masked).toContain('LOCK')
    // Later passes (or a second worker) tell nobody again.
    expect(await noticeEffectiveUnlocks(t.app)).toEqual({ noticed: 0, failed: 0 })
    expect(await unlockedNotices(msisdn)).toHaveLength(1)
    expect(await unlockedRecords(msisdn)).toHaveLength(1)

    // Locked again, and unlocked again: that second unlock is told too.
    await reply(t, msisdn, 'LOCK')
    await reply(t, msisdn, 'UNLOCK')
    t.clock.advance(24 * HOUR)
    expect(await noticeEffectiveUnlocks(t.app)).toEqual({ noticed: 1, failed: 0 })
    const both = await unlockedNotices(msisdn)
    expect(new Set(both.map((n) => n.dedupe_key)).size).toBe(2)
    expect(await unlockedRecords(msisdn)).toHaveLength(2)
  })

  it('is not told when the holder locked again during the wait', async () => {
    const { msisdn } = await makeActiveNumber(t.app, { agent })
    await reply(t, msisdn, 'LOCK')
    await reply(t, msisdn, 'UNLOCK')
    t.clock.advance(2 * HOUR)
    await reply(t, msisdn, 'LOCK')
    t.clock.advance(24 * HOUR)
    expect(await noticeEffectiveUnlocks(t.app)).toEqual({ noticed: 0, failed: 0 })
    expect(await unlockedNotices(msisdn)).toHaveLength(0)
  })
})
