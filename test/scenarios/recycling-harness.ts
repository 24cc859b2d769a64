// A numguard on a test database with the injected manual clock, the real SMPP client bound to the embedded SMSC
// simulator, and helpers to walk a custody through its inactivity cycle day by day (operator time zone).
import { createHash, randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { ingestActivity } from '../../src/activity/index.ts'
import { runCommand } from '../../src/audit/run-command.ts'
import type { Actor } from '../../src/domain/actor.ts'
import { addDays, DEFAULT_POLICY, localDate, localInstant } from '../../src/domain/policy.ts'
import { sweepDueNumbers } from '../../src/recycling/sweep.ts'
import { recordReceipt } from '../../src/sms/receipts.ts'
import { sendDueNotices } from '../../src/sms/sender.ts'
import { type SmscSimulator, startSmscSimulator } from '../../src/sms/simulator/index.ts'
import { createSmppTransport } from '../../src/sms/smpp/index.ts'
import type { SmsTransport } from '../../src/sms/transport.ts'
import { openTestApp, TEST_START, type TestApp } from '../helpers/app.ts'
import { makeActiveNumber, makeStaff, type TestStaff } from '../helpers/factories.ts'

export const TZ = DEFAULT_POLICY.time_zone
/** Day 0 of a custody sold at TEST_START (10:00 in Phnom Penh). */
export const DAY0 = localDate(new Date(TEST_START), TZ)
export const CHARGING: Actor = { kind: 'system', component: 'charging-test' }
const SOURCE = 'charging'

export interface Harness {
  t: TestApp
  sim: SmscSimulator
  transport: SmsTransport
  agent: TestStaff
  /** Moves the clock to `time` (local) on day `day` counted from DAY0 (never backwards). */
  at(day: number, time?: string): Date
  /** The instant `time` of day `day`, without moving the clock. */
  instant(day: number, time?: string): Date
  sweep(): ReturnType<typeof sweepDueNumbers>
  /** Sends every due notice and waits until the simulator's receipts for what was submitted have been recorded. */
  sendAndSettle(options?: { waitForReceipts?: boolean }): Promise<number>
  /** Waits until a receipt has been recorded for every part submitted so far. */
  receiptsSettled(): Promise<void>
  ingest(events: Record<string, unknown>[]): Promise<{ accepted: number; cycles_restarted: number }>
  /** An empty batch from the charging source: the feed is alive. */
  heartbeat(): Promise<void>
  sell(): Promise<{ msisdn: string; iccid: string; custodyId: string; subscriberId: string }>
  close(): Promise<void>
}

export async function openHarness(): Promise<Harness> {
  const t = await openTestApp()
  const sim = await startSmscSimulator({ clock: t.app.clock })
  const transport = createSmppTransport(
    sim.url,
    { clock: t.app.clock, backoff: { initialMs: 20, maxMs: 200 }, submitTimeoutMs: 2_000 },
    t.app.logger,
  )
  let recorded = 0
  const waiters: { n: number; resolve: () => void }[] = []
  transport.onReceipt(async (r) => {
    await recordReceipt(t.app, r)
    recorded++
    for (const w of waiters.filter((x) => recorded >= x.n)) {
      waiters.splice(waiters.indexOf(w), 1)
      w.resolve()
    }
  })
  await new Promise<void>((resolve) => {
    if (transport.bound) return resolve()
    transport.onStatus((s) => s.bound && resolve())
  })
  let submitted = 0
  const agent = await makeStaff(t.app, ['agent'])
  const instant = (day: number, time = '10:00') => localInstant(addDays(DAY0, day), TZ, time)
  const h: Harness = {
    t,
    sim,
    transport,
    agent,
    instant,
    at(day, time = '10:00') {
      const target = instant(day, time).getTime()
      const now = t.clock.now().getTime()
      if (target < now) throw new Error(`the clock is past day ${day} ${time} already`)
      return t.clock.advance(target - now)
    },
    sweep: () => sweepDueNumbers(t.app),
    async sendAndSettle(options = {}) {
      const summary = await sendDueNotices(t.app, transport)
      submitted += summary.partsSubmitted
      if (options.waitForReceipts !== false) await h.receiptsSettled()
      return summary.submitted
    },
    async receiptsSettled() {
      if (recorded < submitted) await new Promise<void>((resolve) => waiters.push({ n: submitted, resolve }))
    },
    async ingest(events) {
      const body = JSON.stringify(events)
      return runCommand(t.app.deps, CHARGING, (ctx) =>
        ingestActivity(ctx, {
          events,
          source: SOURCE,
          inputSha256: createHash('sha256').update(body).digest('hex'),
          country: 'KH',
        }),
      )
    },
    async heartbeat() {
      await h.ingest([])
    },
    async sell() {
      const sold = await makeActiveNumber(t.app, { agent })
      return {
        msisdn: sold.msisdn,
        iccid: sold.iccid,
        custodyId: sold.sale.custody_id,
        subscriberId: sold.sale.subscriber_id,
      }
    },
    async close() {
      await transport.close()
      await sim.close()
      await t.close()
    },
  }
  return h
}

/** A top-up (or other kind) event of `msisdn` dated `occurredAt`. */
export function event(msisdn: string, occurredAt: Date, kind = 'topup') {
  return {
    msisdn,
    kind,
    amount: '1.00',
    occurred_at: occurredAt.toISOString(),
    source: SOURCE,
    external_id: randomUUID(),
  }
}

export async function numberState(h: Harness, msisdn: string): Promise<string> {
  const row = await h.t.app.db
    .selectFrom('numbers')
    .select('state')
    .where('msisdn', '=', msisdn)
    .executeTakeFirstOrThrow()
  return row.state
}

export async function stateRow(h: Harness, custodyId: string) {
  return h.t.app.db
    .selectFrom('recycling_state')
    .selectAll()
    .where('custody_id', '=', custodyId)
    .executeTakeFirstOrThrow()
}

/** Audit records of `action` about `msisdn`, with the local day each was written on. */
export async function records(h: Harness, msisdn: string, action: string) {
  const rows = await h.t.app.db
    .selectFrom('audit_records')
    .select(['seq', 'recorded_at', 'envelope'])
    .where('msisdn', '=', msisdn)
    .where('action', '=', action)
    .orderBy('seq')
    .execute()
  return rows.map((r) => {
    const envelope = r.envelope as { data?: Record<string, unknown>; before?: unknown; after?: unknown; basis?: string }
    return { on: localDate(new Date(r.recorded_at), TZ), at: new Date(r.recorded_at), ...envelope }
  })
}

export async function notices(h: Harness, msisdn: string) {
  return h.t.app.db
    .selectFrom('sms_notices')
    .select(['id', 'purpose', 'dedupe_key', 'state', 'language'])
    .where('msisdn', '=', msisdn)
    .orderBy('created_at')
    .orderBy('dedupe_key')
    .execute()
}

export async function alertsOf(h: Harness, msisdn: string, kind?: string) {
  let q = h.t.app.db
    .selectFrom('alerts')
    .select(['kind', 'severity', 'attempt', 'raised_at'])
    .where('msisdn', '=', msisdn)
  if (kind) q = q.where('kind', '=', kind)
  return q.orderBy('raised_at').execute()
}

export async function provisioning(h: Harness, msisdn: string): Promise<string[]> {
  const rows = await sql<{
    kind: string
  }>`SELECT kind FROM provisioning_events WHERE msisdn = ${msisdn} ORDER BY seq`.execute(h.t.app.db)
  return rows.rows.map((r) => r.kind)
}

/**
 * Walks a custody sold at day 0 through warnings on days 60, 75 and 85 (each sent at 08:00 with its receipts), and
 * stops at day 90 00:00 with a live feed; the caller decides what the withdrawal sweep should find.
 */
export async function walkToWithdrawalDay(h: Harness, options: { heartbeat?: boolean } = {}): Promise<void> {
  for (const day of [60, 75, 85]) {
    if (h.instant(day, '08:00') <= h.t.clock.now()) continue // already walked
    if (h.instant(day, '00:00') > h.t.clock.now()) h.at(day, '00:00')
    await h.sweep()
    h.at(day, '08:00')
    await h.sendAndSettle()
  }
  h.at(90, '00:00')
  if (options.heartbeat !== false) await h.heartbeat()
}
