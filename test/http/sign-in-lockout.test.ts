// Guessing a staff password: five wrong passwords lock the account for 15 minutes, the lock names the account
// in an alert, and even the right password is refused until the lock ends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SIGN_IN_ATTEMPTS, SIGN_IN_LOCK_MINUTES } from '../../src/access/sessions.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { makeStaffWithPassword } from './support.ts'

let t: TestApp
beforeAll(async () => {
  t = await openTestApp()
})
afterAll(() => t.close())

const signIn = (username: string, password: string) =>
  t.server.inject({ method: 'POST', url: '/api/v1/auth/sign-in', payload: { username, password } })

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

    const alerts = await t.app.db.selectFrom('alerts').selectAll().where('kind', '=', 'staff_sign_in_locked').execute()
    expect(alerts).toHaveLength(1)
    expect(alerts[0]).toMatchObject({ severity: 'warning', staff_id: staff.id })

    t.clock.advance(5 * 60_000)
    const whileLocked = await signIn(staff.username, 'right password 1')
    expect(whileLocked.statusCode).toBe(429)
    expect(whileLocked.json().details.retry_after_seconds).toBe((SIGN_IN_LOCK_MINUTES - 5) * 60)

    t.clock.advance(SIGN_IN_LOCK_MINUTES * 60_000)
    expect((await signIn(staff.username, 'right password 1')).statusCode).toBe(200)
    const row = await t.app.db
      .selectFrom('staff')
      .select(['failed_sign_ins', 'locked_until'])
      .where('id', '=', staff.id)
      .executeTakeFirstOrThrow()
    expect(row).toEqual({ failed_sign_ins: 0, locked_until: null })
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
})
