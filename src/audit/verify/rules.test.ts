// Each business rule broken in an otherwise valid, correctly signed bundle: the verifier names the leaf and why.
import { rmSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { BundleBuilder, lawfulStory } from './test-bundle.ts'
import { problemText, type VerifyReport } from './types.ts'
import { verifyBundle } from './verify-bundle.ts'

async function verify(b: BundleBuilder): Promise<VerifyReport> {
  const dir = b.write()
  try {
    return await verifyBundle(dir, { key: b.logKey.vkey, threads: 1 })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function firstFailure(b: BundleBuilder): Promise<string> {
  const r = await verify(b)
  expect(r.ok).toBe(false)
  return problemText(r.failures[0])
}

describe('the lawful story', () => {
  it('passes every rule and counts what it checked', async () => {
    const r = await verify(lawfulStory())
    expect(r.failures).toEqual([])
    expect(r.warnings).toEqual([])
    expect(r.rules).toEqual({ staffLeaves: 6, signIns: 2, requestsExecuted: 1, withdrawals: 1, noticesEvidenced: 3 })
  })
})

describe('sessions', () => {
  it('refuses a staff leaf whose session never signed in', async () => {
    const b = new BundleBuilder()
    const agent = b.staff(['agent'], 'shop-a')
    const i = b.act({ id: agent.id, session: 'forged-session' }, 'number.reserved')
    expect(await firstFailure(b)).toMatch(
      new RegExp(
        `^leaf ${i} \\(event [0-9a-f-]+\\): number.reserved by staff ${agent.id} names session forged-session, which has no earlier sign-in$`,
      ),
    )
  })

  it('refuses a sign-in that comes after the leaf using it', async () => {
    const b = new BundleBuilder()
    const agent = { id: 'staff-1', session: 'session-1' }
    const i = b.act(agent, 'number.reserved')
    b.act(agent, 'session.signed_in')
    expect(await firstFailure(b)).toContain(`leaf ${i} `)
  })

  it("refuses a staff leaf on another staff member's session", async () => {
    const b = new BundleBuilder()
    const agent = b.staff(['agent'], 'shop-a')
    const other = b.staff(['agent'], 'shop-a')
    const i = b.act({ id: other.id, session: agent.session }, 'number.reserved')
    expect(await firstFailure(b)).toContain(`leaf ${i} (event`)
    expect(await firstFailure(b)).toContain(`which belongs to staff ${agent.id}`)
  })

  it('refuses a sign-in without MFA when the role requires it', async () => {
    const b = new BundleBuilder()
    b.staff(['agent'], 'shop-a')
    b.staff(['supervisor'], 'shop-b', { mfa_required: true, mfa: false })
    expect(await firstFailure(b)).toMatch(
      /^leaf 3 \(event .*\): session .* signed in without MFA although its role requires MFA$/,
    )
  })

  it('accepts a sign-in recorded by a component when it names the session and staff member', async () => {
    const b = new BundleBuilder()
    const staffId = 'staff-mfa'
    b.system('session.signed_in', {
      data: { session_id: 'session-mfa', staff_id: staffId, mfa_required: true, mfa: true },
    })
    b.act({ id: staffId, session: 'session-mfa' }, 'number.reserved')
    const i = b.system('session.signed_in', { data: { mfa_required: false } })
    expect(await firstFailure(b)).toMatch(
      new RegExp(`^leaf ${i} .*: session.signed_in by no staff actor names no data.session_id and data.staff_id$`),
    )
  })

  it('refuses a sign-in that records another session than its own', async () => {
    const b = new BundleBuilder()
    const i = b.act({ id: 'staff-1', session: 'session-1' }, 'session.signed_in', { data: { session_id: 'session-2' } })
    expect(await firstFailure(b)).toMatch(
      new RegExp(`^leaf ${i} .*: session.signed_in on session session-1 records session session-2$`),
    )
  })

  it('warns about a session used after it signed out, and a suspended member acting', async () => {
    const b = new BundleBuilder()
    const agent = b.staff(['agent'], 'shop-a')
    b.act(agent, 'session.signed_out', { after: { session_id: agent.session } })
    const late = b.act(agent, 'number.reserved')
    b.system('staff.suspended', { data: { staff_id: agent.id } })
    const later = b.act(agent, 'number.released')
    const r = await verify(b)
    expect(r.ok).toBe(true)
    expect(r.warnings.map(problemText)).toEqual([
      expect.stringMatching(new RegExp(`^leaf ${late} .*uses session ${agent.session} after it ended at leaf 2$`)),
      expect.stringMatching(new RegExp(`^leaf ${later} .*uses session`)),
      expect.stringMatching(new RegExp(`^leaf ${later} .*after their suspension at leaf 4$`)),
    ])
  })
})

describe('executed requests', () => {
  function setup() {
    const b = new BundleBuilder()
    const agent = b.staff(['agent'], 'shop-a')
    const supervisor = b.staff(['supervisor'], 'shop-b')
    return { b, agent, supervisor }
  }

  it('refuses an execution without any approval', async () => {
    const { b, agent } = setup()
    const r = b.request(agent, 'reclaim')
    const i = b.execute(agent, r, 'reclaim', agent.id)
    expect(await firstFailure(b)).toMatch(
      new RegExp(
        `^leaf ${i} \\(event .*\\): request.executed for request ${r} \\(reclaim\\) has no approval of its payload by another active supervisor of another shop before it \\(no request.approved leaf\\)$`,
      ),
    )
  })

  it('refuses an approval by the requester', async () => {
    const { b, agent } = setup()
    const r = b.request(agent, 'legal_order')
    const a = b.approve(agent, r)
    const i = b.execute(agent, r, 'legal_order', agent.id)
    expect(await firstFailure(b)).toMatch(
      new RegExp(
        `^leaf ${i} .*has no approval of its payload by another active compliance_officer before it \\(leaf ${a}: by the requester\\)$`,
      ),
    )
  })

  it('refuses an approval of another payload', async () => {
    const { b, agent, supervisor } = setup()
    const r = b.request(agent, 'reclaim', 'b'.repeat(64))
    b.approve(supervisor, r, 'c'.repeat(64))
    const i = b.execute(agent, r, 'reclaim', agent.id, 'b'.repeat(64))
    expect(await firstFailure(b)).toMatch(new RegExp(`^leaf ${i} .*of another payload \\(c{64}\\)\\)$`))
  })

  it('refuses an approver suspended before the execution', async () => {
    const { b, agent, supervisor } = setup()
    const r = b.request(agent, 'reclaim')
    b.approve(supervisor, r)
    const s = b.system('staff.suspended', { data: { staff_id: supervisor.id } })
    const i = b.execute(agent, r, 'reclaim', agent.id)
    expect(await firstFailure(b)).toMatch(
      new RegExp(`^leaf ${i} .*by staff ${supervisor.id}, suspended at leaf ${s}\\)$`),
    )
  })

  it('refuses an approver without the role, and one of the same shop', async () => {
    const b = new BundleBuilder()
    const agent = b.staff(['agent'], 'shop-a')
    const peer = b.staff(['agent'], 'shop-b')
    const sameShop = b.staff(['supervisor'], 'shop-a')
    const r = b.request(agent, 'reclaim')
    b.approve(peer, r)
    b.approve(sameShop, r)
    const i = b.execute(agent, r, 'reclaim', agent.id)
    const text = await firstFailure(b)
    expect(text).toContain(`leaf ${i} `)
    expect(text).toContain(`by staff ${peer.id}, who was not a supervisor when approving`)
    expect(text).toContain(`by staff ${sameShop.id} of the requester's shop shop-a`)
  })

  it('refuses an approval within 7 days of a role grant', async () => {
    const b = new BundleBuilder()
    const agent = b.staff(['agent'], 'shop-a')
    const officer = b.staff(['compliance_officer'])
    const cooling = new Date(Date.parse(b.at()) + 7 * 86_400_000).toISOString()
    b.system('staff.roles_granted', {
      after: { staff_id: officer.id, roles: ['compliance_officer'], shop_id: null },
      data: { staff_id: officer.id, cooling_until: cooling },
    })
    const r = b.request(agent, 'legal_order')
    b.approve(officer, r)
    const i = b.execute(agent, r, 'legal_order', agent.id)
    expect(await firstFailure(b)).toMatch(
      new RegExp(
        `^leaf ${i} .*within 7 days of a role grant or credential reset \\(until ${cooling.replaceAll('.', '\\.')}\\)\\)$`,
      ),
    )
  })

  it("refuses a consent kind executed without the holder's consent", async () => {
    const { b, agent } = setup()
    const r = b.request(agent, 'sim_swap')
    const i = b.execute(agent, r, 'sim_swap', agent.id)
    expect(await firstFailure(b)).toMatch(
      new RegExp(
        `^leaf ${i} .*request.executed for request ${r} \\(sim_swap\\) has no holder's consent recorded before it$`,
      ),
    )
  })

  it('accepts a consent recorded before, and refuses one recorded after the execution', async () => {
    const { b, agent } = setup()
    const ok = b.request(agent, 'termination')
    b.consent(ok)
    b.execute(agent, ok, 'termination', agent.id)
    const late = b.request(agent, 'termination')
    const i = b.execute(agent, late, 'termination', agent.id)
    b.consent(late)
    expect(await firstFailure(b)).toContain(`leaf ${i} `)
  })

  it('refuses an execution of a request never created, executed twice, or of another kind or requester', async () => {
    const { b, agent, supervisor } = setup()
    const ghost = b.execute(agent, 'no-such-request', 'reclaim', agent.id)
    const r = b.request(agent, 'reclaim')
    b.approve(supervisor, r)
    b.execute(agent, r, 'reclaim', agent.id)
    const twice = b.execute(agent, r, 'reclaim', agent.id)
    const k = b.request(agent, 'reclaim')
    const kind = b.execute(agent, k, 'retirement', agent.id)
    const w = b.request(agent, 'reclaim')
    const who = b.execute(agent, w, 'reclaim', supervisor.id)
    const r2 = await verify(b)
    expect(r2.failures.map(problemText)).toEqual([
      expect.stringMatching(
        new RegExp(`^leaf ${ghost} .*request no-such-request \\(reclaim\\) has no request.created before it$`),
      ),
      expect.stringMatching(new RegExp(`^leaf ${twice} .*was already executed at leaf ${twice - 1}$`)),
      expect.stringMatching(new RegExp(`^leaf ${kind} .*names kind retirement, but it was created as reclaim$`)),
      expect.stringMatching(
        new RegExp(`^leaf ${who} .*names requested_by ${supervisor.id}, but staff ${agent.id} created it$`),
      ),
    ])
  })

  it('refuses a kind it does not know', async () => {
    const { b, agent } = setup()
    const r = b.request(agent, 'teleport')
    const i = b.execute(agent, r, 'teleport', agent.id)
    expect(await firstFailure(b)).toMatch(new RegExp(`^leaf ${i} .*is of a kind the verifier does not know`))
  })

  it('accepts an approver whose roles the log does not state, with a warning', async () => {
    const b = new BundleBuilder()
    const agent = b.staff(['agent'], 'shop-a')
    const seeded = b.signIn({ id: 'seeded-supervisor', session: '' })
    const r = b.request(agent, 'reclaim')
    const a = b.approve(seeded, r)
    b.execute(agent, r, 'reclaim', agent.id)
    const report = await verify(b)
    expect(report.ok).toBe(true)
    expect(report.warnings.map(problemText)).toEqual([
      expect.stringContaining(
        `the log does not state staff seeded-supervisor's roles or the shops of staff seeded-supervisor and ${agent.id}: the approval at leaf ${a} is accepted unchecked`,
      ),
    ])
  })
})

describe('inactivity withdrawals', () => {
  it('refuses a withdrawal with one warning', async () => {
    const b = new BundleBuilder()
    const n = b.notice('2025-03-01T09:00:00Z')
    const i = b.withdraw('+85512000002', [n], '2025-04-01T00:00:00Z')
    expect(await firstFailure(b)).toMatch(
      new RegExp(
        `^leaf ${i} .*number.withdrawn of \\+85512000002 for inactivity names 1 warning notice\\(s\\) in data.warnings; at least 2 must be evidenced before it$`,
      ),
    )
  })

  it('refuses a warning not evidenced before the withdrawal', async () => {
    const b = new BundleBuilder()
    const early = b.notice('2025-03-01T09:00:00Z')
    const i = b.withdraw('+85512000002', [early, 'notice-later'], '2025-04-01T00:00:00Z')
    expect(await firstFailure(b)).toMatch(
      new RegExp(`^leaf ${i} .*warning notice notice-later has no sms.notice_evidenced leaf before it$`),
    )
  })

  it('refuses a last final receipt less than 5 days before the withdrawal', async () => {
    const b = new BundleBuilder()
    const warnings = [b.notice('2025-03-01T09:00:00Z'), b.notice('2025-03-27T00:30:01Z')]
    const i = b.withdraw('+85512000002', warnings, '2025-04-01T00:30:00Z')
    expect(await firstFailure(b)).toMatch(
      new RegExp(
        `^leaf ${i} .*the last warning's final receipt \\(2025-03-27T00:30:01.000Z\\) is less than 5 days before the withdrawal \\(2025-04-01T00:30:00.000Z\\)$`,
      ),
    )
  })

  it('accepts exactly 5 days, and ignores withdrawals on other bases', async () => {
    const b = new BundleBuilder()
    const warnings = [b.notice('2025-03-01T09:00:00Z'), b.notice('2025-03-27T00:30:00Z')]
    b.withdraw('+85512000002', warnings, '2025-04-01T00:30:00Z')
    b.system('number.withdrawn', { basis: 'legal_order', msisdn: '+85512000003', data: {} })
    const r = await verify(b)
    expect(r.failures).toEqual([])
    expect(r.rules.withdrawals).toBe(1)
  })
})

describe('event ids', () => {
  it('refuses a second leaf with an event id already used', async () => {
    const b = new BundleBuilder()
    b.system('clock.advanced', { event_id: 'same-id' })
    const i = b.system('clock.advanced', { event_id: 'same-id' })
    expect(await firstFailure(b)).toBe(`leaf ${i} (event same-id): event_id same-id was already used by leaf 0`)
  })
})
