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
import { executeDueRequests } from '../../src/changes/due.ts'
import { sessionCodeOnPhone, textsOnPhone } from '../helpers/customer-session.ts'
import { makeSims, makeStaff } from '../helpers/factories.ts'
import { extraSession } from '../http/support.ts'
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

/**
 * Issue 10, item 5: the pair also holds a copy of every victim's ID card. A lost-SIM swap may then go through (on
 * the holder's ID, approved by the other shop, announced to the number and the alternate contact; the holders here
 * never answer), and from then on the pair holds the number's SIM and may reply from it. The whole run stays inside
 * the swap cooling window: no custody, identity or other consent kind may change — the transfer, termination or KYC
 * change such a SIM would consent to is refused for 30 days after the swap.
 */
describe('an agent and a supervisor of another shop who know the holders’ document numbers', () => {
  let run: Run
  beforeAll(async () => {
    run = await openRun(SEED, { colluder: true, knowsDocs: true })
  })
  afterAll(async () => {
    if (run) console.info(summary(run, 'pair with the ID cards'))
    await run?.world.t.close()
  })

  it('move no held number within the swap cooling window, even from a SIM their swap put in', {
    timeout: 300_000,
  }, async () => {
    const finding = await runSequences(run, 100, CALLS)
    expect(finding, explain(finding, 'pair with the holders’ ID cards')).toBeUndefined()
    expect(run.serverErrors, `seed ${SEED}`).toEqual([])
    const { world } = run
    for (const v of world.victims) {
      const row = await world.app.db
        .selectFrom('custodies')
        .select('subscriber_id')
        .where('msisdn', '=', v.msisdn)
        .where('ended_at', 'is', null)
        .executeTakeFirst()
      expect(row, v.msisdn).toEqual({ subscriber_id: v.subscriberId })
    }
    if (run.specs.some((s) => FILINGS.test(s.key))) expect(reachedWhere(run, FILINGS)).toBeGreaterThan(0)
  })

  // Scripted, so the window is shown to be what stops them: the pair's lost-SIM swap does execute in this world,
  // and the transfer it was for is then refused for the cooling window alone. A second agent of the same shop files
  // (the random run may have locked the first out of the victims' numbers with its guesses).
  it('get a lost-SIM swap through, and then the transfer is refused by the cooling window', {
    timeout: 120_000,
  }, async () => {
    const { world } = run
    const open = await world.app.db
      .selectFrom('requests')
      .select('msisdn')
      .where('status', 'in', ['pending', 'approved'])
      .execute()
    const busy = new Set(open.map((r) => r.msisdn))
    const victim = world.victims.find((v) => !busy.has(v.msisdn)) ?? world.victims[1]
    const doc = world.knownDocs.get(victim.msisdn) as string
    const shopId = world.agent.staff.shopId as string
    const filer = await makeStaff(world.app, ['agent'], { shopId })
    let tokens = {
      filer: filer.token,
      colluder: (await extraSession(world.app, world.colluder?.staff.id as string)).token,
    }
    const post = (token: string, url: string, payload: Record<string, unknown>) =>
      world.t.server.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}` }, payload })
    const number = `/api/v1/numbers/${encodeURIComponent(victim.msisdn)}`
    const authenticate = async () => {
      const opened = await post(tokens.filer, '/api/v1/customer-sessions', {
        msisdn: victim.msisdn,
        method: 'id_document',
        document: doc,
      })
      expect(opened.statusCode, opened.body).toBe(200)
    }
    const currentSim = () =>
      world.app.db
        .selectFrom('sim_bindings')
        .select('iccid')
        .where('msisdn', '=', victim.msisdn)
        .where('ended_at', 'is', null)
        .executeTakeFirstOrThrow()
    const [swapSim, transferSim] = await makeSims(world.app, shopId, 2)
    const before = await currentSim()
    await authenticate()
    const filed = await post(tokens.filer, `${number}/sim-swap-lost`, { iccid: swapSim, kyc_doc_number: doc })
    expect(filed.statusCode, filed.body).toBe(200)
    const approved = await post(tokens.colluder, `/api/v1/requests/${filed.json().id}/approve`, {
      payload_sha256: filed.json().payload_sha256,
    })
    expect(approved.statusCode, approved.body).toBe(200)
    world.t.clock.advance(25 * 3_600_000)
    await executeDueRequests(world.app)
    const after = await currentSim()
    expect(after.iccid).toBe(swapSim)
    expect(after.iccid).not.toBe(before.iccid)
    tokens = { ...tokens, filer: (await extraSession(world.app, filer.id)).token }
    await authenticate()
    const transfer = await post(tokens.filer, `${number}/transfer`, {
      iccid: transferSim,
      new_subscriber_id: world.customers[0].id,
      new_holder_doc_number: world.customers[0].doc,
    })
    expect(transfer.statusCode, transfer.body).toBe(409)
    expect(transfer.json().code).toBe('transfer_after_sim_swap')
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
    // The holder is at the counter: they read the agent the code their phone received (a customer session).
    const headers = { authorization: `Bearer ${world.agent.tokens[0]}` }
    const earlier = textsOnPhone(world.app, victim.msisdn)
    const opened = await world.t.server.inject({
      method: 'POST',
      url: '/api/v1/customer-sessions',
      headers,
      payload: { msisdn: victim.msisdn, method: 'sms_code' },
    })
    expect(opened.statusCode, opened.body).toBe(200)
    const code = await sessionCodeOnPhone(world.app, victim.msisdn, earlier)
    const verified = await world.t.server.inject({
      method: 'POST',
      url: `/api/v1/customer-sessions/${opened.json().id}/verify`,
      headers,
      payload: { code },
    })
    expect(verified.statusCode, verified.body).toBe(200)
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
