// Guessing a staff password: failures lock the (username, address) pair they came from, for a time that doubles
// with each lock, and alert; the real person at their own address is never refused for them, until one username
// has collected KEY_CEILING failures from everywhere within the window: then the account is protected and a risk
// alert names it. Unknown usernames are throttled the same way, and what was typed as one is never stored in
// clear. (Parallel guesses and concurrent right passwords: sign-in-race.pg.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/access/secrets.ts'
import { KEY_CEILING, PAIR_ATTEMPTS, PAIR_LOCK_MINUTES } from '../../src/access/sign-in.ts'
import { KEY_LOCK_MINUTES } from '../../src/access/throttle-claims.ts'
import { base32Decode, TOTP_STEP_SECONDS, totp } from '../../src/access/totp.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { TEST_TOTP_SECRET } from '../helpers/factories.ts'
import { auth, envelopeOf, makeStaffWithPassword } from './support.ts'

let t: TestApp
beforeAll(async () => {
  t = await openTestApp()
})
afterAll(() => t.close())

const HOME = '192.0.2.10'
const signIn = (username: string, password: string, ip = HOME) =>
  t.server.inject({ method: 'POST', url: '/api/v1/auth/sign-in', payload: { username, password }, remoteAddress: ip })
const mfa = (token: string, ip = HOME) =>
  t.server.inject({
    method: 'POST',
    url: '/api/v1/auth/mfa',
    payload: { code: totp(base32Decode(TEST_TOTP_SECRET), t.clock.now()) },
    headers: auth(token),
    remoteAddress: ip,
  })
/** A distinct address per guess: 198.18.0.0/15 is for benchmarking, never a real client. */
const attacker = (i: number) => `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`

const alertsOf = (kind: string, staffId: string) =>
  t.app.db
    .selectFrom('alerts')
    .selectAll()
    .where('kind', '=', kind)
    .where('staff_id', '=', staffId)
    .orderBy('raised_at')
    .execute()

const failedSignIns = async () =>
  (
    await t.app.db
      .selectFrom('audit_records')
      .select('envelope')
      .where('action', '=', 'session.sign_in_failed')
      .execute()
  ).map(envelopeOf)

describe('the (username, address) pair', () => {
  it('locks after five wrong passwords from one address, for a time that doubles, with an alert each time', async () => {
    const staff = await makeStaffWithPassword(t.app, ['agent'], 'right password 1', null)
    const storm = '203.0.113.66'
    let expectedMinutes = PAIR_LOCK_MINUTES
    for (let lock = 1; lock <= 3; lock++) {
      for (let i = 1; i < PAIR_ATTEMPTS; i++)
        expect((await signIn(staff.username, `wrong ${i}`, storm)).statusCode).toBe(401)
      const locking = await signIn(staff.username, 'wrong again', storm)
      expect(locking.statusCode).toBe(429)
      expect(locking.json()).toMatchObject({
        code: 'sign_in_locked',
        details: { retry_after_seconds: expectedMinutes * 60, scope: 'address' },
      })
      expect(locking.headers['retry-after']).toBe(String(expectedMinutes * 60))
      // The right password from that address waits out the lock too...
      expect((await signIn(staff.username, 'right password 1', storm)).statusCode).toBe(429)
      const alerts = await alertsOf('staff_sign_in_locked', staff.id)
      expect(alerts).toHaveLength(lock)
      expect(alerts.at(-1)).toMatchObject({ severity: 'warning' })
      expect(alerts.at(-1)?.attempt).toMatchObject({
        username: staff.username,
        ip: storm,
        failed_sign_ins: PAIR_ATTEMPTS,
        lock_minutes: expectedMinutes,
        lock_number: lock,
      })
      t.clock.advance(expectedMinutes * 60_000)
      expectedMinutes *= 2
    }
    // ...but the person at their own address was never locked out.
    const home = await signIn(staff.username, 'right password 1')
    expect(home.statusCode, home.body).toBe(200)
    expect(home.json().status).toBe('signed_in')
    const refused = (await failedSignIns()).filter((e) => e.data?.username === staff.username)
    expect(refused.filter((e) => e.data?.reason === 'locked')).toHaveLength(3)
    expect(refused.filter((e) => e.data?.reason === 'wrong_password')).toHaveLength(3 * PAIR_ATTEMPTS)
  })

  it('does not lock a pair for fewer failures than the limit, and a success starts it again', async () => {
    const staff = await makeStaffWithPassword(t.app, ['agent'], 'right password 2', null)
    for (let round = 0; round < 3; round++) {
      for (let i = 1; i < PAIR_ATTEMPTS; i++) expect((await signIn(staff.username, 'wrong')).statusCode).toBe(401)
      expect((await signIn(staff.username, 'right password 2')).statusCode).toBe(200)
    }
    expect(await alertsOf('staff_sign_in_locked', staff.id)).toHaveLength(0)
  })

  it('forgets claims that a crash mid-verify left behind once they are a minute old', async () => {
    const staff = await makeStaffWithPassword(t.app, ['agent'], 'right password 4', null)
    const at = t.clock.now()
    // What a server stopped mid-verify leaves behind: every slot claimed, nothing to settle them.
    await t.app.db
      .insertInto('sign_in_pairs')
      .values({ username: staff.username, ip: HOME, pending: PAIR_ATTEMPTS, claimed_at: at, updated_at: at })
      .execute()
    t.clock.advance(61_000)
    const res = await signIn(staff.username, 'right password 4')
    expect(res.statusCode, res.body).toBe(200)
    const pair = await t.app.db
      .selectFrom('sign_in_pairs')
      .select(['failures', 'pending'])
      .where('username', '=', staff.username)
      .executeTakeFirstOrThrow()
    expect(pair).toEqual({ failures: 0, pending: 0 })
  })
})

describe('the per-username ceiling', () => {
  it('a storm from many addresses below the ceiling never refuses the real person their password and code', async () => {
    // A compliance officer: password and TOTP code. On the old throttle five wrong passwords from anyone locked them.
    const officer = await makeStaffWithPassword(t.app, ['compliance_officer'], 'officer password 1', null)
    const storm = KEY_CEILING - 1
    for (let i = 0; i < storm; i++)
      expect((await signIn(officer.username, `guess ${i}`, attacker(i))).statusCode).toBe(401)
    const password = await signIn(officer.username, 'officer password 1')
    expect(password.statusCode, password.body).toBe(200)
    expect(password.json().status).toBe('mfa_required')
    t.clock.advance(TOTP_STEP_SECONDS * 1000)
    const code = await mfa(password.json().token)
    expect(code.statusCode, code.body).toBe(200)
    expect(code.json()).toMatchObject({ status: 'signed_in', session: { mfa: 'verified' } })
    expect(await alertsOf('staff_sign_in_ceiling', officer.id)).toHaveLength(0)
  }, 120_000)

  it('at the ceiling the account is protected for everyone, and a risk alert names it', async () => {
    const officer = await makeStaffWithPassword(t.app, ['compliance_officer'], 'officer password 2', null)
    // Four guesses from each address: no pair ever locks, so only the ceiling stands in the way.
    const perAddress = PAIR_ATTEMPTS - 1
    const last = await (async () => {
      let res = await signIn(officer.username, 'guess', attacker(0))
      for (let i = 1; i < KEY_CEILING; i++) {
        expect(res.statusCode).toBe(401)
        res = await signIn(officer.username, `guess ${i}`, attacker(Math.floor(i / perAddress)))
      }
      return res
    })()
    expect(last.statusCode).toBe(429)
    expect(last.json()).toMatchObject({
      code: 'sign_in_locked',
      details: { scope: 'account', retry_after_seconds: KEY_LOCK_MINUTES * 60 },
    })
    const risk = await alertsOf('staff_sign_in_ceiling', officer.id)
    expect(risk).toHaveLength(1)
    expect(risk[0]).toMatchObject({ severity: 'risk', staff_id: officer.id })
    expect(risk[0].attempt).toMatchObject({ username: officer.username, failed_sign_ins: KEY_CEILING })
    expect(await alertsOf('staff_sign_in_locked', officer.id)).toHaveLength(0)

    // Protected: the right password from the officer's own address is refused without being checked...
    const refused = await signIn(officer.username, 'officer password 2')
    expect(refused.statusCode).toBe(429)
    expect(refused.json().details.scope).toBe('account')
    const reasons = (await failedSignIns())
      .filter((e) => e.data?.username === officer.username)
      .map((e) => e.data?.reason)
    expect(reasons.at(-1)).toBe('account_protected')
    // ...until the protection ends.
    t.clock.advance(KEY_LOCK_MINUTES * 60_000)
    const back = await signIn(officer.username, 'officer password 2')
    expect(back.statusCode, back.body).toBe(200)
  }, 120_000)
})

describe('unknown usernames', () => {
  it('are throttled too, and what was typed as one is kept only as its SHA-256', async () => {
    // Someone typed their password into the username field.
    const typed = 'Tr0ub4dor&3-not-a-username'
    for (let i = 1; i < PAIR_ATTEMPTS; i++) expect((await signIn(typed, `guess ${i}`)).statusCode).toBe(401)
    const locking = await signIn(typed, 'guess again')
    expect(locking.statusCode).toBe(429)
    expect(locking.json().details.retry_after_seconds).toBe(PAIR_LOCK_MINUTES * 60)
    expect((await signIn(typed, 'one more')).statusCode).toBe(429)

    const digest = sha256Hex(typed)
    const records = (await failedSignIns()).filter((e) => e.data?.username_sha256 === digest)
    expect(records.map((e) => e.data?.reason)).toEqual([...Array(PAIR_ATTEMPTS).fill('unknown_user'), 'locked'])
    for (const r of records) expect(r.data).not.toHaveProperty('username')

    const alerts = await t.app.db
      .selectFrom('alerts')
      .selectAll()
      .where('kind', '=', 'staff_sign_in_locked')
      .where('staff_id', 'is', null)
      .execute()
    expect(alerts).toHaveLength(1)
    expect(envelopeOf({ envelope: alerts[0].attempt })).toMatchObject({ username_sha256: digest, ip: HOME })

    // Nowhere in the database: not in the audit records, the alerts, or the throttle's keys.
    const everything = JSON.stringify([
      await t.app.db.selectFrom('audit_records').select('envelope').execute(),
      await t.app.db.selectFrom('alerts').select('attempt').execute(),
      await t.app.db.selectFrom('sign_in_throttle').select('username').execute(),
      await t.app.db.selectFrom('sign_in_pairs').select('username').execute(),
    ])
    expect(everything).not.toContain(typed)
    const row = await t.app.db
      .selectFrom('sign_in_throttle')
      .select('failures')
      .where('username', '=', `sha256:${digest}`)
      .executeTakeFirst()
    expect(row).toEqual({ failures: PAIR_ATTEMPTS })
  })
})
