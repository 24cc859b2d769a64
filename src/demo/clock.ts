import { sql, type Transaction } from 'kysely'
import type { App } from '../app.ts'
import { audited, recordAudit, runCommand, unchanged } from '../audit/index.ts'
import type { DB } from '../db/types.ts'
import type { Actor } from '../domain/actor.ts'
import { RefusedByConfigurationError } from '../domain/errors.ts'

export const CLOCK_OFFSET_KEY = 'demo_clock_offset_ms'

export interface AdvanceOptions {
  /** Instants on the way (ascending, strictly between now and the target) where the clock stops, then the target. */
  stops?: readonly Date[]
  /** What happens at each stop's time (the demo walk: charging, due work, SMS). */
  onStep?: () => Promise<void>
}

/** Persists the offset so a restart keeps the demo's day; sessions and tokens, in numguard time, move along. */
async function persistOffset(tx: Transaction<DB>, offset: number, ms: number): Promise<void> {
  await tx
    .insertInto('settings')
    .values({ key: CLOCK_OFFSET_KEY, value: JSON.stringify(offset) })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(offset) }))
    .execute()
  // Sessions and tokens expire in numguard time; moving the demo clock must not end them.
  const later = sql<Date>`expires_at + ${`${ms} milliseconds`}::interval`
  await tx.updateTable('sessions').set({ expires_at: later }).where('revoked_at', 'is', null).execute()
  await tx.updateTable('machine_tokens').set({ expires_at: later }).where('revoked_at', 'is', null).execute()
}

/**
 * Moves the demo clock forward and records who did it, once, with the whole move (in the same transaction as its
 * first step, so the clock never moves without its record). With `stops` the clock walks: it stops at each, then at
 * the target, and `onStep` runs at each stop's time, so what is due on each day happens on that day.
 */
export async function advanceDemoClock(
  app: App,
  actor: Actor,
  ms: number,
  options: AdvanceOptions = {},
): Promise<{ now: Date; offset_ms: number; steps: number }> {
  const clock = app.movableClock
  if (!clock) throw new RefusedByConfigurationError('clock_not_movable', 'Only the demo clock can be moved')
  const from = clock.now()
  const target = from.getTime() + ms
  const stops = [
    ...(options.stops ?? []).map((d) => d.getTime()).filter((t) => t > from.getTime() && t < target),
    target,
  ]
  const steps = stops.length
  for (let i = 0; i < steps; i++) {
    const d = stops[i] - clock.now().getTime()
    const offset = clock.offsetMs + d
    await runCommand(app.deps, actor, async (ctx) => {
      await persistOffset(ctx.tx, offset, d)
      if (i > 0) return unchanged(null)
      return audited(null, [
        await recordAudit(ctx, {
          action: 'clock.advanced',
          before: { now: from },
          after: { now: new Date(from.getTime() + ms), offset_ms: clock.offsetMs + ms },
          data: { steps },
        }),
      ])
    })
    clock.advance(d)
    await options.onStep?.()
  }
  return { now: clock.now(), offset_ms: clock.offsetMs, steps }
}
