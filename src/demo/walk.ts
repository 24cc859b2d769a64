// The demo walk: when a person moves the demo clock by days, numguard lives each day in turn — the simulated
// charging system sends its top-ups and heartbeat, the worker does what is due that day (warnings, suspensions,
// withdrawals, aging), and the SMS go out and come back with their receipts before the next day begins. So a
// 120-day advance shows each number walking through its cycle, with its SMS in the simulator's inboxes.
import { sql } from 'kysely'
import type { App } from '../app.ts'
import { addDays, localDate, localInstant } from '../domain/policy.ts'
import { runDueWork } from '../worker/index.ts'
import { simulateCharging } from './charging.ts'

/** The walk stops once a day at this local time: inside the send window, so each day's SMS go out that day. */
export const WALK_STOP_TIME = '10:00'
/** How long a step waits, at most, for delivery receipts of what it sent (the embedded SMSC answers in ms). */
export const RECEIPT_SETTLE_MS = 3_000

export interface DayOutcome {
  topups: number
  done: Record<string, number>
}

async function partsAwaitingReceipts(app: App): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM sms_notice_parts WHERE state IN ('submitting', 'submitted')`.execute(app.db)
  return rows[0]?.n ?? 0
}

/**
 * Waits until what was sent has its receipts (only with a live SMSC link; without one notices just queue). Real time
 * on purpose: receipts travel over the network, whatever the demo clock says.
 */
async function settleSms(app: App, limitMs: number): Promise<void> {
  if (!app.sms) return
  const until = Date.now() + limitMs
  while ((await partsAwaitingReceipts(app)) > 0 && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** The daily stops of a walk from `from` to `to`: each day at WALK_STOP_TIME in the operator's time zone. */
export function walkStops(from: Date, to: Date, timeZone: string): Date[] {
  const stops: Date[] = []
  for (let day = localDate(from, timeZone); ; day = addDays(day, 1)) {
    const at = localInstant(day, timeZone, WALK_STOP_TIME)
    if (at >= to) return stops
    if (at > from) stops.push(at)
  }
}

/** One day of the demo at the clock's current time. */
export async function liveDemoDay(app: App, settleMs = RECEIPT_SETTLE_MS): Promise<DayOutcome> {
  const started = performance.now()
  const { topups } = await simulateCharging(app)
  const charged = performance.now()
  const done = await runDueWork(app)
  const worked = performance.now()
  await settleSms(app, settleMs)
  const settled = performance.now()
  // Receipts recorded just now may let a withdrawal proceed today; notices queued by this pass go out today too.
  if ((done.sms_sent ?? 0) > 0 || (done.recycling_warned ?? 0) > 0) {
    const again = await runDueWork(app)
    for (const [k, v] of Object.entries(again)) done[k] = (done[k] ?? 0) + v
    await settleSms(app, settleMs)
  }
  const ms = (a: number, b: number) => Math.round(b - a)
  app.logger.info(
    {
      at: app.clock.now(),
      topups,
      done,
      ms: {
        charging: ms(started, charged),
        work: ms(charged, worked),
        settle: ms(worked, settled),
        total: ms(started, performance.now()),
      },
    },
    'demo day',
  )
  return { topups, done }
}
