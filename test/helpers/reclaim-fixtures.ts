// Fixtures for reclaim and the disconnection register: a number sold, then withdrawn for inactivity the way the
// recycling worker withdraws it (custody ended, SIM deactivated, number aging, cycle in stage aging, disconnection
// registered), in one audited transaction, without waiting for the warnings' delivery receipts: as the schema owner
// (owner-fixture.ts), since the database refuses that to the application role (migration 031).
import type { App } from '../../src/app.ts'
import { audited, recordAudit } from '../../src/audit/record.ts'
import { runCommand } from '../../src/audit/run-command.ts'
import { localDate } from '../../src/domain/policy.ts'
import { sellNumber } from '../../src/inventory/sales.ts'
import { recordDisconnection } from '../../src/recycling/disconnections.ts'
import type { NewSubscriber } from '../../src/subscribers/commands.ts'
import { makeRange, makeSims, makeStaff, newSubscriber, SYSTEM, signInStaff, type TestStaff } from './factories.ts'
import { actAsOwnerInThisTransaction } from './owner-fixture.ts'

export const DAY = 86_400_000
export const OPERATOR_TZ = 'Asia/Phnom_Penh'

export interface HeldNumber {
  msisdn: string
  iccid: string
  custodyId: string
  subscriberId: string
  subscriber: NewSubscriber
  agent: TestStaff
}

export async function sellTo(
  app: App,
  options: { agent?: TestStaff; subscriber?: Partial<NewSubscriber> } = {},
): Promise<HeldNumber> {
  const agent = options.agent ?? (await makeStaff(app, ['agent']))
  const [msisdn] = await makeRange(app, 1)
  const [iccid] = await makeSims(app, agent.shopId as string, 1)
  const subscriber = newSubscriber(options.subscriber)
  const sale = await runCommand(app.deps, agent.actor, (ctx) =>
    sellNumber(ctx, agent.actor, { msisdn, iccid, subscriber }, app.config.kycKey),
  )
  return { msisdn, iccid, custodyId: sale.custody_id, subscriberId: sale.subscriber_id, subscriber, agent }
}

/** Withdraws a held number for inactivity now (app clock), as the worker would on day 90 (owner-connection fixture). */
export async function withdrawForInactivity(app: App, held: Pick<HeldNumber, 'msisdn' | 'custodyId'>, agingDays = 90) {
  return runCommand(app.deps, SYSTEM, async (ctx) => {
    await actAsOwnerInThisTransaction(ctx.tx)
    await ctx.tx
      .updateTable('custodies')
      .set({ ended_at: ctx.now, end_reason: 'inactivity' })
      .where('id', '=', held.custodyId)
      .execute()
    const bindings = await ctx.tx
      .updateTable('sim_bindings')
      .set({ ended_at: ctx.now, end_reason: 'custody_ended' })
      .where('custody_id', '=', held.custodyId)
      .where('ended_at', 'is', null)
      .returning('iccid')
      .execute()
    for (const b of bindings)
      await ctx.tx.updateTable('sims').set({ state: 'deactivated' }).where('iccid', '=', b.iccid).execute()
    await ctx.tx
      .updateTable('numbers')
      .set({ state: 'aging', state_changed_at: ctx.now })
      .where('msisdn', '=', held.msisdn)
      .execute()
    await ctx.tx
      .updateTable('recycling_state')
      .set({
        stage: 'aging',
        withdrawn_at: ctx.now,
        next_due_at: new Date(ctx.now.getTime() + agingDays * DAY),
        updated_at: ctx.now,
      })
      .where('custody_id', '=', held.custodyId)
      .execute()
    const disconnection = await recordDisconnection(ctx, {
      msisdn: held.msisdn,
      custodyId: held.custodyId,
      disconnectedOn: localDate(ctx.now, OPERATOR_TZ),
    })
    const receipt = await recordAudit(ctx, {
      action: 'number.withdrawn',
      msisdn: held.msisdn,
      before: { state: 'active', custody_id: held.custodyId },
      after: { state: 'aging' },
      basis: 'inactivity',
    })
    return audited(disconnection, [receipt])
  })
}

/** A number aging after a withdrawal for inactivity, whose former holder can still reclaim it. */
export async function agingNumber(
  app: App,
  clock: { advance(ms: number): Date },
  options: { agent?: TestStaff; subscriber?: Partial<NewSubscriber>; daysHeld?: number } = {},
): Promise<HeldNumber & { disconnectionId: string }> {
  const held = await sellTo(app, options)
  clock.advance((options.daysHeld ?? 90) * DAY)
  const d = await withdrawForInactivity(app, held)
  return { ...held, disconnectionId: d.id }
}

/** Sessions last 12 hours of numguard time: after moving the clock by days, staff sign in again. */
export async function signInAgain(app: App, ...staff: TestStaff[]): Promise<void> {
  for (const s of staff) {
    const out = await signInStaff(app, s.username)
    s.token = out.token
    s.actor = { ...s.actor, sessionId: out.session.id }
  }
}
