// Issue 11, item 4: internal analysis names the culprit. A colluding agent and supervisor swap a holder's SIM on a
// stolen ID card (no reply from the holder), transfer the number once the cooling is over, and keep working as a
// pair; an honest agent only sold the number. The analysis ranks the pair first, every figure links to its leaves,
// the periodic job raises one alert per culprit (repeats counted, no flood), and agents may not read any of it.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AnalysedStaff,
  analyseNumbers,
  type NumbersAnalysis,
  presentNumbersAnalysis,
  raiseStaffRiskAlerts,
  staffSignals,
} from '../../src/analysis/index.ts'
import { runAuditLogPass } from '../../src/audit/log-service.ts'
import { runCommand } from '../../src/audit/run-command.ts'
import { executeDueRequests } from '../../src/changes/due.ts'
import { requestTermination } from '../../src/changes/holder-changes.ts'
import { localTime } from '../../src/domain/zoned-time.ts'
import type { TestApp } from '../helpers/app.ts'
import { openCustomerSession } from '../helpers/customer-session.ts'
import { makeActiveNumber, makeShop, makeSims, makeStaff, newSubscriber, type TestStaff } from '../helpers/factories.ts'
import { signInAgain } from '../helpers/reclaim-fixtures.ts'
import { codeOnPhone, HOUR, http, num, openConsentApp, reply } from './consent-harness.ts'

const DAY = 24 * HOUR
let t: TestApp
let api: ReturnType<typeof http>
let honest: TestStaff
let rogue: TestStaff
let colluder: TestStaff
let compliance: TestStaff
let auditor: TestStaff
let msisdn: string
const requestIds: string[] = []

async function later(ms: number) {
  t.clock.advance(ms)
  await signInAgain(t.app, honest, rogue, colluder, compliance, auditor)
}

async function leavesOf(requestId: string): Promise<number[]> {
  const rows = await t.app.db.selectFrom('audit_leaves').select('index').where('request_id', '=', requestId).execute()
  return rows.map((r) => Number(r.index))
}

async function fileLostSwap(number: string, doc: string) {
  await openCustomerSession(t.server, rogue, number, doc)
  const [iccid] = await makeSims(t.app, rogue.shopId as string, 1)
  const filed = await api.post(rogue, `${num(number)}/sim-swap-lost`, { iccid, kyc_doc_number: doc })
  expect(filed.statusCode, filed.body).toBe(200)
  const request = filed.json()
  expect(request.assigned_to.id).toBe(colluder.id)
  const approved = await api.post(colluder, `/api/v1/requests/${request.id}/approve`, {
    payload_sha256: request.payload_sha256,
  })
  expect(approved.statusCode, approved.body).toBe(200)
  requestIds.push(request.id)
  return request as { id: string }
}

beforeAll(async () => {
  t = await openConsentApp()
  api = http(t)
  honest = await makeStaff(t.app, ['agent'])
  rogue = await makeStaff(t.app, ['agent'])
  colluder = await makeStaff(t.app, ['supervisor']) // the only supervisor: every request of the rogue is theirs
  compliance = await makeStaff(t.app, ['compliance_officer'])
  auditor = await makeStaff(t.app, ['auditor'])

  // The honest agent sells two numbers; the holder of the first uses it for weeks.
  const sold = await makeActiveNumber(t.app, { agent: honest })
  msisdn = sold.msisdn
  const doc = sold.subscriber.kyc_doc_number
  const other = await makeActiveNumber(t.app, { agent: honest })
  await later(40 * DAY)

  // The rogue, with a copy of the holder's ID card, files a lost-SIM swap; the colluder approves; no NO comes.
  await fileLostSwap(msisdn, doc)
  await later(DAY)
  expect((await executeDueRequests(t.app)).executed).toBe(1)

  // Once the cooling is over, the transfer's code reaches the fraudsters' SIM and they answer it.
  await later(31 * DAY)
  await openCustomerSession(t.server, rogue, msisdn, doc)
  const [iccid] = await makeSims(t.app, rogue.shopId as string, 1)
  const transfer = await api.post(rogue, `${num(msisdn)}/transfer`, { iccid, new_subscriber: newSubscriber() })
  expect(transfer.statusCode, transfer.body).toBe(200)
  const code = await codeOnPhone(t, msisdn)
  expect((await reply(t, msisdn, `YES ${code}`)).outcome).toBe('consent_recorded')
  const approved = await api.post(colluder, `/api/v1/requests/${transfer.json().id}/approve`, {
    payload_sha256: transfer.json().payload_sha256,
  })
  expect(approved.statusCode, approved.body).toBe(200)
  requestIds.push(transfer.json().id)
  await later(25 * HOUR)
  expect((await executeDueRequests(t.app)).executed).toBe(1)

  // The same pair again, on another number.
  await fileLostSwap(other.msisdn, other.subscriber.kyc_doc_number)
  await runAuditLogPass(t.app)
})
afterAll(() => t.close())

describe('analyseNumbers', () => {
  let analysis: NumbersAnalysis

  beforeAll(async () => {
    analysis = await analyseNumbers(t.app.db, { msisdns: [msisdn], clock: t.app.clock })
  })

  it('ranks the colluding agent and supervisor first, above the honest agent who sold the number', () => {
    const ranked = analysis.staff.map((s) => s.staff.id)
    expect(ranked.slice(0, 2).sort()).toEqual([rogue.id, colluder.id].sort())
    expect(ranked).toContain(honest.id)
    const score = (id: string) => analysis.staff.find((s) => s.staff.id === id)?.score ?? Number.NaN
    expect(score(honest.id)).toBeLessThan(score(rogue.id))
    expect(score(honest.id)).toBeLessThan(score(colluder.id))
    expect(analysis.until.getTime()).toBe(t.clock.now().getTime())
    expect(analysis.until.getTime() - analysis.since.getTime()).toBe(180 * DAY)
  })

  it('counts the swap without the holder’s reply followed by a transfer against both, with both requests’ leaves', async () => {
    const [swapId, transferId] = requestIds
    const behind = [...(await leavesOf(swapId)), ...(await leavesOf(transferId))].sort((a, b) => a - b)
    for (const id of [rogue.id, colluder.id]) {
      const s = analysis.staff.find((x) => x.staff.id === id)?.signals.swap_without_reply_then_transfer
      expect(s?.count).toBe(1)
      expect(s?.leaves).toEqual(behind)
    }
    const mine = analysis.staff.find((x) => x.staff.id === honest.id)?.signals
    expect(mine?.swap_without_reply_then_transfer.count).toBe(0)
    expect(mine?.repeated_pairs.count).toBe(0)
  })

  it('finds the repeated pair across every number, its leaves the filings and approvals of its three requests', async () => {
    const rogueSignals = analysis.staff.find((x) => x.staff.id === rogue.id)?.signals
    expect(rogueSignals?.repeated_pairs).toMatchObject({
      count: 3,
      pairs: [{ requester_id: rogue.id, approver_id: colluder.id, requests: 3 }],
    })
    const expected = await t.app.db
      .selectFrom('audit_leaves')
      .select('index')
      .where('request_id', 'in', requestIds)
      .where('action', 'in', ['request.created', 'request.approved'])
      .orderBy('index')
      .execute()
    expect(rogueSignals?.repeated_pairs.leaves).toEqual(expected.map((r) => Number(r.index)))
    expect(expected).toHaveLength(6)
  })

  it('compares the agent’s filings with the median of the other agents', async () => {
    const of = (id: string) => analysis.staff.find((x) => x.staff.id === id) as AnalysedStaff
    const filed = await t.app.db
      .selectFrom('audit_leaves')
      .select('index')
      .where('staff_id', '=', rogue.id)
      .where('action', '=', 'request.created')
      .orderBy('index')
      .execute()
    // The other agents (the honest one) filed nothing: a median of 0 counts as 1.
    expect(of(rogue.id).signals.volume).toEqual({
      count: 3,
      role: 'agent',
      peer_median: 0,
      ratio: 3,
      leaves: filed.map((r) => Number(r.index)),
    })
    expect(of(colluder.id).signals.volume).toMatchObject({ count: 3, role: 'supervisor' })
    expect(of(honest.id).signals.volume).toMatchObject({ count: 0, ratio: 0 })
  })

  it('presents every leaf with the link that fetches it with its proof', () => {
    const shown = presentNumbersAnalysis(analysis)
    const first = shown.staff[0].signals.swap_without_reply_then_transfer
    expect(first.leaves.map((l) => l.index)).toEqual(analysis.staff[0].signals.swap_without_reply_then_transfer.leaves)
    expect(first.leaves.every((l) => l.link === `/api/v1/audit/proofs/inclusion?index=${l.index}`)).toBe(true)
    expect(shown.until).toBe(t.clock.now().toISOString())
  })

  it('a larger N of its own finds no pair', async () => {
    const strict = await analyseNumbers(t.app.db, { msisdns: [msisdn], clock: t.app.clock, options: { pairMin: 4 } })
    expect(strict.staff.find((x) => x.staff.id === rogue.id)?.signals.repeated_pairs.count).toBe(0)
  })
})

describe('the HTTP answers', () => {
  it('give compliance officers and auditors the ranking, each leaf with a link that fetches it with its proof', async () => {
    for (const who of [compliance, auditor]) {
      const res = await api.get(who, `/api/v1/analysis/numbers/${encodeURIComponent(msisdn)}?days=180`)
      expect(res.statusCode, res.body).toBe(200)
      const body = res.json()
      expect([body.staff[0].staff.id, body.staff[1].staff.id].sort()).toEqual([rogue.id, colluder.id].sort())
      const leaf = body.staff[0].signals.swap_without_reply_then_transfer.leaves[0]
      expect(leaf.link).toBe(`/api/v1/audit/proofs/inclusion?index=${leaf.index}`)
      const proof = await api.get(who, leaf.link)
      expect(proof.statusCode, proof.body).toBe(200)
      expect(proof.json().index).toBe(leaf.index)
    }
    const one = await api.get(compliance, `/api/v1/staff/${colluder.id}/signals`)
    expect(one.statusCode, one.body).toBe(200)
    expect(one.json()).toMatchObject({
      staff: { id: colluder.id },
      signals: { swap_without_reply_then_transfer: { count: 1 }, repeated_pairs: { count: 3 } },
    })
  })

  it('refuse agents and supervisors (403), sessions-less calls (401), bad input (400) and unknown ids (404)', async () => {
    for (const who of [honest, colluder]) {
      expect((await api.get(who, `/api/v1/analysis/numbers/${encodeURIComponent(msisdn)}`)).statusCode).toBe(403)
      expect((await api.get(who, `/api/v1/staff/${rogue.id}/signals`)).statusCode).toBe(403)
    }
    const anonymous = await t.server.inject({ method: 'GET', url: `/api/v1/staff/${rogue.id}/signals` })
    expect(anonymous.statusCode).toBe(401)
    expect((await api.get(compliance, `/api/v1/staff/${rogue.id}/signals?days=0`)).statusCode).toBe(400)
    expect((await api.get(compliance, '/api/v1/staff/not-a-uuid/signals')).statusCode).toBe(400)
    const unknown = '00000000-0000-4000-8000-000000000000'
    expect((await api.get(compliance, `/api/v1/staff/${unknown}/signals`)).statusCode).toBe(404)
    expect((await api.get(compliance, '/api/v1/analysis/numbers/+85599999999')).statusCode).toBe(404)
  })
})

describe('the periodic alert job', () => {
  const riskAlerts = () => t.app.db.selectFrom('alerts').selectAll().where('kind', '=', 'staff_risk_signal').execute()

  it('raises one risk alert per culprit, none for the honest agent, and counts a rerun as a repeat', async () => {
    expect(await raiseStaffRiskAlerts(t.app)).toMatchObject({ raised: 2, repeated: 0 })
    const first = await riskAlerts()
    expect(first.map((a) => a.staff_id).sort()).toEqual([rogue.id, colluder.id].sort())
    expect(first.every((a) => a.severity === 'risk' && a.repeats === 1)).toBe(true)

    expect(await raiseStaffRiskAlerts(t.app)).toMatchObject({ raised: 0, repeated: 2 })
    const again = await riskAlerts()
    expect(again).toHaveLength(2)
    expect(again.map((a) => a.repeats)).toEqual([2, 2])
  })

  it('stays quiet an hour later on the same evidence, and speaks again when the evidence grows', async () => {
    await later(HOUR)
    expect(await raiseStaffRiskAlerts(t.app)).toMatchObject({ raised: 0, repeated: 0, quiet: 2 })
    expect(await riskAlerts()).toHaveLength(2)

    // The rogue tries to end the number they moved, without the new holder: a refusal in their name.
    const refused = await api.post(rogue, `${num(msisdn)}/termination`, {})
    expect(refused.statusCode).toBe(403)
    await runAuditLogPass(t.app)
    const alertId = refused.json().details.alert_id as string
    const [raisedLeaf] = await t.app.db
      .selectFrom('audit_leaves')
      .select('index')
      .where('action', '=', 'alert.raised')
      .where(sql<string>`convert_from(leaf, 'UTF8')::jsonb #>> '{after,alert_id}'`, '=', alertId)
      .execute()
    const rogueNow = await staffSignals(t.app.db, rogue.id, { clock: t.app.clock })
    expect(rogueNow?.signals.refused_attempts.leaves).toContain(Number(raisedLeaf.index))
    const out = await raiseStaffRiskAlerts(t.app)
    expect(out.raised).toBeGreaterThanOrEqual(1)
    const now = await riskAlerts()
    expect(now.filter((a) => a.staff_id === rogue.id)).toHaveLength(2)
    expect(now.some((a) => a.staff_id === honest.id)).toBe(false)
  })
})

describe('off-hours and away from their shop', () => {
  it('counts an agent’s sale at 22:00 in Phnom Penh as off-hours, with its leaf; daytime work is not', async () => {
    const night = await makeStaff(t.app, ['agent'])
    const utcHour = t.clock.now().getUTCHours()
    await later(((15 - utcHour + 24) % 24) * HOUR) // 15:00 UTC is 22:00 in Asia/Phnom_Penh
    await signInAgain(t.app, night)
    const { msisdn: sold } = await makeActiveNumber(t.app, { agent: night })
    await runAuditLogPass(t.app)
    const signals = await staffSignals(t.app.db, night.id, { clock: t.app.clock })
    const saleLeaf = await t.app.db
      .selectFrom('audit_leaves')
      .select(['index', 'at'])
      .where('action', '=', 'number.sold')
      .where('msisdn', '=', sold)
      .executeTakeFirstOrThrow()
    expect(localTime(new Date(saleLeaf.at), 'Asia/Phnom_Penh').minutes).toBe(22 * 60)
    expect(signals?.signals.off_hours.leaves).toContain(Number(saleLeaf.index))
    // Up to just before 22:00 (when everyone signed in again): the honest agent's day ended at 12:00 local.
    const until = new Date(new Date(saleLeaf.at).getTime() - 1)
    const day = await staffSignals(t.app.db, honest.id, { until })
    expect(day?.signals.off_hours.count).toBe(0)
  })

  it('counts a request recorded in another shop than the agent’s own', async () => {
    await later(12 * HOUR) // 10:00 in Phnom Penh again
    const roamer = await makeStaff(t.app, ['agent'])
    const held = await makeActiveNumber(t.app, { agent: roamer })
    await openCustomerSession(t.server, roamer, held.msisdn, held.subscriber.kyc_doc_number)
    // Sessions take the shop from the staff record: the test stands in for one opened at another shop's counter.
    const elsewhere = { ...roamer.actor, shopId: await makeShop(t.app) }
    const filed = await runCommand(t.app.deps, elsewhere, (ctx) =>
      requestTermination(ctx, elsewhere, { msisdn: held.msisdn }, t.app.config.kycKey),
    )
    await runAuditLogPass(t.app)
    const [created] = await t.app.db
      .selectFrom('audit_leaves')
      .select('index')
      .where('request_id', '=', filed.request.id)
      .where('action', '=', 'request.created')
      .execute()
    const signals = await staffSignals(t.app.db, roamer.id, { clock: t.app.clock })
    expect(signals?.signals.away_from_shop).toEqual({ count: 1, leaves: [Number(created.index)] })
    expect(signals?.signals.off_hours.count).toBe(0)
  })
})
