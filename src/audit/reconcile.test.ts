// The log proves the state (issue 10, item 4): a database moved only by numguard's commands reconciles with no
// difference; a row changed behind the application's back (as the owner, its triggers disabled in that one
// transaction, as an attacker with the owner's login could) is named by a risk alert with its
// transaction, which wrote no leaf; the worker reconciles at least hourly on the injected clock.
import { randomUUID } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { makeActiveNumber, makeRange, SYSTEM } from '../../test/helpers/factories.ts'
import { releaseNumber, reserveNumber } from '../inventory/reservations.ts'
import { type Difference, lastReconcile, RECONCILE_ALERT, reconcileIfDue, reconcileNumbers } from './reconcile.ts'
import { runCommand } from './run-command.ts'
import { asOwner } from './test-support.ts'

let t: TestApp
beforeEach(async () => {
  t = await openTestApp()
})
afterEach(async () => t.close())

const reconcile = () => runCommand(t.app.deps, SYSTEM, (ctx) => reconcileNumbers(ctx, 'cli'))

async function lawfulStory() {
  const first = await makeActiveNumber(t.app)
  const second = await makeActiveNumber(t.app, { agent: first.agent })
  const [free, leased] = await makeRange(t.app, 2)
  await runCommand(t.app.deps, first.agent.actor, (ctx) => reserveNumber(ctx, first.agent.actor, leased, 30))
  await runCommand(t.app.deps, first.agent.actor, (ctx) => releaseNumber(ctx, first.agent.actor, leased))
  await runCommand(t.app.deps, first.agent.actor, (ctx) => reserveNumber(ctx, first.agent.actor, free, 30))
  return { first, second, free, leased }
}

describe('audit reconcile', () => {
  it('finds no difference in a database only commands moved, and keeps the run', async () => {
    await lawfulStory()
    const run = await reconcile()
    expect(run.details).toEqual([])
    expect(run.differences).toBe(0)
    expect(run.numbers_checked).toBe(4)
    const last = await lastReconcile(t.app)
    expect(last).toMatchObject({ id: run.id, numbers_checked: 4, differences: 0, trigger: 'cli' })
  })

  it('names the rows an owner changed behind the application, and their transaction without a leaf', async () => {
    const { first, free } = await lawfulStory()
    const stranger = randomUUID()
    await asOwner(
      t,
      `INSERT INTO subscribers (id, party_kind, account_type, name, kyc_doc_kind, kyc_doc_hash, kyc_doc_last4, language, created_at)
         VALUES ('${stranger}', 'person', 'prepaid', 'Stranger', 'national_id', 'x', '0000', 'en', now());
       BEGIN;
       ALTER TABLE custodies DISABLE TRIGGER USER;
       ALTER TABLE numbers DISABLE TRIGGER USER;
       UPDATE custodies SET subscriber_id = '${stranger}' WHERE msisdn = '${first.msisdn}' AND ended_at IS NULL;
       UPDATE numbers SET state = 'available', reserved_by = NULL, reserved_until = NULL WHERE msisdn = '${free}';
       ALTER TABLE custodies ENABLE TRIGGER USER;
       ALTER TABLE numbers ENABLE TRIGGER USER;
       COMMIT;`,
    )
    const run = await reconcile()
    expect(run.differences).toBe(2)
    const byNumber = new Map(run.details.map((d) => [d.msisdn, d]))
    const held = byNumber.get(first.msisdn) as Difference
    expect(held.fields).toEqual([{ field: 'holder', log: first.sale.subscriber_id, table: stranger }])
    const custody = held.rows.find((r) => r.table === 'custodies')
    expect(custody?.id).toBe(first.sale.custody_id)
    const tx = held.transactions.find((x) => x.xid === custody?.xid)
    expect(tx?.leaves).toEqual([])
    expect(held.leaf?.action).toBe('number.sold')
    const reserved = byNumber.get(free) as Difference
    expect(reserved.fields).toEqual([{ field: 'state', log: 'reserved', table: 'available' }])
    expect(reserved.leaf?.action).toBe('number.reserved')

    const alerts = await t.app.db
      .selectFrom('alerts')
      .select(['msisdn', 'severity', 'attempt'])
      .where('kind', '=', RECONCILE_ALERT)
      .orderBy('msisdn')
      .execute()
    expect(alerts.map((a) => [a.msisdn, a.severity])).toEqual([first.msisdn, free].sort().map((m) => [m, 'risk']))
    const attempt = alerts.find((a) => a.msisdn === first.msisdn)?.attempt as unknown as Difference & { run_id: string }
    expect(attempt.run_id).toBe(run.id)
    expect(attempt.rows.map((r) => r.id)).toContain(first.sale.custody_id)
    // The same difference seen again is not alerted twice; the run still counts it.
    const again = await reconcile()
    expect(again.differences).toBe(2)
    expect(again.alerts_raised).toBe(0)
  })

  it('runs in the worker pass at least hourly, on the injected clock', async () => {
    await lawfulStory()
    expect(await reconcileIfDue(t.app)).toBe(1)
    t.clock.advance(59 * 60_000)
    expect(await reconcileIfDue(t.app)).toBe(0)
    t.clock.advance(60_001)
    expect(await reconcileIfDue(t.app)).toBe(1)
    const last = await lastReconcile(t.app)
    expect(last).toMatchObject({ trigger: 'worker', differences: 0, at: t.clock.now().toISOString() })
  })
})
