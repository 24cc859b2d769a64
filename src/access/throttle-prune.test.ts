// The hourly prune of the sign-in throttle forgets rows a day quiet, keeps everything still counting (fresh
// failures, a lock in force), and a pruned pair is just a pair with no past: the right password signs in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { makeStaffWithPassword } from '../../test/http/support.ts'
import { PAIR_ATTEMPTS } from './throttle-claims.ts'
import { PRUNE_INTERVAL_MS, pruneThrottleIfDue } from './throttle-prune.ts'

const HOUR = 3_600_000
let t: TestApp
beforeAll(async () => {
  t = await openTestApp()
})
afterAll(() => t.close())

const signIn = (username: string, password: string, ip: string) =>
  t.server.inject({ method: 'POST', url: '/api/v1/auth/sign-in', payload: { username, password }, remoteAddress: ip })
const pairs = async () =>
  (await t.app.db.selectFrom('sign_in_pairs').select(['username', 'ip']).orderBy('ip').execute()).map((p) => p.ip)

describe('pruning the sign-in throttle', () => {
  it('forgets pairs and usernames a day quiet, keeps fresh ones and locks in force, at most hourly', async () => {
    const staff = await makeStaffWithPassword(t.app, ['agent'], 'right password 1', null)
    // One wrong guess from each of two addresses, and a full lock from a third.
    expect((await signIn(staff.username, 'wrong', '198.18.0.1')).statusCode).toBe(401)
    expect((await signIn('nobody-here', 'wrong', '198.18.0.2')).statusCode).toBe(401)
    t.clock.advance(20 * HOUR)
    for (let i = 0; i < PAIR_ATTEMPTS * 4; i++) await signIn(staff.username, `wrong ${i}`, '198.18.0.3')
    const lockedUntil = (
      await t.app.db
        .selectFrom('sign_in_pairs')
        .select('locked_until')
        .where('ip', '=', '198.18.0.3')
        .executeTakeFirstOrThrow()
    ).locked_until
    expect(lockedUntil).not.toBeNull()
    expect(await pruneThrottleIfDue(t.app)).toBe(0)
    expect(await pairs()).toEqual(['198.18.0.1', '198.18.0.2', '198.18.0.3'])

    // Five hours later the first two are a day quiet; the third is neither quiet nor unlocked.
    t.clock.advance(5 * HOUR)
    expect(await pruneThrottleIfDue(t.app)).toBe(3) // two pairs and the unknown username's key
    expect(await pairs()).toEqual(['198.18.0.3'])
    const keys = await t.app.db.selectFrom('sign_in_throttle').select('username').execute()
    expect(keys.map((k) => k.username)).toEqual([staff.username])

    // Within the hour the worker does not prune again, whatever is due.
    t.clock.advance(PRUNE_INTERVAL_MS - 1)
    await t.app.db
      .updateTable('sign_in_pairs')
      .set({ updated_at: new Date(0), claimed_at: new Date(0) })
      .execute()
    expect(await pruneThrottleIfDue(t.app)).toBe(0)

    // A pruned pair has no past: the right password from that address signs in.
    expect((await signIn(staff.username, 'right password 1', '198.18.0.1')).statusCode).toBe(200)
  })
})
