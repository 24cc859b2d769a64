// PostgreSQL only (PGlite has one connection): requests and the register under real concurrency. Several agents
// filing a reclaim for one number at once leave exactly one open request; several writers of one month's file leave
// one file that marks each disconnection once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { makeStaff, type TestStaff } from '../../test/helpers/factories.ts'
import { agingNumber, DAY, sellTo, withdrawForInactivity } from '../../test/helpers/reclaim-fixtures.ts'
import { runCommand } from '../audit/run-command.ts'
import { requestReclaim } from '../recycling/reclaim.ts'
import { generateDisconnectionReport } from '../reports/disconnections.ts'

let t: TestApp
let agents: TestStaff[]

beforeAll(async () => {
  t = await openTestApp()
  const first = await makeStaff(t.app, ['agent'])
  agents = [
    first,
    ...(await Promise.all([1, 2, 3, 4].map(() => makeStaff(t.app, ['agent'], { shopId: first.shopId })))),
  ]
  await makeStaff(t.app, ['supervisor'])
})
afterAll(() => t.close())

describe('on PostgreSQL', () => {
  it('lets exactly one of five simultaneous reclaims of a number through', async () => {
    const held = await agingNumber(t.app, t.clock, { agent: agents[0], daysHeld: 1 })
    const outcomes = await Promise.allSettled(
      agents.map((a) =>
        runCommand(t.app.deps, a.actor, (ctx) =>
          requestReclaim(
            ctx,
            a.actor,
            { msisdn: held.msisdn, kycDocNumber: held.subscriber.kyc_doc_number },
            t.app.config.kycKey,
          ),
        ),
      ),
    )
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
    for (const o of outcomes.filter((o) => o.status === 'rejected')) {
      expect((o as PromiseRejectedResult).reason.code).toMatch(/^(duplicate_request|conflict)$/)
    }
    const open = await t.app.db.selectFrom('requests').select('id').where('msisdn', '=', held.msisdn).execute()
    expect(open).toHaveLength(1)
  })

  it('writes one file when three writers ask for the same month at once', async () => {
    const numbers = await Promise.all([1, 2, 3].map(() => sellTo(t.app, { agent: agents[0] })))
    for (const n of numbers) await withdrawForInactivity(t.app, n)
    t.clock.advance(40 * DAY)
    const month = t.clock.now().toISOString().slice(0, 7)
    const officer = await makeStaff(t.app, ['compliance_officer'])
    const files = await Promise.all(
      [1, 2, 3].map(() =>
        runCommand(t.app.deps, officer.actor, (ctx) => generateDisconnectionReport(ctx, month, 'Asia/Phnom_Penh')),
      ),
    )
    expect(new Set(files.map((f) => f.id)).size).toBe(1)
    expect(new Set(files.map((f) => f.content)).size).toBe(1)
    const marked = await t.app.db
      .selectFrom('disconnections')
      .select(['reported_in'])
      .where(
        'msisdn',
        'in',
        numbers.map((n) => n.msisdn),
      )
      .execute()
    expect(marked.map((m) => m.reported_in)).toEqual([files[0].id, files[0].id, files[0].id])
  })
})
