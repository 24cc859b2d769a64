// The usage veto, decided by a person over HTTP: a compliance officer keeps the holder (a new cycle starts now) or
// lets this cycle's withdrawal go ahead despite the usage — never despite missing evidence or a silent feed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeRange, makeStaff, type TestStaff } from '../helpers/factories.ts'
import { signInAgain } from '../helpers/reclaim-fixtures.ts'
import {
  event,
  type Harness,
  notices,
  numberState,
  openHarness,
  provisioning,
  records,
  stateRow,
  walkToWithdrawalDay,
} from './recycling-harness.ts'

let h: Harness
let sold: Awaited<ReturnType<Harness['sell']>>
let officer: TestStaff
let supervisor: TestStaff

const url = (msisdn: string, what = '') => `/api/v1/numbers/${encodeURIComponent(msisdn)}/recycling${what}`
const post = (who: TestStaff | null, path: string, payload: Record<string, unknown>) =>
  h.t.server.inject({
    method: 'POST',
    url: path,
    headers: who ? { authorization: `Bearer ${who.token}` } : {},
    payload,
  })
const get = (who: TestStaff, path: string) =>
  h.t.server.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${who.token}` } })

const KEEP = { decision: 'keep', reason: 'Holder called: travelling abroad, will top up on return' }
const OVERRIDE = {
  decision: 'withdraw_despite_usage',
  reason: 'Usage is a SIM box on a stolen SIM; holder unreachable',
}

beforeEach(async () => {
  h = await openHarness()
  sold = await h.sell()
  officer = await makeStaff(h.t.app, ['compliance_officer'])
  supervisor = await makeStaff(h.t.app, ['supervisor'])
  await h.sweep()
})
afterEach(async () => h.close())

/** Usage on day 70, warnings evidenced, and at day 90 08:00 the withdrawal waits on the usage veto alone. */
async function waitOnUsage() {
  h.at(70, '10:00')
  await h.ingest([event(sold.msisdn, h.t.clock.now(), 'usage')])
  await walkToWithdrawalDay(h)
  h.at(90, '08:00')
  await h.heartbeat()
  expect((await h.sweep()).outcomes.waiting).toBe(1)
  await signInAgain(h.t.app, officer, supervisor, h.agent)
}

describe('a withdrawal waiting on the usage veto', () => {
  it('shows the officer why and offers the decision; others see no buttons, and the route refuses them', async () => {
    await waitOnUsage()
    const seen = await get(officer, url(sold.msisdn))
    expect(seen.statusCode).toBe(200)
    expect(seen.json()).toMatchObject({
      cycle: { group: 'waiting', waiting_reason: 'usage_veto' },
      decisions: {
        waiting_on: ['usage_veto'],
        usage_decision_open: true,
        usage_veto_override: null,
        last_usage_at: h.instant(70, '10:00').toISOString(),
        usage_veto_until: h.instant(100, '10:00').toISOString(),
      },
      abilities: { decide_usage_veto: true, rewarn: false },
    })
    expect((await get(supervisor, url(sold.msisdn))).json().abilities).toMatchObject({
      decide_usage_veto: false,
      rewarn: false,
    })
    expect((await post(null, url(sold.msisdn, '/decision'), KEEP)).statusCode).toBe(401)
    expect((await post(supervisor, url(sold.msisdn, '/decision'), KEEP)).statusCode).toBe(403)
    expect((await post(h.agent, url(sold.msisdn, '/decision'), KEEP)).statusCode).toBe(403)
    const short = await post(officer, url(sold.msisdn, '/decision'), { decision: 'keep', reason: 'ok' })
    expect(short.statusCode).toBe(400)
    expect(short.json().details.field).toBe('reason')
    const blank = await post(officer, url(sold.msisdn, '/decision'), { decision: 'keep', reason: '           ' })
    expect(blank.json()).toMatchObject({ code: 'invalid_input', details: { field: 'reason' } })
    const odd = await post(officer, url(sold.msisdn, '/decision'), { decision: 'release', reason: KEEP.reason })
    expect(odd.statusCode).toBe(400)
    expect(odd.json().details.field).toBe('decision')
    expect(await records(h, sold.msisdn, 'recycling.kept_by_decision')).toEqual([])
  })

  it('keep: a new cycle starts now, outgoing calls come back, and its warnings will be sent again', async () => {
    await waitOnUsage()
    expect(await numberState(h, sold.msisdn)).toBe('suspended')
    const res = await post(officer, url(sold.msisdn, '/decision'), KEEP)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ decision: 'keep', cycle_no: 1, new_cycle_no: 2, custody_id: sold.custodyId })
    const [kept] = await records(h, sold.msisdn, 'recycling.kept_by_decision')
    expect(kept.data).toMatchObject({
      reason: KEEP.reason,
      decided_by: officer.id,
      cycle_no: 1,
      new_cycle_no: 2,
      policy_version: 1,
    })
    expect((kept as { actor?: { staff_id?: string } }).actor?.staff_id).toBe(officer.id)
    // The same decision again: the cycle has moved on; once the sweep set it up, nothing waits on usage.
    const again = await post(officer, url(sold.msisdn, '/decision'), KEEP)
    expect(again.statusCode).toBe(409)
    expect(again.json().code).toBe('cycle_restarted')

    expect((await h.sweep()).claimed).toBe(1)
    expect((await post(officer, url(sold.msisdn, '/decision'), KEEP)).json().code).toBe('not_waiting_on_usage')
    expect(await numberState(h, sold.msisdn)).toBe('active')
    expect(await provisioning(h, sold.msisdn)).toEqual(['bar_outgoing', 'unbar'])
    const state = await stateRow(h, sold.custodyId)
    expect(state).toMatchObject({ cycle_no: 2, seen_cycle_no: 2, stage: 'in_cycle', step: 'none', warnings_queued: 0 })
    expect(state.cycle_started_at).toEqual(h.instant(90, '08:00'))
    expect(state.next_due_at).toEqual(h.instant(150, '00:00'))
    h.at(150, '00:00')
    await h.sweep()
    expect((await notices(h, sold.msisdn)).map((n) => n.dedupe_key)).toContain(`warning:${sold.custodyId}:2:1`)
    expect(await records(h, sold.msisdn, 'number.withdrawn')).toEqual([])
  })

  it('withdraw despite usage: the next sweep withdraws, and the withdrawal names who overrode the veto', async () => {
    await waitOnUsage()
    const res = await post(officer, url(sold.msisdn, '/decision'), OVERRIDE)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ decision: 'withdraw_despite_usage', still_waiting_on: [] })
    const [overridden] = await records(h, sold.msisdn, 'recycling.usage_veto_overridden')
    expect(overridden.data).toMatchObject({ reason: OVERRIDE.reason, decided_by: officer.id, cycle_no: 1 })
    const twice = await post(officer, url(sold.msisdn, '/decision'), OVERRIDE)
    expect(twice.json().code).toBe('usage_veto_already_overridden')
    expect((await get(officer, url(sold.msisdn))).json().decisions.usage_veto_override).toMatchObject({
      by: officer.id,
      by_username: officer.username,
    })

    expect((await h.sweep()).outcomes.withdrawn).toBe(1)
    expect(await numberState(h, sold.msisdn)).toBe('aging')
    const [withdrawn] = await records(h, sold.msisdn, 'number.withdrawn')
    expect(withdrawn.data).toMatchObject({
      usage_veto_clear: false,
      usage_veto_overridden_by: officer.id,
      last_usage_at: h.instant(70, '10:00').toISOString(),
      feed_healthy: true,
    })
  })

  it('withdraw despite usage never passes a silent charging feed: the sweep waits for it', async () => {
    await waitOnUsage()
    expect((await post(officer, url(sold.msisdn, '/decision'), OVERRIDE)).statusCode).toBe(200)
    h.at(90, '14:30') // 6.5 h since the last heartbeat
    expect((await h.sweep()).outcomes.waiting).toBe(1)
    expect((await stateRow(h, sold.custodyId)).waiting_reason).toBe('feed_silent')
    expect(await numberState(h, sold.msisdn)).toBe('suspended')
    await h.heartbeat()
    h.at(90, '15:30')
    await h.heartbeat()
    expect((await h.sweep()).outcomes.withdrawn).toBe(1)
    expect((await records(h, sold.msisdn, 'number.withdrawn'))[0].data?.usage_veto_overridden_by).toBe(officer.id)
  })

  it('newer usage after the override vetoes again, with a fresh alert for a person', async () => {
    await waitOnUsage()
    expect((await post(officer, url(sold.msisdn, '/decision'), OVERRIDE)).statusCode).toBe(200)
    h.at(90, '09:00')
    await h.ingest([event(sold.msisdn, h.t.clock.now(), 'usage')])
    expect((await h.sweep()).outcomes.waiting).toBe(1)
    expect((await stateRow(h, sold.custodyId)).waiting_reason).toBe('usage_veto')
    const alerts = await h.t.app.db
      .selectFrom('alerts')
      .select('kind')
      .where('msisdn', '=', sold.msisdn)
      .where('kind', '=', 'usage_veto')
      .execute()
    expect(alerts).toHaveLength(2)
    expect(await records(h, sold.msisdn, 'number.withdrawn')).toEqual([])
  })

  it('refuses the override while a warning lacks its evidence (invariant 4); keeping the holder stays possible', async () => {
    for (const day of [60, 75, 85]) {
      if (day === 75) {
        h.at(70, '10:00')
        await h.ingest([event(sold.msisdn, h.t.clock.now(), 'usage')])
      }
      h.at(day, '00:00')
      await h.sweep()
      h.at(day, '08:00')
      if (day === 85) h.sim.setBehaviour({ holdReceipts: true })
      await h.sendAndSettle({ waitForReceipts: day !== 85 })
    }
    h.at(90, '08:00')
    await h.heartbeat()
    expect((await h.sweep()).outcomes.waiting).toBe(1)
    expect((await stateRow(h, sold.custodyId)).waiting_reason).toBe('warnings_not_evidenced,usage_veto')
    await signInAgain(h.t.app, officer)
    const res = await post(officer, url(sold.msisdn, '/decision'), OVERRIDE)
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({
      code: 'override_needs_evidence',
      details: { reasons: ['warnings_not_evidenced'] },
    })
    expect(await records(h, sold.msisdn, 'recycling.usage_veto_overridden')).toEqual([])
    expect((await stateRow(h, sold.custodyId)).usage_veto_override_cycle_no).toBeNull()
    expect(await records(h, sold.msisdn, 'number.withdrawn')).toEqual([])
    expect((await post(officer, url(sold.msisdn, '/decision'), KEEP)).statusCode).toBe(200)
  })

  it('answers 409 not_waiting_on_usage and not_in_cycle where there is nothing to decide', async () => {
    h.at(30, '10:00')
    await signInAgain(h.t.app, officer)
    const early = await post(officer, url(sold.msisdn, '/decision'), KEEP)
    expect(early.statusCode).toBe(409)
    expect(early.json()).toMatchObject({ code: 'not_waiting_on_usage', details: { step: 'none' } })
    const [unsold] = await makeRange(h.t.app, 1)
    const none = await post(officer, url(unsold, '/decision'), KEEP)
    expect(none.statusCode).toBe(409)
    expect(none.json().code).toBe('not_in_cycle')
    const missing = await post(officer, url('+85512999999', '/decision'), KEEP)
    expect(missing.statusCode).toBe(404)
  })
})
