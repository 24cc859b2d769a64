// Issue 3's lifecycle on the injected clock: from sale to re-availability, the exact day of every step.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDays } from '../../src/domain/policy.ts'
import {
  alertsOf,
  DAY0,
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

const on = (day: number) => addDays(DAY0, day)

describe('an abandoned prepaid number, day by day', () => {
  let h: Harness
  let sold: Awaited<ReturnType<Harness['sell']>>
  beforeAll(async () => {
    h = await openHarness()
    sold = await h.sell()
  })
  afterAll(async () => h.close())

  it('is scheduled on the first sweep for day 60 and has nothing due before', async () => {
    const first = await h.sweep()
    expect(first.outcomes.rescheduled).toBeGreaterThanOrEqual(1)
    expect((await stateRow(h, sold.custodyId)).next_due_at).toEqual(h.instant(60, '00:00'))
    h.at(59, '23:59')
    expect((await h.sweep()).claimed).toBe(0)
    expect(await numberState(h, sold.msisdn)).toBe('active')
  })

  it('warns and bars outgoing calls at the start of day 60; the SMS waits for the send window', async () => {
    h.at(60, '00:00')
    const swept = await h.sweep()
    expect(swept.claimed).toBe(1)
    expect(await numberState(h, sold.msisdn)).toBe('suspended')
    expect(await provisioning(h, sold.msisdn)).toEqual(['bar_outgoing'])
    const warned = await records(h, sold.msisdn, 'recycling.warning_queued')
    expect(warned.map((w) => [w.on, w.data?.stage, w.data?.policy_version])).toEqual([[on(60), 1, 1]])
    expect((await records(h, sold.msisdn, 'number.suspended')).map((r) => r.on)).toEqual([on(60)])
    const queued = (await notices(h, sold.msisdn)).map((n) => [n.purpose, n.dedupe_key, n.state]).sort()
    expect(queued).toEqual([
      ['inactivity_warning', `warning:${sold.custodyId}:1:1`, 'queued'],
      ['suspension', `suspension:${sold.custodyId}:1`, 'queued'],
    ])
    expect(await h.sendAndSettle()).toBe(0) // 00:00 is outside 08:00–20:00
    h.at(60, '08:00')
    expect(await h.sendAndSettle()).toBe(2)
    // Khmer goes out as UCS-2 in several parts: every part reached the phone.
    expect(h.sim.inbox(sold.msisdn).length).toBe(2)
    expect((await notices(h, sold.msisdn)).every((n) => n.state === 'evidenced')).toBe(true)
  })

  it('warns again on days 75 and 85, and on no other day', async () => {
    h.at(74, '23:59')
    expect((await h.sweep()).claimed).toBe(0)
    await walkToWithdrawalDay(h)
    const warned = await records(h, sold.msisdn, 'recycling.warning_queued')
    expect(warned.map((w) => [w.on, w.data?.stage])).toEqual([
      [on(60), 1],
      [on(75), 2],
      [on(85), 3],
    ])
  })

  it('withdraws on day 90 once the last warning has been final for 5 days', async () => {
    // 00:00 on day 90: the last receipt (day 85, 08:00) is not 5 days old yet; that is only a matter of time.
    const early = await h.sweep()
    expect(early.outcomes.waiting).toBe(1)
    expect((await stateRow(h, sold.custodyId)).waiting_reason).toBe('evidence_too_recent')
    expect(await alertsOf(h, sold.msisdn)).toEqual([])
    h.at(90, '08:00')
    await h.heartbeat()
    expect((await h.sweep()).outcomes.withdrawn).toBe(1)

    expect(await numberState(h, sold.msisdn)).toBe('aging')
    const custody = await h.t.app.db
      .selectFrom('custodies')
      .select(['ended_at', 'end_reason'])
      .where('id', '=', sold.custodyId)
      .executeTakeFirstOrThrow()
    expect(custody.end_reason).toBe('inactivity')
    const binding = await h.t.app.db
      .selectFrom('sim_bindings')
      .select('end_reason')
      .where('custody_id', '=', sold.custodyId)
      .executeTakeFirstOrThrow()
    expect(binding.end_reason).toBe('custody_ended')
    expect(await provisioning(h, sold.msisdn)).toEqual(['bar_outgoing', 'withdraw'])
    const [withdrawn] = await records(h, sold.msisdn, 'number.withdrawn')
    expect(withdrawn.on).toBe(on(90))
    expect(withdrawn.basis).toBe('inactivity')
    const warnings = (await notices(h, sold.msisdn)).filter((n) => n.purpose === 'inactivity_warning').map((n) => n.id)
    expect(withdrawn.data).toMatchObject({
      custody_id: sold.custodyId,
      cycle_no: 1,
      policy_version: 1,
      warnings,
      usage_veto_clear: true,
      feed_healthy: true,
      disconnected_on: on(90),
    })
    expect(withdrawn.after).toMatchObject({ state: 'aging', aging_ends_on: on(180), reclaim_until: on(179) })
    const register = await h.t.app.db
      .selectFrom('disconnections')
      .select(['disconnected_on', 'cancelled_at'])
      .where('custody_id', '=', sold.custodyId)
      .executeTakeFirstOrThrow()
    expect(register).toEqual({ disconnected_on: on(90), cancelled_at: null })
    // The final SMS, with the last day to reclaim (written the Khmer way on the phone).
    const final = await h.t.app.db
      .selectFrom('sms_notices')
      .select(['params', 'state'])
      .where('dedupe_key', '=', `withdrawal:${sold.custodyId}`)
      .executeTakeFirstOrThrow()
    expect(final.params).toMatchObject({ msisdn: sold.msisdn, reclaimUntil: on(179) })
    h.at(90, '09:00')
    expect(await h.sendAndSettle()).toBe(1)
    expect(h.sim.inbox(sold.msisdn).at(-1)?.text).toContain('២៨ សីហា ២០២៦')
  })

  it('returns the number to the pool at the start of day 180, after 90 days of aging', async () => {
    h.at(179, '23:59')
    expect((await h.sweep()).claimed).toBe(0)
    expect(await numberState(h, sold.msisdn)).toBe('aging')
    h.at(180, '00:00')
    expect((await h.sweep()).outcomes.aged_out).toBe(1)
    expect(await numberState(h, sold.msisdn)).toBe('available')
    expect((await records(h, sold.msisdn, 'number.aged_out')).map((r) => r.on)).toEqual([on(180)])
    expect(await stateRow(h, sold.custodyId)).toMatchObject({ stage: 'closed', next_due_at: null })
  })
})

describe('a top-up on day 80', () => {
  let h: Harness
  beforeAll(async () => {
    h = await openHarness()
  })
  afterAll(async () => h.close())

  it('reactivates the suspended number and starts a new cycle whose warnings are sent again', async () => {
    const sold = await h.sell()
    await h.sweep()
    for (const day of [60, 75]) {
      h.at(day, '00:00')
      await h.sweep()
      h.at(day, '08:00')
      await h.sendAndSettle()
    }
    expect(await numberState(h, sold.msisdn)).toBe('suspended')
    h.at(80, '12:00')
    const topup = await h.ingest([event(sold.msisdn, h.t.clock.now())])
    expect(topup.cycles_restarted).toBe(1)
    expect((await h.sweep()).claimed).toBe(1)
    expect(await numberState(h, sold.msisdn)).toBe('active')
    expect(await provisioning(h, sold.msisdn)).toEqual(['bar_outgoing', 'unbar'])
    expect((await records(h, sold.msisdn, 'number.reactivated')).map((r) => r.on)).toEqual([on(80)])
    // Day 85 of the old cycle passes in silence; day 60 of the new one (day 140) warns and bars again.
    h.at(139, '23:59')
    expect((await h.sweep()).claimed).toBe(0)
    h.at(140, '00:00')
    await h.sweep()
    expect(await numberState(h, sold.msisdn)).toBe('suspended')
    const warned = await records(h, sold.msisdn, 'recycling.warning_queued')
    expect(warned.map((w) => [w.on, w.data?.cycle_no, w.data?.stage])).toEqual([
      [on(60), 1, 1],
      [on(75), 1, 2],
      [on(140), 2, 1],
    ])
    const keys = (await notices(h, sold.msisdn))
      .filter((n) => n.purpose === 'inactivity_warning')
      .map((n) => n.dedupe_key)
    expect(keys).toContain(`warning:${sold.custodyId}:2:1`)
  })
})

describe('a late top-up dated day 89 that arrives on day 95', () => {
  let h: Harness
  beforeAll(async () => {
    h = await openHarness()
  })
  afterAll(async () => h.close())

  it('gives the number back to its holder during aging, with its SIM, and says so', async () => {
    const sold = await h.sell()
    await h.sweep()
    await walkToWithdrawalDay(h)
    h.at(90, '08:00')
    await h.heartbeat()
    expect((await h.sweep()).outcomes.withdrawn).toBe(1)

    h.at(95, '11:00')
    // The database allows a reinstatement only on the evidence of a late qualifying event: none has arrived yet.
    await expect(
      sql`INSERT INTO custodies (id, msisdn, subscriber_id, basis, started_at)
          VALUES (gen_random_uuid(), ${sold.msisdn}, ${sold.subscriberId}, 'reinstatement', ${h.t.clock.now()})`.execute(
        h.t.app.db,
      ),
    ).rejects.toThrow(/needs a qualifying event dated before its withdrawal/)
    const late = await h.ingest([event(sold.msisdn, h.instant(89, '18:00'))])
    expect(late.accepted).toBe(1)
    expect((await h.sweep()).outcomes.reinstated).toBe(1)

    expect(await numberState(h, sold.msisdn)).toBe('active')
    const custodies = await h.t.app.db
      .selectFrom('custodies')
      .select(['id', 'subscriber_id', 'basis', 'end_reason'])
      .where('msisdn', '=', sold.msisdn)
      .orderBy('started_at')
      .execute()
    expect(custodies.map((c) => [c.basis, c.subscriber_id, c.end_reason])).toEqual([
      ['sale', sold.subscriberId, 'inactivity'],
      ['reinstatement', sold.subscriberId, null],
    ])
    const binding = await h.t.app.db
      .selectFrom('sim_bindings')
      .select('iccid')
      .where('custody_id', '=', custodies[1].id)
      .where('ended_at', 'is', null)
      .executeTakeFirstOrThrow()
    expect(binding.iccid).toBe(sold.iccid)
    expect((await alertsOf(h, sold.msisdn, 'late_activity_reinstated')).length).toBe(1)
    expect(await provisioning(h, sold.msisdn)).toEqual(['bar_outgoing', 'withdraw', 'restore'])
    const [reinstated] = await records(h, sold.msisdn, 'number.reinstated')
    expect(reinstated.on).toBe(on(95))
    expect(reinstated.data).toMatchObject({ previous_custody_id: sold.custodyId, sim_rebound: true })
    const register = await h.t.app.db
      .selectFrom('disconnections')
      .select(['cancel_reason'])
      .where('custody_id', '=', sold.custodyId)
      .executeTakeFirstOrThrow()
    expect(register.cancel_reason).toBe('reinstatement')
    // The reinstated custody starts a cycle of its own.
    expect(await stateRow(h, sold.custodyId)).toMatchObject({ stage: 'closed', step: 'reinstated' })
    await h.sweep()
    expect((await stateRow(h, custodies[1].id)).next_due_at).toEqual(h.instant(155, '00:00'))
  })
})
