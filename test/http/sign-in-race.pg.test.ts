// Sign-ins at once. PostgreSQL only (the .pg.test.ts suffix keeps it out of the pglite suite): PGlite has one
// connection, so there the sign-ins run one after another and nothing races; here the pool's connections really
// do run them at once. Two properties: parallel guesses are verified no more often than sequential ones (each
// attempt claims its slot before the slow argon2 check), and right passwords at once are never refused for being
// at once (a claim that finds the slots taken by attempts still being checked waits for them).
// Every assertion here holds in every interleaving; the one ordering that matters is forced with a gate.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { KEY_CEILING, PAIR_ATTEMPTS } from '../../src/access/sign-in.ts'
import { base32Decode, totp } from '../../src/access/totp.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { TEST_TOTP_SECRET } from '../helpers/factories.ts'
import { auth, envelopeOf, makeStaffWithPassword } from './support.ts'

// Every password the sign-in actually checks, counted where argon2 is called rather than from the audit records;
// a password in `gates` waits there (after it was counted) until the test opens the gate.
const probe = vi.hoisted(() => ({
  checked: [] as string[],
  gates: new Map<string, { entered: () => void; open: Promise<void> }>(),
}))
vi.mock('../../src/access/secrets.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/access/secrets.ts')>()
  return {
    ...original,
    verifyPassword: async (hash: string | null, password: string) => {
      probe.checked.push(password)
      const gate = probe.gates.get(password)
      if (gate) {
        gate.entered()
        await gate.open
      }
      return original.verifyPassword(hash, password)
    },
  }
})

let t: TestApp
beforeAll(async () => {
  t = await openTestApp()
})
afterAll(() => t.close())

const GUESSES = 40

const signIn = (username: string, password: string, ip = '192.0.2.20') =>
  t.server.inject({ method: 'POST', url: '/api/v1/auth/sign-in', payload: { username, password }, remoteAddress: ip })

const wrongOnes = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `wrong ${tag} ${i}`)
const checkedOf = (passwords: string[]) => probe.checked.filter((p) => passwords.includes(p))

const lockAlerts = (staffId: string, kind = 'staff_sign_in_locked') =>
  t.app.db
    .selectFrom('alerts')
    .select(['id', 'attempt'])
    .where('kind', '=', kind)
    .where('staff_id', '=', staffId)
    .execute()

/** The seq of the audit record of an action about a session (session_id in its data). */
async function seqOf(action: 'session.mfa_challenged' | 'session.signed_in', sessionId: string) {
  const rows = await t.app.db
    .selectFrom('audit_records')
    .select(['seq', 'envelope'])
    .where('action', '=', action)
    .execute()
  return rows.filter((r) => envelopeOf(r).data?.session_id === sessionId).map((r) => Number(r.seq))
}
async function alertSeq(alertId: string) {
  const rows = await t.app.db
    .selectFrom('audit_records')
    .select(['seq', 'envelope'])
    .where('action', '=', 'alert.raised')
    .execute()
  const [row] = rows.filter((r) => (envelopeOf(r).after as { alert_id?: string }).alert_id === alertId)
  return Number(row.seq)
}

/** Runs `jobs` with at most `width` in flight. */
async function pooled<T>(jobs: (() => Promise<T>)[], width: number): Promise<T[]> {
  const out: T[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const i = next++
        out[i] = await jobs[i]()
      }
    }),
  )
  return out
}

describe('parallel guesses (PostgreSQL)', () => {
  it('40 wrong passwords at once from one address: exactly five are checked, one lock, one alert', async () => {
    const staff = await makeStaffWithPassword(t.app, ['agent'], 'the right one A', null)
    const wrong = wrongOnes(GUESSES, 'A')
    const responses = await Promise.all(wrong.map((p) => signIn(staff.username, p)))
    expect(checkedOf(wrong)).toHaveLength(PAIR_ATTEMPTS)
    const statuses = responses.map((r) => r.statusCode)
    expect(statuses.filter((s) => s === 401)).toHaveLength(PAIR_ATTEMPTS - 1)
    expect(statuses.filter((s) => s === 429)).toHaveLength(GUESSES - PAIR_ATTEMPTS + 1)
    expect(await lockAlerts(staff.id)).toHaveLength(1)
    // After the lock the right password from that address is refused without being checked.
    expect((await signIn(staff.username, 'the right one A')).statusCode).toBe(429)
    expect(probe.checked).not.toContain('the right one A')
  }, 60_000)

  it.each([0, 20, GUESSES - 1])(
    'the right password (at %i) among 39 wrong ones at once: five wrong checked, and a session only before the lock',
    async (rightAt) => {
      // A supervisor owes a TOTP code: a right password opens a waiting session (recorded as
      // session.mfa_challenged, never session.signed_in) and leaves the pair's count as it was.
      const password = `the right one B ${rightAt}`
      const staff = await makeStaffWithPassword(t.app, ['supervisor'], password, null)
      const wrong = wrongOnes(GUESSES - 1, `B${rightAt}`)
      const passwords = [...wrong.slice(0, rightAt), password, ...wrong.slice(rightAt)]
      const responses = await Promise.all(passwords.map((p) => signIn(staff.username, p)))

      const right = responses[rightAt]
      expect([200, 429]).toContain(right.statusCode)
      for (const [i, r] of responses.entries()) if (i !== rightAt) expect([401, 429]).toContain(r.statusCode)
      expect(checkedOf(wrong)).toHaveLength(PAIR_ATTEMPTS)
      // A claimed attempt always finishes: the right password was checked exactly when it got its session.
      expect(probe.checked.includes(password)).toBe(right.statusCode === 200)
      const [alert] = await lockAlerts(staff.id)
      expect(await lockAlerts(staff.id)).toHaveLength(1)
      const sessions = await t.app.db
        .selectFrom('sessions')
        .select(['id', 'mfa'])
        .where('staff_id', '=', staff.id)
        .execute()
      if (right.statusCode !== 200) {
        expect(sessions).toEqual([])
        return
      }
      expect(right.json()).toMatchObject({ status: 'mfa_required', session: { mfa: 'pending' } })
      expect(sessions).toEqual([{ id: right.json().session.id, mfa: 'pending' }])
      const [challenged] = await seqOf('session.mfa_challenged', sessions[0].id)
      expect(await seqOf('session.signed_in', sessions[0].id)).toEqual([])
      expect(challenged).toBeLessThan(await alertSeq(alert.id))
    },
    60_000,
  )

  it('a right password being checked keeps its slot: the guesses around it cannot lock the pair under it', async () => {
    const password = 'the right one C'
    const staff = await makeStaffWithPassword(t.app, ['supervisor'], password, null)
    let entered!: () => void
    let open!: () => void
    const inVerify = new Promise<void>((resolve) => {
      entered = resolve
    })
    probe.gates.set(password, { entered, open: new Promise<void>((resolve) => (open = resolve)) })
    const rightResponse = signIn(staff.username, password)
    await inVerify
    const wrong = wrongOnes(GUESSES - 1, 'C')
    let finished = 0
    const wrongResponses = Promise.all(wrong.map((p) => signIn(staff.username, p).finally(() => finished++)))
    // Four slots are left; the guesses beyond them wait for the right password rather than lock the pair.
    await vi.waitFor(() => expect(finished).toBe(PAIR_ATTEMPTS - 1), { timeout: 30_000, interval: 20 })
    const pair = await t.app.db
      .selectFrom('sign_in_pairs')
      .select(['failures', 'pending', 'locked_until'])
      .where('username', '=', staff.username)
      .executeTakeFirstOrThrow()
    expect(pair).toEqual({ failures: PAIR_ATTEMPTS - 1, pending: 1, locked_until: null })
    open()
    const right = await rightResponse
    expect(right.statusCode, right.body).toBe(200)
    expect(right.json().status).toBe('mfa_required')
    const statuses = (await wrongResponses).map((r) => r.statusCode)
    // Then exactly one more guess was checked, and it locked the pair.
    expect(checkedOf(wrong)).toHaveLength(PAIR_ATTEMPTS)
    expect(statuses.filter((s) => s === 401)).toHaveLength(PAIR_ATTEMPTS - 1)
    expect(await lockAlerts(staff.id)).toHaveLength(1)
    // The waiting session's code comes from the locked address too: refused, and the session ends.
    const code = totp(base32Decode(TEST_TOTP_SECRET), t.clock.now())
    const step = await t.server.inject({
      method: 'POST',
      url: '/api/v1/auth/mfa',
      payload: { code },
      headers: auth(right.json().token),
      remoteAddress: '192.0.2.20',
    })
    expect(step.statusCode).toBe(429)
    probe.gates.delete(password)
  }, 60_000)

  it('guesses at once from more addresses than the ceiling: exactly KEY_CEILING are checked, one risk alert', async () => {
    const staff = await makeStaffWithPassword(t.app, ['compliance_officer'], 'the right one D', null)
    const wrong = wrongOnes(KEY_CEILING + 20, 'D')
    const responses = await Promise.all(wrong.map((p, i) => signIn(staff.username, p, `198.18.1.${i + 1}`)))
    expect(checkedOf(wrong)).toHaveLength(KEY_CEILING)
    expect(responses.filter((r) => r.statusCode === 401)).toHaveLength(KEY_CEILING - 1)
    expect(await lockAlerts(staff.id, 'staff_sign_in_ceiling')).toHaveLength(1)
    expect(await lockAlerts(staff.id)).toHaveLength(0)
  }, 120_000)
})

describe('right passwords at once (PostgreSQL)', () => {
  it.each([
    ['agent', 'signed_in'],
    ['supervisor', 'mfa_required'],
  ] as const)(
    '30 sign-ins of an %s at concurrency 10 are all let in, none 429',
    async (role, status) => {
      const password = `concurrent ${role}`
      const staff = await makeStaffWithPassword(t.app, [role], password, null)
      const responses = await pooled(
        Array.from({ length: 30 }, () => () => signIn(staff.username, password)),
        10,
      )
      expect(responses.map((r) => r.statusCode)).toEqual(Array(30).fill(200))
      for (const r of responses) expect(r.json().status).toBe(status)
      const sessions = await t.app.db.selectFrom('sessions').select('id').where('staff_id', '=', staff.id).execute()
      expect(sessions).toHaveLength(30)
      const pair = await t.app.db
        .selectFrom('sign_in_pairs')
        .select(['failures', 'pending'])
        .where('username', '=', staff.username)
        .executeTakeFirstOrThrow()
      expect(pair).toEqual({ failures: 0, pending: 0 })
    },
    60_000,
  )
})
