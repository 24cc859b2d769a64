// Property (issue 4, "How it is checked"): a lone agent cannot move a number or swap a SIM by any sequence of API
// calls without an MO reply from the number — and neither can an agent with a colluding supervisor of another shop.
// Random call sequences over the whole route table (lone-agent-calls.ts) with plausible values; after each sequence
// the database must show every custody and SIM binding that existed before unchanged, no new custody or binding on a
// number someone held, no holder's identity changed and no request of a consent kind executed. Sales of available
// numbers are allowed. SMS flow through the embedded SMSC; replies come from any phone but a holder's. A positive
// control lets the holders answer from their own phones: then the same generator must get a change through, or the
// property would hold only because the sequences never reach anything.
// Deterministic by default; LONE_AGENT_SEED=<n> replays a run, LONE_AGENT_SEED=random explores a new one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeOnPhone, reply } from './consent-harness.ts'
import { type Finding, openRun, REPLY, type Run, reachedWhere, runSequences, summary } from './lone-agent-runner.ts'
import { type Person, snapshot, violations } from './lone-agent-world.ts'

const SEED = seedFromEnv()
const CALLS = 15
const FILINGS = /\/numbers\/:msisdn\/(transfer|sim-swap|sim-swap-lost|termination|kyc-change)$/

function seedFromEnv(): number {
  const raw = process.env.LONE_AGENT_SEED
  if (raw === 'random') return Math.floor(Math.random() * 2 ** 32)
  return raw ? Number(raw) >>> 0 : 0x10ae2026
}

function explain(finding: Finding | undefined, label: string): string {
  if (!finding) return ''
  return (
    `${label}: sequence ${finding.sequence} of seed ${SEED} (replay with LONE_AGENT_SEED=${SEED}) changed what it ` +
    `must not:\n${finding.violations.join('\n')}\ncalls of that sequence:\n${finding.calls.join('\n')}`
  )
}

/** The holders of the start still hold their numbers with their SIMs, and the attempts left risk alerts. */
async function expectHoldersUntouched(run: Run): Promise<void> {
  const { world } = run
  for (const v of world.victims) {
    const row = await world.app.db
      .selectFrom('custodies as c')
      .innerJoin('sim_bindings as b', (j) => j.onRef('b.custody_id', '=', 'c.id').on('b.ended_at', 'is', null))
      .select(['c.subscriber_id', 'b.iccid'])
      .where('c.msisdn', '=', v.msisdn)
      .where('c.ended_at', 'is', null)
      .executeTakeFirst()
    expect(row, v.msisdn).toEqual({ subscriber_id: v.subscriberId, iccid: v.iccid })
  }
  const alerts = await world.app.db
    .selectFrom('alerts')
    .select('kind')
    .where('staff_id', '=', world.agent.staff.id)
    .where('severity', '=', 'risk')
    .execute()
  expect(alerts.length, 'the agent’s attempts on held numbers left risk alerts naming them').toBeGreaterThan(0)
}

describe('a lone agent', () => {
  let run: Run
  beforeAll(async () => {
    run = await openRun(SEED, { colluder: false })
  })
  afterAll(async () => {
    if (run) console.info(summary(run, 'lone agent'))
    await run?.world.t.close()
  })

  it('cannot move a held number or swap its SIM by any sequence of API calls (no MO reply from the number)', {
    timeout: 240_000,
  }, async () => {
    const finding = await runSequences(run, 200, CALLS)
    expect(finding, explain(finding, 'lone agent')).toBeUndefined()
    expect(run.serverErrors, `seed ${SEED}`).toEqual([])
    await expectHoldersUntouched(run)
    // Not a vacuous run: the agent sold numbers, filed changes, replied by SMS from other phones and moved the clock.
    expect(run.reached.get('POST /api/v1/numbers/:msisdn/sell') ?? 0).toBeGreaterThan(0)
    expect(run.reached.get(REPLY) ?? 0).toBeGreaterThan(0)
    expect(run.reached.get('POST /api/v1/demo/clock/advance') ?? 0).toBeGreaterThan(0)
    if (run.specs.some((s) => FILINGS.test(s.key))) expect(reachedWhere(run, FILINGS)).toBeGreaterThan(0)
  })
})

describe('an agent and a colluding supervisor of another shop, both staff, without the holder', () => {
  let run: Run
  beforeAll(async () => {
    run = await openRun(SEED, { colluder: true })
  })
  afterAll(async () => {
    if (run) console.info(summary(run, 'agent and supervisor'))
    await run?.world.t.close()
  })

  it('still move no number and swap no SIM: the consent kinds need the holder’s YES by SMS', {
    timeout: 240_000,
  }, async () => {
    const finding = await runSequences(run, 100, CALLS)
    expect(finding, explain(finding, 'agent and colluding supervisor')).toBeUndefined()
    expect(run.serverErrors, `seed ${SEED}`).toEqual([])
    await expectHoldersUntouched(run)
    if (run.specs.some((s) => FILINGS.test(s.key))) expect(reachedWhere(run, FILINGS)).toBeGreaterThan(0)
    // The supervisor did approve changes the agent filed on held numbers: what stopped them is the holder's missing
    // word, not a missing approval.
    if (run.specs.some((s) => s.key === 'POST /api/v1/requests/:id/approve')) {
      const approved = await run.world.app.db
        .selectFrom('request_approvals as a')
        .innerJoin('requests as r', 'r.id', 'a.request_id')
        .select(['r.kind', 'r.status'])
        .where('a.approver_id', '=', (run.world.colluder as Person).staff.id)
        .where('a.decision', '=', 'approved')
        .where('r.kind', 'in', ['transfer', 'sim_swap_lost', 'kyc_change'])
        .execute()
      expect(approved.length, 'approvals of the colluding supervisor').toBeGreaterThan(0)
      expect(approved.filter((r) => r.status === 'executed')).toEqual([])
    }
  })
})

describe('the positive control: the holder answers from their own phone', () => {
  let run: Run
  beforeAll(async () => {
    run = await openRun(SEED, { colluder: false })
  })
  afterAll(async () => {
    await run?.world.t.close()
  })

  // Scripted rather than drawn at random, so it never depends on a lucky sequence: the same world and the same
  // check as above, and a SIM swap the holder agrees to from their own phone must be seen by that check.
  it('gets a SIM swap through, and the check above sees it', { timeout: 120_000 }, async () => {
    const { world } = run
    const before = await snapshot(world.app)
    const victim = world.victims[1] // victims[0] locked SIM swaps
    const filed = await world.t.server.inject({
      method: 'POST',
      url: `/api/v1/numbers/${encodeURIComponent(victim.msisdn)}/sim-swap`,
      headers: { authorization: `Bearer ${world.agent.tokens[0]}` },
      payload: { iccid: world.shopSims[0] },
    })
    expect(filed.statusCode, filed.body).toBe(200)
    expect((await reply(world.t, victim.msisdn, `YES ${await codeOnPhone(world.t, victim.msisdn)}`)).outcome).toBe(
      'consent_recorded',
    )
    const seen = violations(before, await snapshot(world.app))
    expect(seen.join('\n')).toMatch(/executed|SIM binding|custody/)
  })
})
