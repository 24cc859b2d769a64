import { sql } from 'kysely'
import type { App } from '../app.ts'
import type { Actor } from '../audit/actor.ts'
import { audited, recordAudit } from '../audit/record.ts'
import { runCommand } from '../audit/run-command.ts'
import { RefusedByConfigurationError } from '../domain/errors.ts'

export const CLOCK_OFFSET_KEY = 'demo_clock_offset_ms'

/** Moves the demo clock forward, persists the offset so a restart keeps the demo's day, and records who did it. */
export async function advanceDemoClock(app: App, actor: Actor, ms: number): Promise<{ now: Date; offset_ms: number }> {
  const clock = app.movableClock
  if (!clock) throw new RefusedByConfigurationError('clock_not_movable', 'Only the demo clock can be moved')
  const from = clock.now()
  const offset = clock.offsetMs + ms
  await runCommand(app.deps, actor, async (ctx) => {
    await ctx.tx
      .insertInto('settings')
      .values({ key: CLOCK_OFFSET_KEY, value: JSON.stringify(offset) })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(offset) }))
      .execute()
    // Sessions and tokens expire in numguard time; moving the demo clock must not end them.
    const later = sql<Date>`expires_at + ${`${ms} milliseconds`}::interval`
    await ctx.tx.updateTable('sessions').set({ expires_at: later }).where('revoked_at', 'is', null).execute()
    await ctx.tx.updateTable('machine_tokens').set({ expires_at: later }).where('revoked_at', 'is', null).execute()
    return audited(null, [
      await recordAudit(ctx, {
        action: 'clock.advanced',
        before: { now: from },
        after: { now: new Date(from.getTime() + ms), offset_ms: offset },
      }),
    ])
  })
  return { now: clock.advance(ms), offset_ms: clock.offsetMs }
}
