// The log proves the state (issue 10, item 4), on a whole story through the lawful paths: a sale, a SIM swap on the
// holder's YES, a transfer past the swap-cooling window, two withdrawals for inactivity on day 90 after the warnings
// and their receipts, a reclaim during aging and an aging-out on day 180. Reconciliation then finds no difference;
// one change made as the schema owner behind the application's back is named, and only that one.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Difference, reconcileNumbers } from '../../src/audit/reconcile.ts'
import { runCommand } from '../../src/audit/run-command.ts'
import { makeActiveNumber, SYSTEM, type TestStaff } from '../helpers/factories.ts'
import { actAsOwnerInThisTransaction } from '../helpers/owner-fixture.ts'
import { signInAgain } from '../helpers/reclaim-fixtures.ts'
import { num, otherShopSupervisor, post, type Story, soldSwappedTransferred } from './lawful-story.ts'
import { type Harness, numberState, openHarness, walkToWithdrawalDay } from './recycling-harness.ts'

let h: Harness
let supervisor: TestStaff
let story: Story
let agedOut: string
let reclaimed: string

const reconcile = () => runCommand(h.t.app.deps, SYSTEM, (ctx) => reconcileNumbers(ctx, 'cli'))

beforeAll(async () => {
  h = await openHarness()
  supervisor = await otherShopSupervisor(h)
  const [b, c] = [
    await makeActiveNumber(h.t.app, { agent: h.agent }),
    await makeActiveNumber(h.t.app, { agent: h.agent }),
  ]
  agedOut = b.msisdn
  reclaimed = c.msisdn
  story = await soldSwappedTransferred(h, supervisor)

  await walkToWithdrawalDay(h)
  h.at(90, '08:00')
  await h.heartbeat()
  expect((await h.sweep()).outcomes.withdrawn).toBe(2)

  h.at(100, '10:00')
  await signInAgain(h.t.app, h.agent, supervisor)
  const filed = await post(h, h.agent, `${num(reclaimed)}/reclaim`, { kyc_doc_number: c.subscriber.kyc_doc_number })
  expect(filed.statusCode, filed.body).toBe(200)
  const { id, payload_sha256 } = filed.json()
  expect((await post(h, supervisor, `/api/v1/requests/${id}/approve`, { payload_sha256 })).statusCode).toBe(200)
  expect((await post(h, h.agent, `/api/v1/requests/${id}/execute`)).statusCode).toBe(200)

  h.at(180, '00:00')
  expect((await h.sweep()).outcomes.aged_out).toBe(1)
}, 180_000)
afterAll(async () => h?.close())

describe('reconcile after the lawful story', () => {
  it('the story happened: transferred, reclaimed, aged out', async () => {
    const holders = await h.t.app.db
      .selectFrom('custodies')
      .select(['msisdn', 'basis', 'subscriber_id'])
      .where('ended_at', 'is', null)
      .where('msisdn', 'in', [story.msisdn, reclaimed])
      .orderBy('msisdn')
      .execute()
    expect(new Map(holders.map((c) => [c.msisdn, c.basis]))).toEqual(
      new Map([
        [story.msisdn, 'transfer'],
        [reclaimed, 'reclaim'],
      ]),
    )
    expect(holders.find((c) => c.msisdn === story.msisdn)?.subscriber_id).toBe(story.transferredTo)
    expect(await numberState(h, agedOut)).toBe('available')
  })

  it('finds no difference', async () => {
    const run = await reconcile()
    expect(run.details).toEqual([])
    expect(run.differences).toBe(0)
    expect(run.numbers_checked).toBeGreaterThanOrEqual(3)
  })

  it('names exactly the row an owner changed behind the application, and its transaction without a leaf', async () => {
    await h.t.app.db.transaction().execute(async (tx) => {
      await actAsOwnerInThisTransaction(tx)
      await sql`ALTER TABLE numbers DISABLE TRIGGER USER`.execute(tx)
      await sql`UPDATE numbers SET state = 'retired' WHERE msisdn = ${agedOut}`.execute(tx)
      await sql`ALTER TABLE numbers ENABLE TRIGGER USER`.execute(tx)
    })
    const run = await reconcile()
    expect(run.differences).toBe(1)
    const [d] = run.details as Difference[]
    expect(d.msisdn).toBe(agedOut)
    expect(d.fields).toEqual([{ field: 'state', log: 'available', table: 'retired' }])
    expect(d.leaf?.action).toBe('number.aged_out')
    const row = d.rows.find((r) => r.table === 'numbers')
    expect(row?.id).toBe(agedOut)
    expect(d.transactions.find((x) => x.xid === row?.xid)?.leaves).toEqual([])
  })
})
