// PostgreSQL only (PGlite has one connection): identical refusals arriving in parallel count on one alert — the
// advisory lock in raiseAlert makes them take turns instead of each inserting its own (issue 9 item 7).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { makeStaff } from '../helpers/factories.ts'
import { auth } from './support.ts'

let t: TestApp
beforeAll(async () => {
  t = await openTestApp()
})
afterAll(() => t.close())

describe('parallel identical refusals', () => {
  it('leave one alert whose count is the number of refusals', async () => {
    const auditor = await makeStaff(t.app, ['auditor'])
    const N = 20
    const answers = await Promise.all(
      Array.from({ length: N }, () =>
        t.server.inject({
          method: 'POST',
          url: '/api/v1/shops',
          headers: auth(auditor.token),
          payload: { id: 'parallel-shop', name: 'Parallel' },
        }),
      ),
    )
    expect(answers.map((a) => a.statusCode)).toEqual(Array(N).fill(403))
    expect(new Set(answers.map((a) => a.json().details.alert_id)).size).toBe(1)
    const alerts = await t.app.db.selectFrom('alerts').selectAll().where('staff_id', '=', auditor.id).execute()
    expect(alerts).toHaveLength(1)
    expect(alerts[0].repeats).toBe(N)
  })
})
