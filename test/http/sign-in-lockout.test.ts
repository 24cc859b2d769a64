// Guessing a staff password: five wrong passwords lock the account for 15 minutes, the lock names the account
// in an alert, and even the right password is refused until the lock ends. Unknown usernames are throttled the
// same way, and what was typed as one is never stored in clear. (Parallel guesses: sign-in-race.pg.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/access/secrets.ts'
import { SIGN_IN_ATTEMPTS, SIGN_IN_LOCK_MINUTES } from '../../src/access/sign-in.ts'
import { base32Decode, totp } from '../../src/access/totp.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { TEST_TOTP_SECRET } from '../helpers/factories.ts'
import { envelopeOf, makeStaffWithPassword } from './support.ts'

let t: TestApp
beforeAll(async () => {
  t = await openTestApp()
})
afterAll(() => t.close())

const signIn = (username: string, password: string) =>
  t.server.inject({ method: 'POST', url: '/api/v1/auth/sign-in', payload: { username, password } })

const throttleOf = (key: string) =>
  t.app.db
    .selectFrom('sign_in_throttle')
    .select(['failures', 'locked_until'])
    .where('username', '=', key)
    .executeTakeFirst()

const failedSignIns = async () =>
  (
    await t.app.db
      .selectFrom('audit_records')
      .select('envelope')
      .where('action', '=', 'session.sign_in_failed')
      .execute()
  ).map(envelopeOf)

describe('staff sign-in lockout', () => {
  it('locks after five wrong passwords, refuses the right one while locked, and lets it in afterwards', async () => {
    const staff = await makeStaffWithPassword(t.app, ['supervisor'], 'right password 1', null)
    for (let i = 1; i < SIGN_IN_ATTEMPTS; i++) expect((await signIn(staff.username, `wrong ${i}`)).statusCode).toBe(401)
    const locking = await signIn(staff.username, 'wrong again')
    expect(locking.statusCode).toBe(429)
    expect(locking.json()).toMatchObject({
      code: 'sign_in_locked',
      details: { retry_after_seconds: SIGN_IN_LOCK_MINUTES * 60 },
    })

    const alerts = await t.app.db
      .selectFrom('alerts')
      .selectAll()
      .where('kind', '=', 'staff_sign_in_locked')
      .where('staff_id', '=', staff.id)
      .execute()
    expect(alerts).toHaveLength(1)
    expect(alerts[0]).toMatchObject({ severity: 'warning', staff_id: staff.id })

    t.clock.advance(5 * 60_000)
    const whileLocked = await signIn(staff.username, 'right password 1')
    expect(whileLocked.statusCode).toBe(429)
    expect(whileLocked.json().details.retry_after_seconds).toBe((SIGN_IN_LOCK_MINUTES - 5) * 60)

    t.clock.advance(SIGN_IN_LOCK_MINUTES * 60_000)
    const right = await signIn(staff.username, 'right password 1')
    expect(right.statusCode).toBe(200)
    // A supervisor still owes a TOTP code: the attempt stays counted until the code is right too.
    expect(right.json().status).toBe('mfa_required')
    expect(await throttleOf(staff.username)).toEqual({ failures: 1, locked_until: null })
    const code = totp(base32Decode(TEST_TOTP_SECRET), t.clock.now())
    const done = await t.server.inject({
      method: 'POST',
      url: '/api/v1/auth/mfa',
      payload: { code },
      headers: { authorization: `Bearer ${right.json().token}` },
    })
    expect(done.json().status).toBe('signed_in')
    expect(await throttleOf(staff.username)).toEqual({ failures: 0, locked_until: null })
    // The refusal while locked was recorded without checking the password.
    const mine = (await failedSignIns()).filter((e) => e.data?.username === staff.username)
    expect(mine.map((e) => e.data?.reason)).toEqual([...Array(SIGN_IN_ATTEMPTS).fill('wrong_password'), 'locked'])
  })

  it('does not lock an account for fewer failures than the limit, and a success resets the count', async () => {
    const staff = await makeStaffWithPassword(t.app, ['agent'], 'right password 2', null)
    for (let round = 0; round < 2; round++) {
      for (let i = 1; i < SIGN_IN_ATTEMPTS; i++) expect((await signIn(staff.username, 'wrong')).statusCode).toBe(401)
      expect((await signIn(staff.username, 'right password 2')).statusCode).toBe(200)
    }
    const failures = await t.app.db
      .selectFrom('audit_records')
      .select('envelope')
      .where('action', '=', 'session.sign_in_failed')
      .execute()
    expect(failures.filter((f) => JSON.stringify(f.envelope).includes(staff.username))).toHaveLength(
      2 * (SIGN_IN_ATTEMPTS - 1),
    )
  })

  it('starts the count again when a lock has expired: one wrong password afterwards is a 401, not a new lock', async () => {
    const staff = await makeStaffWithPassword(t.app, ['agent'], 'right password 3', null)
    for (let i = 1; i < SIGN_IN_ATTEMPTS; i++) expect((await signIn(staff.username, 'wrong')).statusCode).toBe(401)
    expect((await signIn(staff.username, 'wrong')).statusCode).toBe(429)
    t.clock.advance(SIGN_IN_LOCK_MINUTES * 60_000)

    expect((await signIn(staff.username, 'wrong after the lock')).statusCode).toBe(401)
    expect(await throttleOf(staff.username)).toEqual({ failures: 1, locked_until: null })
    // A full new round is needed to lock it again, and that lock raises its own alert.
    for (let i = 2; i < SIGN_IN_ATTEMPTS; i++) expect((await signIn(staff.username, 'wrong')).statusCode).toBe(401)
    expect((await signIn(staff.username, 'wrong')).statusCode).toBe(429)
    const alerts = await t.app.db
      .selectFrom('alerts')
      .select('id')
      .where('kind', '=', 'staff_sign_in_locked')
      .where('staff_id', '=', staff.id)
      .execute()
    expect(alerts).toHaveLength(2)
  })

  it('throttles unknown usernames too, and keeps what was typed as one only as its SHA-256', async () => {
    // Someone typed their password into the username field.
    const typed = 'Tr0ub4dor&3-not-a-username'
    for (let i = 1; i < SIGN_IN_ATTEMPTS; i++) expect((await signIn(typed, `guess ${i}`)).statusCode).toBe(401)
    const locking = await signIn(typed, 'guess again')
    expect(locking.statusCode).toBe(429)
    expect(locking.json().details.retry_after_seconds).toBe(SIGN_IN_LOCK_MINUTES * 60)
    expect((await signIn(typed, 'one more')).statusCode).toBe(429)

    const digest = sha256Hex(typed)
    const records = (await failedSignIns()).filter((e) => e.data?.username_sha256 === digest)
    expect(records.map((e) => e.data?.reason)).toEqual([...Array(SIGN_IN_ATTEMPTS).fill('unknown_user'), 'locked'])
    for (const r of records) expect(r.data).not.toHaveProperty('username')

    const alerts = await t.app.db
      .selectFrom('alerts')
      .selectAll()
      .where('kind', '=', 'staff_sign_in_locked')
      .where('staff_id', 'is', null)
      .execute()
    expect(alerts).toHaveLength(1)
    expect(envelopeOf({ envelope: alerts[0].attempt })).toMatchObject({ username_sha256: digest })

    // Nowhere in the database: not in the audit records, the alerts, or the throttle's key.
    const everything = JSON.stringify([
      await t.app.db.selectFrom('audit_records').select('envelope').execute(),
      await t.app.db.selectFrom('alerts').select('attempt').execute(),
      await t.app.db.selectFrom('sign_in_throttle').select('username').execute(),
    ])
    expect(everything).not.toContain(typed)
    expect(await throttleOf(`sha256:${digest}`)).toMatchObject({ failures: SIGN_IN_ATTEMPTS })
  })

  it('frees a username whose count an unfinished attempt left full, one lock period later', async () => {
    const staff = await makeStaffWithPassword(t.app, ['agent'], 'right password 4', null)
    // What a server stopped mid-verify leaves behind: the attempts counted, no lock set, nothing to reset them.
    await t.app.db
      .insertInto('sign_in_throttle')
      .values({ username: staff.username, failures: SIGN_IN_ATTEMPTS, locked_until: null, updated_at: t.clock.now() })
      .execute()
    const refused = await signIn(staff.username, 'right password 4')
    expect(refused.statusCode).toBe(429)
    expect(refused.json().details.retry_after_seconds).toBe(SIGN_IN_LOCK_MINUTES * 60)
    t.clock.advance(SIGN_IN_LOCK_MINUTES * 60_000)
    expect((await signIn(staff.username, 'right password 4')).statusCode).toBe(200)
    expect(await throttleOf(staff.username)).toEqual({ failures: 0, locked_until: null })
  })
})
