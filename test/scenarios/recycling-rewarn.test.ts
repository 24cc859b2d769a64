// A warning that ends `failed` or `unknown` is never evidence. `failed` (the SMSC refused it) is replaced by the sweep
// itself, twice at most; `unknown` (it may have been delivered) and anything past that bound wait for a person's
// rewarn. The replacement counts as the stage's evidence and the withdrawal keeps its 5-day floor from its receipts.
import { randomUUID } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { addDays } from '../../src/domain/policy.ts'
import { makeStaff, type TestStaff } from '../helpers/factories.ts'
import { signInAgain } from '../helpers/reclaim-fixtures.ts'
import {
  alertsOf,
  DAY0,
  type Harness,
  notices,
  numberState,
  openHarness,
  records,
  stateRow,
} from './recycling-harness.ts'

const on = (day: number) => addDays(DAY0, day)
const REJECTED = 0x0b // ESME_RINVDSTADR: the SMSC refuses the part for good

let h: Harness
let sold: Awaited<ReturnType<Harness['sell']>>
let supervisor: TestStaff
let officer: TestStaff

const url = (what = '') => `/api/v1/numbers/${encodeURIComponent(sold.msisdn)}/recycling${what}`
const rewarn = (who: TestStaff, payload: Record<string, unknown>) =>
  h.t.server.inject({
    method: 'POST',
    url: url('/rewarn'),
    headers: { authorization: `Bearer ${who.token}` },
    payload,
  })
const view = async (who: TestStaff) =>
  (await h.t.server.inject({ method: 'GET', url: url(), headers: { authorization: `Bearer ${who.token}` } })).json()
const REASON = { reason: 'SMSC rejected warning 3; route fixed by the SMSC team' }

beforeEach(async () => {
  h = await openHarness()
  sold = await h.sell()
  supervisor = await makeStaff(h.t.app, ['supervisor'])
  officer = await makeStaff(h.t.app, ['compliance_officer'])
  await h.sweep()
})
afterEach(async () => h.close())

/** Warnings 1 and 2 evidenced; warning 3 (day 85) sent under `behaviour`, which is switched off afterwards. */
async function thirdWarningGoesWrong(behaviour: 'rejected' | 'unanswered') {
  for (const day of [60, 75, 85]) {
    h.at(day, '00:00')
    await h.sweep()
    h.at(day, '08:00')
    if (day === 85 && behaviour === 'rejected') h.sim.setBehaviour({ rejectSubmitsWith: REJECTED })
    // The submit_sm_resp never comes: the part may have reached the phone, so its outcome is unknown.
    if (day === 85 && behaviour === 'unanswered') h.sim.setBehaviour({ holdSubmitResponses: true })
    await h.sendAndSettle({ waitForReceipts: day !== 85 })
  }
  h.sim.setBehaviour({ rejectSubmitsWith: null, holdSubmitResponses: false })
  const [third] = (await notices(h, sold.msisdn)).filter((n) => n.dedupe_key === `warning:${sold.custodyId}:1:3`)
  expect(third.state).toBe(behaviour === 'rejected' ? 'failed' : 'unknown')
  return third.id
}

async function withdrawnRecord() {
  const [withdrawn] = await records(h, sold.msisdn, 'number.withdrawn')
  return withdrawn
}

describe('a warning that can never be evidence', () => {
  it('failed: a person may rewarn at once; the withdrawal then rests on the replacement, 5 days after it', async () => {
    const failedId = await thirdWarningGoesWrong('rejected')
    h.at(86, '10:00')
    await signInAgain(h.t.app, supervisor, officer, h.agent)
    const seen = await view(supervisor)
    expect(seen.abilities).toMatchObject({ rewarn: true, decide_usage_veto: false })
    expect(seen.decisions.warnings.map((w: { stage: number; state: string }) => [w.stage, w.state])).toEqual([
      [1, 'evidenced'],
      [2, 'evidenced'],
      [3, 'failed'],
    ])
    expect((await rewarn(h.agent, REASON)).statusCode).toBe(403)
    const short = await rewarn(supervisor, { reason: 'again' })
    expect(short.json()).toMatchObject({ code: 'invalid_input', details: { field: 'reason' } })
    expect((await rewarn(supervisor, { ...REASON, stage: 2 })).json().code).toBe('no_warning_to_replace')

    const res = await rewarn(supervisor, REASON)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      cycle_no: 1,
      replaced: [{ stage: 3, attempt: 1, replaces_notice_id: failedId, replaced_state: 'failed' }],
      withdrawal_not_before: on(91),
    })
    const [replaced] = await records(h, sold.msisdn, 'recycling.warning_replaced')
    expect(replaced.data).toMatchObject({
      stage: 3,
      attempt: 1,
      replaces_notice_id: failedId,
      replaced_state: 'failed',
      automatic: false,
      reason: REASON.reason,
      withdrawal_on: on(91),
    })
    expect((replaced as { actor?: { staff_id?: string } }).actor?.staff_id).toBe(supervisor.id)
    const replacement = (await notices(h, sold.msisdn)).find((n) => n.dedupe_key === `warning:${sold.custodyId}:1:3:r1`)
    expect(replacement?.state).toBe('queued')
    expect((await rewarn(supervisor, REASON)).json().code).toBe('no_warning_to_replace')
    expect(await h.sendAndSettle()).toBe(1)
    expect((await view(supervisor)).abilities.rewarn).toBe(false)

    h.at(90, '08:00')
    await h.heartbeat()
    expect((await h.sweep()).outcomes.waiting).toBe(1)
    expect((await stateRow(h, sold.custodyId)).waiting_reason).toBe('evidence_too_recent')
    h.at(91, '10:00')
    await h.heartbeat()
    expect((await h.sweep()).outcomes.withdrawn).toBe(1)
    const withdrawn = await withdrawnRecord()
    expect(withdrawn.on).toBe(on(91))
    expect(withdrawn.data?.warnings).toContain(replacement?.id)
    expect(withdrawn.data?.warnings).not.toContain(failedId)
    expect(await records(h, sold.msisdn, 'recycling.warning_replaced')).toHaveLength(1)
  })

  it('failed: the sweep replaces it by itself, and the withdrawal waits 5 days from the replacement’s receipts', async () => {
    const failedId = await thirdWarningGoesWrong('rejected')
    h.at(90, '08:00')
    await h.heartbeat()
    expect((await h.sweep()).outcomes.waiting).toBe(1)
    expect((await stateRow(h, sold.custodyId)).waiting_reason).toBe('warnings_in_flight')
    const [auto] = await records(h, sold.msisdn, 'recycling.warning_replaced')
    expect(auto.data).toMatchObject({ stage: 3, attempt: 1, automatic: true, replaces_notice_id: failedId })
    expect(auto.data?.withdrawal_on).toBe(on(95))
    expect(await h.sendAndSettle()).toBe(1)
    h.at(95, '07:59')
    await h.heartbeat()
    await h.sweep()
    expect(await numberState(h, sold.msisdn)).toBe('suspended')
    h.at(95, '08:00')
    await h.heartbeat()
    expect((await h.sweep()).outcomes.withdrawn).toBe(1)
    expect((await withdrawnRecord()).data?.warnings).not.toContain(failedId)
  })

  it('failed again and again: after two automatic replacements a person is alerted, and their rewarn goes out', async () => {
    await thirdWarningGoesWrong('rejected')
    h.sim.setBehaviour({ rejectSubmitsWith: REJECTED })
    for (const time of ['08:00', '09:00']) {
      h.at(90, time)
      await h.heartbeat()
      await h.sweep()
      await h.sendAndSettle({ waitForReceipts: false })
    }
    h.at(90, '10:00')
    await h.heartbeat()
    expect((await h.sweep()).outcomes.waiting).toBe(1)
    expect((await stateRow(h, sold.custodyId)).waiting_reason).toBe('warnings_not_evidenced')
    const replaced = await records(h, sold.msisdn, 'recycling.warning_replaced')
    expect(replaced.map((r) => [r.data?.attempt, r.data?.automatic])).toEqual([
      [1, true],
      [2, true],
    ])
    expect((await alertsOf(h, sold.msisdn, 'withdrawal_waiting')).map((a) => a.attempt)).toMatchObject([
      { reason: 'warnings_not_evidenced' },
    ])

    h.sim.setBehaviour({ rejectSubmitsWith: null })
    await signInAgain(h.t.app, officer)
    const res = await rewarn(officer, { reason: 'SMSC route repaired; sending warning 3 once more' })
    expect(res.json()).toMatchObject({ replaced: [{ stage: 3, attempt: 3 }], withdrawal_not_before: on(95) })
    // The waiting withdrawal looks again when the replacement's evidence could be 5 days old, not every hour.
    expect((await stateRow(h, sold.custodyId)).next_due_at).toEqual(h.instant(95, '00:00'))
    expect(await h.sendAndSettle()).toBe(1)
    h.at(95, '10:00')
    await h.heartbeat()
    expect((await h.sweep()).outcomes.withdrawn).toBe(1)
  })

  it('unknown: the sweep never resends it (it may have arrived); a compliance officer decides to rewarn', async () => {
    const unknownId = await thirdWarningGoesWrong('unanswered')
    h.at(90, '08:00')
    await h.heartbeat()
    expect((await h.sweep()).outcomes.waiting).toBe(1)
    expect((await stateRow(h, sold.custodyId)).waiting_reason).toBe('warnings_not_evidenced')
    expect(await records(h, sold.msisdn, 'recycling.warning_replaced')).toEqual([])
    await signInAgain(h.t.app, officer, supervisor)
    expect((await view(officer)).decisions.warnings[2]).toMatchObject({ stage: 3, state: 'unknown', replaceable: true })

    const res = await rewarn(officer, {
      stage: 3,
      reason: 'Outcome unknown after an SMSC timeout; holder must be told',
    })
    expect(res.statusCode).toBe(200)
    expect(res.json().replaced).toMatchObject([{ stage: 3, replaced_state: 'unknown', replaces_notice_id: unknownId }])
    expect(await h.sendAndSettle()).toBe(1)
    h.at(95, '07:59')
    await h.heartbeat()
    expect((await h.sweep()).outcomes.waiting).toBe(1)
    expect((await stateRow(h, sold.custodyId)).waiting_reason).toBe('evidence_too_recent')
    h.at(95, '08:01')
    await h.heartbeat()
    expect((await h.sweep()).outcomes.withdrawn).toBe(1)
    expect((await withdrawnRecord()).data?.warnings).not.toContain(unknownId)
  })

  it('is the only warning a replacement may stand in for: the database refuses one for an evidenced warning', async () => {
    for (const day of [60]) {
      h.at(day, '00:00')
      await h.sweep()
      h.at(day, '08:00')
      await h.sendAndSettle()
    }
    const [first] = (await notices(h, sold.msisdn)).filter((n) => n.dedupe_key === `warning:${sold.custodyId}:1:1`)
    expect(first.state).toBe('evidenced')
    await expect(
      h.t.app.db
        .insertInto('recycling_notices')
        .values({
          custody_id: sold.custodyId,
          cycle_no: 1,
          purpose: 'inactivity_warning',
          stage: 1,
          attempt: 1,
          replaces_notice_id: first.id,
          notice_id: randomUUID(),
          queued_at: h.t.clock.now(),
        })
        .execute(),
    ).rejects.toMatchObject({ code: 'NG009' })
    expect(await records(h, sold.msisdn, 'recycling.warning_replaced')).toEqual([])
  })
})
