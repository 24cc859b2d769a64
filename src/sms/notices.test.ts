import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { queueTestNotice, TEST_ACTOR } from '../../test/helpers/sms.ts'
import { audited } from '../audit/record.ts'
import { runCommand } from '../audit/run-command.ts'
import { ValidationError } from '../domain/errors.ts'
import { cancelNotice } from './notices.ts'
import { openSecrets } from './secrets.ts'

let t: TestApp
beforeAll(async () => {
  t = await openTestApp()
})
afterAll(() => t.close())

async function auditOf(noticeId: string) {
  const rows = await t.app.db.selectFrom('audit_records').select(['action', 'envelope']).execute()
  return rows.filter((r) => JSON.stringify(r.envelope).includes(noticeId))
}

describe('queueNotice', () => {
  it('is idempotent on its dedupe key: one notice, one audit record', async () => {
    const first = await queueTestNotice(t.app, { dedupeKey: 'warning:c1:1:1' })
    const again = await queueTestNotice(t.app, { dedupeKey: 'warning:c1:1:1' })
    expect(first.created).toBe(true)
    expect(again).toEqual({ noticeId: first.noticeId, created: false })
    const rows = await t.app.db
      .selectFrom('sms_notices')
      .selectAll()
      .where('dedupe_key', '=', 'warning:c1:1:1')
      .execute()
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ state: 'queued', priority: 'bulk', to_address: '+85512999000' })
    expect(rows[0].body_masked).toContain('before 1 June 2026')
    expect((await auditOf(first.noticeId)).map((r) => r.action)).toEqual(['sms.notice_queued'])
  })

  it('defers a bulk notice queued outside the send window to the next opening; an otp one goes at once', async () => {
    // TEST_START is 10:00 in Phnom Penh: inside the window.
    const inside = await queueTestNotice(t.app, { respectSendWindow: undefined })
    t.clock.advance(11 * 3_600_000) // 21:00 in Phnom Penh
    const late = await queueTestNotice(t.app, { respectSendWindow: undefined })
    const code = await queueTestNotice(t.app, {
      priority: 'otp',
      respectSendWindow: undefined,
      template: 'notice',
      params: { text: 'hi' },
    })
    const rows = await t.app.db
      .selectFrom('sms_notices')
      .select(['id', 'not_before', 'created_at', 'respect_send_window'])
      .where('id', 'in', [inside.noticeId, late.noticeId, code.noticeId])
      .execute()
    const byId = new Map(rows.map((r) => [r.id, r]))
    expect(byId.get(inside.noticeId)?.not_before).toEqual(byId.get(inside.noticeId)?.created_at)
    expect(byId.get(late.noticeId)?.not_before.toISOString()).toBe('2026-03-03T01:00:00.000Z')
    expect(byId.get(late.noticeId)?.respect_send_window).toBe(true)
    expect(byId.get(code.noticeId)?.not_before).toEqual(byId.get(code.noticeId)?.created_at)
    expect(byId.get(code.noticeId)?.respect_send_window).toBe(false)
  })

  it('never stores a secret in clear: sealed, masked in the body and absent from the audit', async () => {
    const out = await queueTestNotice(t.app, {
      purpose: 'consent_code',
      template: 'one_time_code',
      priority: 'otp',
      params: { action: 'a SIM swap' },
      secrets: { values: { code: '482913' }, key: t.app.config.kycKey },
    })
    const row = await t.app.db
      .selectFrom('sms_notices')
      .selectAll()
      .where('id', '=', out.noticeId)
      .executeTakeFirstOrThrow()
    expect(row.body_masked).toBe(
      'Your code to approve a SIM swap is ******. Reply YES ****** to agree or NO to refuse. Never share this code with anyone.',
    )
    expect(JSON.stringify(row.params)).not.toContain('482913')
    expect(row.sealed_secrets?.toString('latin1')).not.toContain('482913')
    expect(openSecrets(t.app.config.kycKey, out.noticeId, row.sealed_secrets as Buffer)).toEqual({ code: '482913' })
    expect(() => openSecrets('another-key-entirely', out.noticeId, row.sealed_secrets as Buffer)).toThrow()
    const audit = await auditOf(out.noticeId)
    expect(JSON.stringify(audit)).not.toContain('482913')
    expect(JSON.stringify(audit)).toContain('"secret_params":["code"]')
  })

  it('refuses bad input naming the field', async () => {
    await expect(queueTestNotice(t.app, { to: 'someone@example.com' })).rejects.toMatchObject({
      code: 'invalid_input',
      details: { field: 'to' },
    })
    await expect(queueTestNotice(t.app, { purpose: 'Not Snake' })).rejects.toBeInstanceOf(ValidationError)
    await expect(
      queueTestNotice(t.app, { template: 'withdrawal', params: { msisdn: '+85512999000' } }),
    ).rejects.toMatchObject({ details: { field: 'params.reclaimUntil' } })
    await expect(
      queueTestNotice(t.app, {
        template: 'one_time_code',
        params: { action: 'x' },
        secrets: { values: { code: '1234' }, key: '' },
      }),
    ).rejects.toMatchObject({ details: { field: 'secrets.key' } })
  })

  it('cancels a notice nothing of which has been sent, and only that', async () => {
    const out = await queueTestNotice(t.app)
    const cancelled = await runCommand(t.app.deps, TEST_ACTOR, async (ctx) => {
      const r = await cancelNotice(ctx, out.noticeId, 'request_cancelled')
      return r.receipt ? audited(r.cancelled, [r.receipt]) : { result: r.cancelled, receipts: [] as [] }
    })
    expect(cancelled).toBe(true)
    const again = await runCommand(t.app.deps, TEST_ACTOR, async (ctx) => ({
      result: (await cancelNotice(ctx, out.noticeId, 'again')).cancelled,
      receipts: [] as [],
    }))
    expect(again).toBe(false)
    const row = await t.app.db
      .selectFrom('sms_notices')
      .select(['state', 'state_reason'])
      .where('id', '=', out.noticeId)
      .executeTakeFirst()
    expect(row).toEqual({ state: 'cancelled', state_reason: 'request_cancelled' })
  })

  it('is refused by the database without its audit record', async () => {
    await expect(
      t.app.db.transaction().execute(async (tx) => {
        await tx.updateTable('sms_notices').set({ state_reason: 'sneaky' }).where('state', '=', 'queued').execute()
      }),
    ).rejects.toThrow(/audit record/)
  })
})
