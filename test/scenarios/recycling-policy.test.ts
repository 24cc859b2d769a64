// Versioned policies: floors refused, a change rests on a compliance officer's approval, takes effect only for
// cycles starting 30 days after it, and never shortens a cycle in flight.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDays } from '../../src/domain/policy.ts'
import { makeStaff, signInStaff, type TestStaff } from '../helpers/factories.ts'
import { DAY0, event, type Harness, numberState, openHarness, records } from './recycling-harness.ts'

const on = (day: number) => addDays(DAY0, day)

let h: Harness
let manager: TestStaff
let compliance: TestStaff
let agent: TestStaff
beforeAll(async () => {
  h = await openHarness()
  manager = await makeStaff(h.t.app, ['inventory_manager'])
  compliance = await makeStaff(h.t.app, ['compliance_officer'])
  agent = await makeStaff(h.t.app, ['agent'])
})
afterAll(async () => h.close())

/** Calls the API as `who`, signed in afresh (the clock moves days at a time; sessions last 12 hours). */
async function call(who: TestStaff, method: 'GET' | 'POST', url: string, payload?: unknown) {
  const { token } = await signInStaff(h.t.app, who.username)
  const res = await h.t.server.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}` },
    payload: payload as never,
  })
  return { status: res.statusCode, body: res.json() }
}

describe('proposing a policy', () => {
  it.each([
    [{ withdrawal_day: 60 }, 'params.withdrawal_day'],
    [{ aging_days: 30 }, 'params.aging_days'],
    [{ warning_days: [85] }, 'params.warning_days'],
    [{ warning_days: [60, 88] }, 'params.warning_days[1]'],
    [{ evidence_days_before_withdrawal: 2 }, 'params.evidence_days_before_withdrawal'],
  ])('refuses %j below the floors, naming the field', async (params, field) => {
    const res = await call(manager, 'POST', '/api/v1/policies', { params })
    expect(res.status).toBe(400)
    expect(res.body).toMatchObject({ code: 'invalid_input', details: { field } })
  })

  it('is for inventory managers only', async () => {
    expect((await call(agent, 'POST', '/api/v1/policies', { params: { aging_days: 120 } })).status).toBe(403)
    expect((await call(compliance, 'POST', '/api/v1/policies', { params: { aging_days: 120 } })).status).toBe(403)
  })

  it('cannot install a version by raw SQL without an executed, approved policy_change request', async () => {
    const params = JSON.stringify({ ...(await currentParams()), aging_days: 45 })
    await expect(
      sql`INSERT INTO recycling_policies (version, params, effective_from, approved_at, request_id)
          VALUES (2, ${params}::jsonb, now() + interval '31 days', now(), NULL)`.execute(h.t.app.db),
    ).rejects.toThrow()
    expect(
      (await call(agent, 'GET', '/api/v1/policies')).body.versions.map((v: { version: number }) => v.version),
    ).toEqual([1])
  })
})

async function currentParams() {
  const row = await h.t.app.db
    .selectFrom('recycling_policies')
    .select('params')
    .where('version', '=', 1)
    .executeTakeFirstOrThrow()
  return row.params as Record<string, unknown>
}

describe('a policy change', () => {
  it('applies to cycles that start 30 days after its approval, never to a cycle in flight', async () => {
    const early = await h.sell() // day 0: its cycle runs under version 1 (suspension on day 60)
    await h.sweep()

    h.at(1, '09:00')
    const proposed = await call(manager, 'POST', '/api/v1/policies', {
      params: { warning_days: [45, 75, 85], suspension_day: 45 },
    })
    expect(proposed.status).toBe(200)
    expect(proposed.body).toMatchObject({
      kind: 'policy_change',
      status: 'pending',
      assigned_to: { id: compliance.id },
    })
    expect(proposed.body.payload.params).toMatchObject({
      warning_days: [45, 75, 85],
      suspension_day: 45,
      withdrawal_day: 90,
    })
    const id = proposed.body.id as string
    expect(
      (
        await call(compliance, 'POST', `/api/v1/requests/${id}/approve`, {
          payload_sha256: proposed.body.payload_sha256,
        })
      ).status,
    ).toBe(200)
    const executed = await call(manager, 'POST', `/api/v1/requests/${id}/execute`)
    expect(executed.status).toBe(200)

    const listed = await call(agent, 'GET', '/api/v1/policies')
    expect(listed.body.in_force).toBe(1)
    // Cambodia's second version; its global id (`version`, what cycles name) comes after the other markets' firsts.
    const v2 = listed.body.versions.find((v: { market_version: number }) => v.market_version === 2)
    expect(v2).toMatchObject({ market: 'KH', request_id: id, upcoming: true, params: { suspension_day: 45 } })
    const V2 = v2.version as number
    expect(new Date(v2.effective_from).getTime()).toBe(new Date(v2.approved_at).getTime() + 30 * 86_400_000)
    const [added] = await h.t.app.db
      .selectFrom('audit_records')
      .select('envelope')
      .where('action', '=', 'policy.version_added')
      .execute()
    expect(added.envelope).toMatchObject({
      basis: id,
      data: { version: V2, market: 'KH', market_version: 2, previous_version: 1 },
    })

    h.at(40, '10:00')
    const late = await h.sell() // its cycle starts after version 2 took effect: suspension on its day 45
    await h.sweep()
    expect((await call(agent, 'GET', '/api/v1/policies')).body.in_force).toBe(V2)

    h.at(45, '00:00')
    await h.sweep()
    expect(await numberState(h, early.msisdn)).toBe('active') // day 45 of a version-1 cycle: nothing yet

    h.at(60, '00:00')
    await h.sweep()
    expect(await numberState(h, early.msisdn)).toBe('suspended') // version 1: day 60
    h.at(85, '00:00') // day 45 of the late custody's cycle
    await h.sweep()
    expect(await numberState(h, late.msisdn)).toBe('suspended')
    const [suspended] = await records(h, late.msisdn, 'number.suspended')
    expect(suspended).toMatchObject({ on: on(85), data: { day: 45, policy_version: V2 } })
    const early60 = await records(h, early.msisdn, 'number.suspended')
    expect(early60.map((r) => [r.on, r.data?.policy_version])).toEqual([[on(60), 1]])

    // The early holder tops up on day 86: the new cycle starts under version 2 and is barred on its own day 45.
    h.at(86, '10:00')
    await h.ingest([event(early.msisdn, h.t.clock.now())])
    await h.sweep()
    expect(await numberState(h, early.msisdn)).toBe('active')
    h.at(131, '00:00')
    await h.sweep()
    const again = await records(h, early.msisdn, 'number.suspended')
    expect(again.map((r) => [r.on, r.data?.policy_version, r.data?.cycle_no])).toEqual([
      [on(60), 1, 1],
      [on(131), V2, 2],
    ])
  })
})
