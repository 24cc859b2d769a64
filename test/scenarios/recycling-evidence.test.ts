// Invariant 4: no withdrawal for inactivity without the cycle's warnings evidenced, the usage veto clear and the
// charging feed healthy. Each case walks a custody to day 90 and shows the withdrawal waiting, why, with one alert.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { addDays } from '../../src/domain/policy.ts'
import { recordReceipt } from '../../src/sms/receipts.ts'
import {
  alertsOf,
  DAY0,
  event,
  type Harness,
  numberState,
  openHarness,
  records,
  stateRow,
  walkToWithdrawalDay,
} from './recycling-harness.ts'

const on = (day: number) => addDays(DAY0, day)

let h: Harness
let sold: Awaited<ReturnType<Harness['sell']>>
beforeEach(async () => {
  h = await openHarness()
  sold = await h.sell()
  await h.sweep()
})
afterEach(async () => h.close())

async function custodyOpen(): Promise<boolean> {
  const c = await h.t.app.db
    .selectFrom('custodies')
    .select('ended_at')
    .where('id', '=', sold.custodyId)
    .executeTakeFirstOrThrow()
  return c.ended_at === null
}

describe('a withdrawal waits', () => {
  it('while any part of a warning lacks a final receipt, and goes ahead 5 days after the last one', async () => {
    for (const day of [60, 75]) {
      h.at(day, '00:00')
      await h.sweep()
      h.at(day, '08:00')
      await h.sendAndSettle()
    }
    h.at(85, '00:00')
    await h.sweep()
    h.at(85, '08:00')
    h.sim.setBehaviour({ holdReceipts: true })
    await h.sendAndSettle({ waitForReceipts: false })
    const parts = await h.t.app.db
      .selectFrom('sms_notice_parts as p')
      .innerJoin('sms_notices as n', 'n.id', 'p.notice_id')
      .select(['p.message_id'])
      .where('n.dedupe_key', '=', `warning:${sold.custodyId}:1:3`)
      .orderBy('p.part_index')
      .execute()
    // A Khmer warning is several UCS-2 parts: all but the last get their final receipt.
    expect(parts.length).toBeGreaterThan(1)
    const deliver = (messageId: string) =>
      recordReceipt(h.t.app, {
        messageId,
        state: 'DELIVRD',
        final: true,
        doneAt: null,
        error: null,
        raw: 'stat:DELIVRD',
      })
    for (const p of parts.slice(0, -1)) await deliver(p.message_id as string)

    h.at(90, '12:00')
    await h.heartbeat()
    expect((await h.sweep()).outcomes.waiting).toBe(1)
    expect((await stateRow(h, sold.custodyId)).waiting_reason).toBe('warnings_not_evidenced')
    expect(await custodyOpen()).toBe(true)
    h.at(90, '13:00')
    await h.heartbeat()
    expect((await h.sweep()).outcomes.waiting).toBe(1)
    // One alert for the reason in this cycle, not one per sweep.
    const alerts = await alertsOf(h, sold.msisdn, 'withdrawal_waiting')
    expect(alerts.map((a) => (a.attempt as { reason: string }).reason)).toEqual(['warnings_not_evidenced'])

    h.at(91, '09:30')
    await deliver(parts.at(-1)?.message_id as string)
    h.at(96, '09:00')
    await h.heartbeat()
    expect((await h.sweep()).outcomes.waiting).toBe(1)
    expect((await stateRow(h, sold.custodyId)).waiting_reason).toBe('evidence_too_recent')
    h.at(96, '09:30')
    await h.heartbeat()
    expect((await h.sweep()).outcomes.withdrawn).toBe(1)
    const [withdrawn] = await records(h, sold.msisdn, 'number.withdrawn')
    expect(withdrawn.on).toBe(on(96))
    expect(new Date(withdrawn.data?.last_final_at as string)).toEqual(h.instant(91, '09:30'))
  })

  it('while the SMSC refuses binds: the warnings never left, so nothing is evidenced', async () => {
    const unbound = new Promise<void>((resolve) => h.transport.onStatus((s) => !s.bound && resolve()))
    h.sim.setBehaviour({ refuseBinds: true })
    h.sim.disconnectClients()
    await unbound
    for (const day of [60, 75, 85]) {
      h.at(day, '00:00')
      await h.sweep()
      h.at(day, '08:00')
      expect(await h.sendAndSettle()).toBe(0)
    }
    h.at(90, '08:00')
    await h.heartbeat()
    expect((await h.sweep()).outcomes.waiting).toBe(1)
    expect((await stateRow(h, sold.custodyId)).waiting_reason).toBe('warnings_not_evidenced')
    expect(await custodyOpen()).toBe(true)
    expect(await numberState(h, sold.msisdn)).toBe('suspended')
    expect(h.sim.inbox(sold.msisdn)).toEqual([])
    expect((await alertsOf(h, sold.msisdn, 'withdrawal_waiting')).length).toBe(1)
    expect(await records(h, sold.msisdn, 'number.withdrawn')).toEqual([])
  })

  it('while usage falls in the last 30 days, with a usage_veto alert for a person, until the veto clears', async () => {
    h.at(70, '10:00')
    await h.ingest([event(sold.msisdn, h.t.clock.now(), 'usage')])
    await walkToWithdrawalDay(h)
    h.at(90, '08:00')
    await h.heartbeat()
    expect((await h.sweep()).outcomes.waiting).toBe(1)
    expect((await stateRow(h, sold.custodyId)).waiting_reason).toBe('usage_veto')
    expect((await stateRow(h, sold.custodyId)).next_due_at).toEqual(h.instant(100, '10:00'))
    const [veto] = await alertsOf(h, sold.msisdn, 'usage_veto')
    expect(veto.attempt).toMatchObject({ reason: 'usage_veto', custody_id: sold.custodyId, policy_version: 1 })
    h.at(100, '09:59')
    expect((await h.sweep()).claimed).toBe(0)
    h.at(100, '10:00')
    await h.heartbeat()
    expect((await h.sweep()).outcomes.withdrawn).toBe(1)
    expect((await records(h, sold.msisdn, 'number.withdrawn')).map((r) => r.on)).toEqual([on(100)])
    expect((await alertsOf(h, sold.msisdn, 'usage_veto')).length).toBe(1)
  })

  it('while the charging feed has been silent for more than 6 hours', async () => {
    await walkToWithdrawalDay(h, { heartbeat: false })
    h.at(90, '02:00')
    await h.heartbeat()
    h.at(90, '08:01')
    expect((await h.sweep()).outcomes.waiting).toBe(1)
    expect((await stateRow(h, sold.custodyId)).waiting_reason).toBe('feed_silent')
    const [silent] = await alertsOf(h, sold.msisdn, 'withdrawal_waiting')
    expect(silent.attempt).toMatchObject({ reason: 'feed_silent', silent_sources: ['charging'] })
    expect(await custodyOpen()).toBe(true)
    h.at(90, '09:01')
    await h.heartbeat()
    expect((await h.sweep()).outcomes.withdrawn).toBe(1)
  })
})
