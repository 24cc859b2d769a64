// The sweep's claims and guarded steps: a top-up that lands mid-sweep wins, a lease that ran out belongs to the
// next claim, postpaid numbers are never due.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCommand } from '../../src/audit/run-command.ts'
import { addDays } from '../../src/domain/policy.ts'
import { sellNumber } from '../../src/inventory/sales.ts'
import { claimDueNumbers, LEASE_MS, processClaim, RECYCLING_ACTOR } from '../../src/recycling/sweep.ts'
import { makeRange, makeSims, newSubscriber } from '../helpers/factories.ts'
import {
  alertsOf,
  DAY0,
  event,
  type Harness,
  notices,
  numberState,
  openHarness,
  records,
  stateRow,
} from './recycling-harness.ts'

let h: Harness
beforeEach(async () => {
  h = await openHarness()
})
afterEach(async () => h.close())

describe('a claimed custody', () => {
  it('is left alone when a top-up lands between the claim and its step: the top-up wins', async () => {
    const sold = await h.sell()
    await h.sweep()
    h.at(60, '00:00')
    const [claim] = await claimDueNumbers(h.t.app, h.t.clock.now(), 10)
    expect(claim).toMatchObject({ custodyId: sold.custodyId, cycleNo: 1 })

    h.at(60, '00:01')
    await h.ingest([event(sold.msisdn, h.t.clock.now())])
    const outcome = await runCommand(h.t.app.deps, RECYCLING_ACTOR, (ctx) => processClaim(ctx, claim))
    expect(outcome).toBe('superseded')
    expect(await numberState(h, sold.msisdn)).toBe('active')
    expect(await notices(h, sold.msisdn)).toEqual([])

    // The top-up made the custody due at once: its new cycle is set up, and day 60 moved on by 60 days.
    const swept = await h.sweep()
    expect(swept.claimed).toBe(1)
    expect(await stateRow(h, sold.custodyId)).toMatchObject({ cycle_no: 2, seen_cycle_no: 2, warnings_queued: 0 })
    expect((await stateRow(h, sold.custodyId)).next_due_at).toEqual(h.instant(120, '00:00'))
    expect(await records(h, sold.msisdn, 'recycling.warning_queued')).toEqual([])
  })

  it('belongs to the next claim once its lease has run out; the first claim can no longer act', async () => {
    const sold = await h.sell()
    await h.sweep()
    h.at(60, '00:00')
    const [stale] = await claimDueNumbers(h.t.app, h.t.clock.now(), 10)
    expect(await claimDueNumbers(h.t.app, h.t.clock.now(), 10)).toEqual([]) // leased
    h.t.clock.advance(LEASE_MS)
    const [fresh] = await claimDueNumbers(h.t.app, h.t.clock.now(), 10)
    expect(fresh.custodyId).toBe(sold.custodyId)
    expect(fresh.leaseId).not.toBe(stale.leaseId)

    expect(await runCommand(h.t.app.deps, RECYCLING_ACTOR, (ctx) => processClaim(ctx, stale))).toBe('superseded')
    expect(await runCommand(h.t.app.deps, RECYCLING_ACTOR, (ctx) => processClaim(ctx, fresh))).toBe('suspended')
    expect((await records(h, sold.msisdn, 'recycling.warning_queued')).length).toBe(1)
    expect(await runCommand(h.t.app.deps, RECYCLING_ACTOR, (ctx) => processClaim(ctx, fresh))).toBe('superseded')
  })
})

describe('a sweep that comes late', () => {
  it('catches up every warning due, announces a withdrawal date that leaves time for evidence, and raises no alert', async () => {
    const sold = await h.sell()
    await h.sweep()
    h.at(95, '10:00') // no worker ran since day 0
    await h.heartbeat()
    expect((await h.sweep()).outcomes.waiting).toBe(1)
    expect(await numberState(h, sold.msisdn)).toBe('suspended')
    expect((await records(h, sold.msisdn, 'recycling.warning_queued')).map((r) => r.data?.stage)).toEqual([1, 2, 3])
    expect((await stateRow(h, sold.custodyId)).waiting_reason).toBe('warnings_in_flight')
    expect(await alertsOf(h, sold.msisdn)).toEqual([])
    const warning = await h.t.app.db
      .selectFrom('sms_notices')
      .select('params')
      .where('dedupe_key', '=', `warning:${sold.custodyId}:1:3`)
      .executeTakeFirstOrThrow()
    expect(warning.params).toMatchObject({ withdrawalDate: addDays(DAY0, 100), daysLeft: 5 })
    await h.sendAndSettle()
    h.at(100, '09:59')
    await h.heartbeat()
    expect((await h.sweep()).outcomes.waiting).toBe(1)
    expect((await stateRow(h, sold.custodyId)).waiting_reason).toBe('evidence_too_recent')
    h.at(100, '10:01')
    await h.heartbeat()
    expect((await h.sweep()).outcomes.withdrawn).toBe(1)
    expect(await alertsOf(h, sold.msisdn)).toEqual([])
  })
})

describe('a postpaid number', () => {
  it('is never due: postpaid follows its own billing', async () => {
    const [msisdn] = await makeRange(h.t.app, 1)
    const [iccid] = await makeSims(h.t.app, h.agent.shopId as string, 1)
    const sale = await runCommand(h.t.app.deps, h.agent.actor, (ctx) =>
      sellNumber(
        ctx,
        h.agent.actor,
        { msisdn, iccid, subscriber: newSubscriber({ account_type: 'postpaid' }) },
        h.t.app.config.kycKey,
      ),
    )
    expect((await stateRow(h, sale.custody_id)).next_due_at).toBeNull()
    h.at(91, '10:00')
    expect((await h.sweep()).claimed).toBe(0)
    expect(await numberState(h, msisdn)).toBe('active')
  })
})
