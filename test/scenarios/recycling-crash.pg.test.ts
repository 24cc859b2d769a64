// kill -9 of a real `numguard worker` process mid-sweep on PostgreSQL, then a restart: no SMS sent twice, no
// withdrawal without its evidence, no due custody lost, and the sends the kill interrupted are `unknown` and alerted.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCommand } from '../../src/audit/run-command.ts'
import { CLOCK_OFFSET_KEY } from '../../src/demo/clock.ts'
import { addDays, DEFAULT_POLICY, localDate, localInstant } from '../../src/domain/policy.ts'
import { sellNumber } from '../../src/inventory/sales.ts'
import { sweepDueNumbers } from '../../src/recycling/sweep.ts'
import { type SmscSimulator, startSmscSimulator } from '../../src/sms/simulator/index.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { makeRange, makeSims, makeStaff, newSubscriber } from '../helpers/factories.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const COUNT = 200
/** Custodies whose cycle is already past day 90 with no warning sent: the sweep may warn them, never withdraw them. */
const OVERDUE = 10
const TZ = DEFAULT_POLICY.time_zone

let t: TestApp
let sim: SmscSimulator
let schema: string
let numbers: string[]
const submits = new Map<string, number>()

beforeAll(async () => {
  t = await openTestApp()
  const agent = await makeStaff(t.app, ['agent'])
  numbers = await makeRange(t.app, COUNT)
  const sims = await makeSims(t.app, agent.shopId as string, COUNT)
  for (let i = 0; i < COUNT; i++) {
    await runCommand(t.app.deps, agent.actor, (ctx) =>
      sellNumber(
        ctx,
        agent.actor,
        { msisdn: numbers[i], iccid: sims[i], subscriber: newSubscriber({ language: i % 2 ? 'en' : 'km' }) },
        t.app.config.kycKey,
      ),
    )
  }
  await sweepDueNumbers(t.app) // first visits: every custody is next due on day 60
  schema = (await sql<{ s: string }>`SELECT current_schema() AS s`.execute(t.app.db)).rows[0].s
  sim = await startSmscSimulator({ behaviour: { holdSubmitResponses: true } })
  sim.onEvent((e) => {
    if (e.type === 'submit') submits.set(e.to, (submits.get(e.to) ?? 0) + 1)
  })
}, 180_000)

afterAll(async () => {
  await sim?.close()
  await t?.close()
})

/** Day 60 of the cycles, 10:00 in Phnom Penh (inside the send window), plus `extraMs`, as the worker's clock. */
async function setWorkerClock(extraMs: number): Promise<Date> {
  const day60 = localInstant(addDays(localDate(t.clock.now(), TZ), 60), TZ, '10:00')
  const at = new Date(day60.getTime() + extraMs)
  const offset = at.getTime() - Date.now()
  await t.app.db
    .insertInto('settings')
    .values({ key: CLOCK_OFFSET_KEY, value: JSON.stringify(offset) })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(offset) }))
    .execute()
  return at
}

function startWorker(args: string[]): ChildProcess {
  const url = new URL(process.env.TEST_DATABASE_URL as string)
  url.searchParams.set('options', `-c search_path=${schema},public`)
  return spawn(process.execPath, ['bin/numguard.mjs', 'worker', ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      NUMGUARD_MODE: 'demo',
      DATABASE_URL: url.toString(),
      MIGRATION_DATABASE_URL: url.toString(),
      SMPP_URL: sim.url,
      SMS_SEND_INTERVAL_MS: '50',
      SMPP_RATE: '5000',
      LOG_LEVEL: 'error',
      NUMGUARD_SUITE: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

function count(query: ReturnType<typeof sql<{ n: number }>>): Promise<number> {
  return query.execute(t.app.db).then((r) => Number(r.rows[0].n))
}

describe('a worker killed with SIGKILL in the middle of a sweep', () => {
  it('loses nothing and sends nothing twice when a worker starts again', async () => {
    const startedAt = await setWorkerClock(0)
    // Some custodies are long overdue: their warnings go out now, but nothing is evidenced yet.
    await sql`UPDATE recycling_state SET cycle_started_at = ${new Date(startedAt.getTime() - 95 * 86_400_000)},
                     next_due_at = ${startedAt}
               WHERE msisdn IN (SELECT unnest(${numbers.slice(0, OVERDUE)}::text[]))`.execute(t.app.db)

    // A person's long transaction holds most numbers: the worker's sweep stalls on them, mid-way, while its sender
    // sends what the sweep already queued.
    const blocker = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL })
    await blocker.connect()
    await blocker.query(`SET search_path TO "${schema}", public`)
    await blocker.query('BEGIN')
    await blocker.query('SELECT msisdn FROM numbers WHERE msisdn = ANY($1) FOR UPDATE', [
      numbers.slice((COUNT * 3) / 4),
    ])

    const first = startWorker(['--interval', '1'])
    let stderr = ''
    first.stderr?.on('data', (d) => {
      stderr += d
    })
    // The SMSC holds every submit_sm_resp: the worker's first parts are in flight, their outcome unknown, when it dies.
    await new Promise<void>((resolve, reject) => {
      const off = sim.onEvent((e) => {
        if (e.type === 'submit' && [...submits.values()].reduce((a, b) => a + b, 0) >= 3) {
          off()
          resolve()
        }
      })
      first.once('exit', (code) => reject(new Error(`the worker exited early (${code}): ${stderr}`)))
      const timer = setTimeout(() => reject(new Error(`no SMS reached the SMSC within 60 s: ${stderr}`)), 60_000)
      timer.unref()
    }).catch(async (err) => {
      first.kill('SIGKILL')
      await blocker.query('ROLLBACK')
      await blocker.end()
      throw err
    })
    first.kill('SIGKILL')
    await once(first, 'exit')
    await blocker.query('ROLLBACK')
    await blocker.end()

    const processed = await count(sql`SELECT count(*) AS n FROM audit_records WHERE action = 'number.suspended'`)
    const pending = await count(
      sql`SELECT count(*) AS n FROM recycling_state WHERE stage = 'in_cycle' AND (lease_id IS NOT NULL OR next_due_at <= ${startedAt})`,
    )
    const inDoubt = await count(sql`SELECT count(*) AS n FROM sms_notice_parts WHERE state = 'submitting'`)
    expect(processed).toBeGreaterThan(0) // it had started…
    expect(pending).toBeGreaterThan(0) // …and not finished
    expect(inDoubt).toBeGreaterThan(0) // and parts were on the wire

    // Restart past the leases and the sender's grace period; the SMSC answers normally again.
    sim.setBehaviour({ holdSubmitResponses: false })
    const restartAt = await setWorkerClock(15 * 60_000)
    const second = startWorker(['--once'])
    let out = ''
    second.stdout?.on('data', (d) => {
      out += d
    })
    const [code] = await once(second, 'exit')
    expect(code).toBe(0)
    expect(out).toContain('"worker":"done"')

    // Nothing lost: every custody got exactly one day-60 warning and one suspension, and is next due later.
    const perNumber = await sql<{ msisdn: string; warnings: number; suspensions: number }>`
      SELECT msisdn,
             count(*) FILTER (WHERE action = 'recycling.warning_queued' AND envelope #>> '{data,stage}' = '1')::int AS warnings,
             count(*) FILTER (WHERE action = 'number.suspended')::int AS suspensions
        FROM audit_records WHERE action IN ('recycling.warning_queued', 'number.suspended') GROUP BY msisdn`.execute(
      t.app.db,
    )
    expect(perNumber.rows.length).toBe(COUNT)
    expect(perNumber.rows.filter((r) => r.warnings !== 1 || r.suspensions !== 1)).toEqual([])
    expect(
      await count(
        sql`SELECT count(*) AS n FROM recycling_state WHERE lease_id IS NOT NULL OR next_due_at <= ${restartAt}`,
      ),
    ).toBe(0)

    // Nothing sent twice: the SMSC saw each number's parts at most once.
    const parts = await sql<{ to: string; n: number }>`
      SELECT n.to_address AS to, count(p.*)::int AS n FROM sms_notices n JOIN sms_notice_parts p ON p.notice_id = n.id
       GROUP BY n.to_address`.execute(t.app.db)
    const committed = new Map(parts.rows.map((r) => [r.to.replace(/^\+/, ''), r.n]))
    const over = [...submits].filter(([to, n]) => n > (committed.get(to.replace(/^\+/, '')) ?? 0))
    expect(over).toEqual([])

    // The interrupted sends are unknown, alerted, and were never resent.
    const unknown = await t.app.db
      .selectFrom('sms_notices')
      .select(['id', 'to_address'])
      .where('state', '=', 'unknown')
      .execute()
    expect(unknown.length).toBeGreaterThan(0)
    const alerts = await count(sql`SELECT count(*) AS n FROM alerts WHERE kind = 'sms_outcome_unknown'`)
    expect(alerts).toBeGreaterThanOrEqual(unknown.length)
    expect(await count(sql`SELECT count(*) AS n FROM sms_notice_parts WHERE state = 'submitting'`)).toBe(0)

    // No withdrawal without evidence: the overdue custodies wait for their warnings' receipts.
    expect(await count(sql`SELECT count(*) AS n FROM audit_records WHERE action = 'number.withdrawn'`)).toBe(0)
    const waiting = await t.app.db
      .selectFrom('recycling_state')
      .select(['step', 'waiting_reason'])
      .where('msisdn', 'in', numbers.slice(0, OVERDUE))
      .execute()
    expect(waiting.every((w) => w.step === 'waiting')).toBe(true)
  }, 180_000)
})
