// The permanent-disconnection register and its monthly files (RND convention: through the 10th, incremental, with
// corrections), written on the injected clock in the operator's time zone (Asia/Phnom_Penh, UTC+7).
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { makeStaff, SYSTEM, type TestStaff } from '../../test/helpers/factories.ts'
import { type HeldNumber, sellTo, signInAgain, withdrawForInactivity } from '../../test/helpers/reclaim-fixtures.ts'
import { sha256Hex } from '../access/secrets.ts'
import { runCommand } from '../audit/run-command.ts'
import { recordDisconnection } from '../recycling/disconnections.ts'
import { requestReclaim } from '../recycling/reclaim.ts'
import { approveRequest } from '../requests/commands.ts'
import { executeRequest } from '../requests/execute.ts'
import { buildCsv, CSV_HEADER, generateDisconnectionReport } from './disconnections.ts'

let t: TestApp
let agent: TestStaff
let supervisor: TestStaff
let compliance: TestStaff
let auditor: TestStaff
const n: Record<string, HeldNumber> = {}

/** Moves the test clock to an instant given in Phnom Penh time (UTC+7). */
function at(local: string) {
  const target = new Date(`${local}+07:00`).getTime()
  t.clock.advance(target - t.clock.now().getTime())
}

const digits = (msisdn: string) => msisdn.slice(1)
const generate = (month: string) =>
  runCommand(t.app.deps, compliance.actor, (ctx) => generateDisconnectionReport(ctx, month, 'Asia/Phnom_Penh'))

async function reclaim(held: HeldNumber) {
  const request = await runCommand(t.app.deps, agent.actor, (ctx) =>
    requestReclaim(
      ctx,
      agent.actor,
      { msisdn: held.msisdn, kycDocNumber: held.subscriber.kyc_doc_number },
      t.app.config.kycKey,
    ),
  )
  await runCommand(t.app.deps, supervisor.actor, (ctx) =>
    approveRequest(ctx, request.id, { payloadSha256: request.payload_sha256 }),
  )
  return runCommand(t.app.deps, agent.actor, (ctx) => executeRequest(ctx, request.id))
}

beforeAll(async () => {
  t = await openTestApp() // 2026-03-02 10:00 in Phnom Penh
  agent = await makeStaff(t.app, ['agent'])
  supervisor = await makeStaff(t.app, ['supervisor'])
  compliance = await makeStaff(t.app, ['compliance_officer'])
  auditor = await makeStaff(t.app, ['auditor'])
  for (const key of ['a', 'b', 'c', 'd', 'e', 'f']) n[key] = await sellTo(t.app, { agent })
  at('2026-03-05T09:00:00')
  await withdrawForInactivity(t.app, n.a)
  at('2026-03-08T09:00:00')
  await withdrawForInactivity(t.app, n.d)
  at('2026-03-09T09:00:00')
  await withdrawForInactivity(t.app, n.b)
  at('2026-03-10T12:00:00')
  await reclaim(n.d) // reclaimed before any file carried its disconnection
})
afterAll(() => t.close())

describe('the March file', () => {
  let first: Awaited<ReturnType<typeof generate>>

  it('cannot be written while the 10th has not ended in the operator’s time zone', async () => {
    at('2026-03-10T23:59:00')
    await expect(generate('2026-03')).rejects.toMatchObject({
      code: 'report_period_open',
      details: { cutoff_on: '2026-03-10' },
    })
  })

  it('carries the disconnections through the 10th, except the one reclaimed before it was reported', async () => {
    at('2026-03-12T08:00:00')
    await withdrawForInactivity(t.app, n.c) // after the cut-off: next month's file
    at('2026-03-14T09:00:00')
    first = await generate('2026-03')
    expect(first.content).toBe(
      `${CSV_HEADER}\r\n${digits(n.a.msisdn)},2026-03-05,disconnected\r\n${digits(n.b.msisdn)},2026-03-09,disconnected\r\n`,
    )
    expect(first).toMatchObject({
      cutoff_on: '2026-03-10',
      disconnections: 2,
      cancellations: 0,
      file_name: 'disconnections-2026-03.csv',
    })
    expect(first.file_sha256).toBe(sha256Hex(first.content))
    const record = await t.app.db
      .selectFrom('audit_records')
      .select(['envelope'])
      .where('action', '=', 'report.disconnections_generated')
      .execute()
    expect(record).toHaveLength(1)
    expect(record[0].envelope).toMatchObject({
      basis: first.file_sha256,
      data: { month: '2026-03', disconnections: 2 },
    })
  })

  it('is the same file, byte for byte, when written again — and nothing new is recorded', async () => {
    at('2026-03-15T09:00:00')
    const again = await generate('2026-03')
    expect(again).toEqual(first)
    const records = await t.app.db
      .selectFrom('audit_records')
      .select('seq')
      .where('action', '=', 'report.disconnections_generated')
      .execute()
    expect(records).toHaveLength(1)
  })
})

describe('the April file', () => {
  it('carries new rows only, and a cancellation line for a reported disconnection reclaimed since', async () => {
    at('2026-03-20T10:00:00')
    await signInAgain(t.app, agent, supervisor)
    const reclaimed = await reclaim(n.b)
    expect(reclaimed.outcome.disconnection_cancelled).toMatchObject({ correction_due: true })
    at('2026-04-10T23:30:00') // still the 10th in Phnom Penh (16:30 UTC)
    await withdrawForInactivity(t.app, n.e)
    at('2026-04-11T00:30:00') // the 11th: the May file's
    await withdrawForInactivity(t.app, n.f)
    at('2026-04-14T09:00:00')
    const april = await generate('2026-04')
    expect(april.content).toBe(
      buildCsv([
        { msisdn: n.c.msisdn, date: '2026-03-12', record: 'disconnected' },
        { msisdn: n.e.msisdn, date: '2026-04-10', record: 'disconnected' },
        { msisdn: n.b.msisdn, date: '2026-03-09', record: 'cancelled' },
      ]),
    )
    expect(april).toMatchObject({ disconnections: 2, cancellations: 1 })
  })

  it('takes in a disconnection recorded late, dated before an earlier cut-off, in the next file written', async () => {
    // A withdrawal recorded today but dated in March (e.g. a register entry replayed after an outage).
    await runCommand(t.app.deps, SYSTEM, async (ctx) => {
      const out = await recordDisconnection(ctx, {
        msisdn: n.f.msisdn,
        custodyId: n.f.custodyId,
        disconnectedOn: '2026-04-11',
      })
      expect(out.created).toBe(false) // idempotent per custody: the withdrawal already recorded it
      const late = await recordDisconnection(ctx, {
        msisdn: n.d.msisdn,
        custodyId: (
          await ctx.tx
            .selectFrom('custodies')
            .select('id')
            .where('msisdn', '=', n.d.msisdn)
            .where('ended_at', 'is', null)
            .executeTakeFirstOrThrow()
        ).id,
        disconnectedOn: '2026-03-30',
      })
      return late.receipt ? { result: null, receipts: [late.receipt] } : { result: null, receipts: [] }
    })
    at('2026-05-11T09:00:00')
    const may = await generate('2026-05')
    expect(may.content).toBe(
      buildCsv([
        { msisdn: n.d.msisdn, date: '2026-03-30', record: 'disconnected' },
        { msisdn: n.f.msisdn, date: '2026-04-11', record: 'disconnected' },
      ]),
    )
  })

  it('refuses a month before the latest file written', async () => {
    await expect(generate('2026-02')).rejects.toMatchObject({
      code: 'later_report_exists',
      details: { later_month: '2026-03' },
    })
  })

  it('refuses a date that is not a calendar day', async () => {
    await expect(
      runCommand(t.app.deps, SYSTEM, (ctx) =>
        recordDisconnection(ctx, { msisdn: n.a.msisdn, custodyId: n.a.custodyId, disconnectedOn: '2026-02-30' }).then(
          () => {
            throw new Error('accepted')
          },
        ),
      ),
    ).rejects.toMatchObject({ code: 'invalid_input', details: { field: 'disconnectedOn' } })
  })
})

describe('over HTTP', () => {
  it('lets compliance write a file and auditors read it; others are refused', async () => {
    await signInAgain(t.app, compliance, auditor, agent)
    const h = (s: TestStaff) => ({ authorization: `Bearer ${s.token}` })
    const read = await t.server.inject({
      method: 'GET',
      url: '/api/v1/reports/disconnections?month=2026-03',
      headers: h(auditor),
    })
    expect(read.statusCode).toBe(200)
    expect(read.json()).toMatchObject({ month: '2026-03', disconnections: 2, created: false })
    const summary = await t.server.inject({ method: 'GET', url: '/api/v1/reports/disconnections', headers: h(auditor) })
    expect(summary.json()).toMatchObject({ unreported: 0, corrections_due: 0 })
    expect(summary.json().reports.map((r: { month: string }) => r.month)).toEqual(['2026-05', '2026-04', '2026-03'])
    const missing = await t.server.inject({
      method: 'GET',
      url: '/api/v1/reports/disconnections?month=2026-06',
      headers: h(auditor),
    })
    expect(missing.statusCode).toBe(404)
    const write = (s: TestStaff, month: string) =>
      t.server.inject({ method: 'POST', url: '/api/v1/reports/disconnections', headers: h(s), payload: { month } })
    expect((await write(auditor, '2026-05')).statusCode).toBe(403)
    expect(
      (await t.server.inject({ method: 'GET', url: '/api/v1/reports/disconnections', headers: h(agent) })).statusCode,
    ).toBe(403)
    expect((await write(compliance, '2026-13')).statusCode).toBe(400)
    const rerun = await write(compliance, '2026-05')
    expect(rerun.json()).toMatchObject({ month: '2026-05', created: false, disconnections: 2 })
  })
})

describe('the database guards the register', () => {
  it('refuses rewriting a record, cancelling it twice, rewriting a file, or any change without its audit record', async () => {
    const row = await t.app.db
      .selectFrom('disconnections')
      .select(['id', 'msisdn', 'custody_id'])
      .where('cancelled_at', 'is not', null)
      .executeTakeFirstOrThrow()
    const tx = (q: ReturnType<typeof sql>) =>
      t.app.db.transaction().execute(async (trx) => {
        await sql`INSERT INTO audit_records (event_id, txid, recorded_at, action, envelope)
                  VALUES (gen_random_uuid(), 0, now(), 'test', '{}')`.execute(trx)
        await q.execute(trx)
      })
    // The application role may not touch what was recorded (grants), and may cancel a record only once (trigger).
    await expect(
      tx(sql`UPDATE disconnections SET disconnected_on = '2026-01-01' WHERE id = ${row.id}`),
    ).rejects.toMatchObject({ code: '42501' })
    await expect(
      tx(sql`UPDATE disconnections SET cancelled_at = now(), cancel_reason = 'reclaim' WHERE id = ${row.id}`),
    ).rejects.toMatchObject({ code: 'NGR01' })
    await expect(tx(sql`UPDATE disconnection_reports SET content = 'forged'`)).rejects.toMatchObject({ code: '42501' })
    await expect(
      sql`INSERT INTO disconnections (id, msisdn, custody_id, disconnected_on, recorded_at)
          SELECT gen_random_uuid(), msisdn, id, '2026-01-01', now() FROM custodies
           WHERE NOT EXISTS (SELECT 1 FROM disconnections d WHERE d.custody_id = custodies.id) LIMIT 1`.execute(
        t.app.db,
      ),
    ).rejects.toMatchObject({ code: 'NG001' })
  })
})
