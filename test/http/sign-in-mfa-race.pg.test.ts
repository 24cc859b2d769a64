// One TOTP code sent into several waiting sessions at once. PostgreSQL only (PGlite has one connection, so nothing
// races there): the step a code belongs to moves forward in one guarded UPDATE, so exactly one session is signed in,
// and the replays it refuses are not counted as guesses in the sign-in throttle.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { base32Decode, totp } from '../../src/access/totp.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { TEST_TOTP_SECRET } from '../helpers/factories.ts'
import { auth, makeStaffWithPassword } from './support.ts'

let t: TestApp
beforeAll(async () => {
  t = await openTestApp()
})
afterAll(() => t.close())

const SESSIONS = 3

describe('a replayed code in parallel (PostgreSQL)', () => {
  it('signs in one waiting session; the others are refused as a replay', async () => {
    const staff = await makeStaffWithPassword(t.app, ['compliance_officer'], 'officer-password-1')
    const pending: string[] = []
    for (let i = 0; i < SESSIONS; i++) {
      const res = await t.server.inject({
        method: 'POST',
        url: '/api/v1/auth/sign-in',
        payload: { username: staff.username, password: staff.password },
      })
      expect(res.json().status).toBe('mfa_required')
      pending.push(res.json().token)
    }
    const code = totp(base32Decode(TEST_TOTP_SECRET), t.clock.now())
    const answers = await Promise.all(
      pending.map((token) =>
        t.server.inject({ method: 'POST', url: '/api/v1/auth/mfa', payload: { code }, headers: auth(token) }),
      ),
    )
    const statuses = answers.map((a) => a.statusCode).sort()
    expect(statuses).toEqual([200, 401, 401])
    for (const a of answers.filter((x) => x.statusCode === 401))
      expect(a.json()).toMatchObject({ code: 'mfa_code_invalid', details: { reason: 'replayed_code' } })
    const signedIn = await t.app.db
      .selectFrom('sessions')
      .select('mfa')
      .where('staff_id', '=', staff.id)
      .where('mfa', '=', 'verified')
      .execute()
    expect(signedIn).toHaveLength(1)
    const pair = await t.app.db
      .selectFrom('sign_in_pairs')
      .select(['failures', 'pending'])
      .where('username', '=', staff.username)
      .executeTakeFirstOrThrow()
    expect(pair).toEqual({ failures: 0, pending: 0 })
  })
})
