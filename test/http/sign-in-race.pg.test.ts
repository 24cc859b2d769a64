// Guessing a staff password in parallel. PostgreSQL only (the .pg.test.ts suffix keeps it out of the pglite suite):
// PGlite has one connection, so there the sign-ins run one after another and nothing races; here the pool's
// connections really do run them at once. That is how the lockout was once beaten: every parallel guess read the
// account unlocked before the slow password check, so all were verified, and the right one got a session.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { SIGN_IN_ATTEMPTS } from '../../src/access/sign-in.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { envelopeOf, makeStaffWithPassword } from './support.ts'

// Every password the sign-in actually checks, counted where argon2 is called rather than from the audit records.
const checked = vi.hoisted(() => [] as string[])
vi.mock('../../src/access/secrets.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/access/secrets.ts')>()
  return {
    ...original,
    verifyPassword: (hash: string | null, password: string) => {
      checked.push(password)
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

const signIn = (username: string, password: string) =>
  t.server.inject({ method: 'POST', url: '/api/v1/auth/sign-in', payload: { username, password } })

describe('parallel sign-in guesses (PostgreSQL)', () => {
  it.each([0, 20, GUESSES - 1])(
    '39 wrong passwords and the right one (at %i) at once: at most five are verified, and no session after the lock',
    async (rightAt) => {
      const password = `the right one ${rightAt}`
      const staff = await makeStaffWithPassword(t.app, ['supervisor'], password, null)
      const passwords = Array.from({ length: GUESSES }, (_, i) => (i === rightAt ? password : `wrong ${i}`))

      checked.length = 0
      const responses = await Promise.all(passwords.map((p) => signIn(staff.username, p)))

      const statuses = responses.map((r) => r.statusCode)
      for (const s of statuses) expect([200, 401, 429]).toContain(s)
      const right = statuses[rightAt]
      expect(right === 200 || right === 429).toBe(true)
      expect(statuses.filter((s, i) => s === 200 && i !== rightAt)).toEqual([])

      // Every attempt left one record; only wrong_password, locked_meanwhile (right, but locked while it was
      // checked) and a success mean the password was verified.
      const failed = (
        await t.app.db
          .selectFrom('audit_records')
          .select('envelope')
          .where('action', '=', 'session.sign_in_failed')
          .execute()
      )
        .map(envelopeOf)
        .filter((e) => e.data?.username === staff.username)
      const sessions = await t.app.db.selectFrom('sessions').select('id').where('staff_id', '=', staff.id).execute()
      expect(sessions).toHaveLength(right === 200 ? 1 : 0)
      expect(failed.length + sessions.length).toBe(GUESSES)
      const reasons = failed.map((e) => e.data?.reason)
      for (const r of reasons) expect(['wrong_password', 'locked', 'locked_meanwhile']).toContain(r)
      const verified =
        reasons.filter((r) => r === 'wrong_password' || r === 'locked_meanwhile').length + sessions.length
      expect(checked.length).toBeLessThanOrEqual(SIGN_IN_ATTEMPTS)
      expect(checked.length).toBeGreaterThanOrEqual(1)
      expect(verified).toBe(checked.length)
      // The right password, when it got in, was one of the few checked: the guesses beyond the limit were not.
      if (right === 200) expect(checked).toContain(password)

      const throttle = await t.app.db
        .selectFrom('sign_in_throttle')
        .select(['failures', 'locked_until'])
        .where('username', '=', staff.username)
        .executeTakeFirstOrThrow()
      expect(throttle.failures).toBeLessThanOrEqual(SIGN_IN_ATTEMPTS)
      const alerts = await t.app.db
        .selectFrom('alerts')
        .select('id')
        .where('kind', '=', 'staff_sign_in_locked')
        .where('staff_id', '=', staff.id)
        .execute()
      if (throttle.locked_until === null) {
        // 39 wrong guesses end in a lock unless the right password got in first and reset the count.
        expect(right).toBe(200)
        expect(alerts).toHaveLength(0)
        return
      }
      expect(alerts).toHaveLength(1)
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0)
      if (right !== 200) return
      // Locked after a success: the session must have been opened before the lock, never after it.
      const [lockRecord] = await t.app.db
        .selectFrom('audit_records')
        .select('seq')
        .where('action', '=', 'alert.raised')
        .where(sql`envelope -> 'after' ->> 'alert_id'`, '=', alerts[0].id)
        .execute()
      const [signedIn] = await t.app.db
        .selectFrom('audit_records')
        .select('seq')
        .where('action', '=', 'session.signed_in')
        .where(sql`envelope -> 'after' ->> 'session_id'`, '=', sessions[0].id)
        .execute()
      expect(Number(signedIn.seq)).toBeLessThan(Number(lockRecord.seq))
    },
    60_000,
  )
})
