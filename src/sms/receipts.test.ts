import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { FakeTransport, queueTestNotice } from '../../test/helpers/sms.ts'
import { noticeEvidence } from './queries.ts'
import { recordReceipt } from './receipts.ts'
import { sendDueNotices } from './sender.ts'
import { type ReceiptState, SmppSubmitError } from './transport.ts'

let t: TestApp
const fake = new FakeTransport()
beforeAll(async () => {
  // Receipts reach recordReceipt through the transport's handler, as in production.
  t = await openTestApp({}, { sms: { transport: fake } })
})
afterAll(() => t.close())

const KHMER = {
  language: 'km' as const,
  params: { msisdn: '+85512999000', daysLeft: 15, withdrawalDate: '2026-06-01' },
}

async function sendOne(overrides = {}) {
  const { noticeId } = await queueTestNotice(t.app, overrides)
  const before = fake.submitted.length
  await sendDueNotices(t.app, fake)
  return { noticeId, ids: fake.submitted.slice(before).map((s) => s.messageId) }
}
const hex = (decimal: string) => BigInt(decimal).toString(16).toUpperCase()

async function notice(id: string) {
  return t.app.db.selectFrom('sms_notices').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
}

describe('delivery receipts', () => {
  it('makes a notice evidence only when every part has a final receipt, ids hex or decimal', async () => {
    const { noticeId, ids } = await sendOne(KHMER)
    expect(ids.length).toBeGreaterThan(1)
    // Interim states never count; the receipt id comes back in hex for the first part.
    await fake.receipt(hex(ids[0]), 'ENROUTE')
    await fake.receipt(hex(ids[0]), 'ACCEPTD')
    let evidence = (await noticeEvidence(t.app.db, [noticeId])).get(noticeId)
    expect(evidence).toEqual({
      state: 'submitted',
      partCount: ids.length,
      finalParts: 0,
      allFinal: false,
      lastFinalAt: null,
    })
    // Every part but the last: still not evidence, whatever the states.
    for (const id of ids.slice(0, -1)) {
      t.clock.advance(60_000)
      await fake.receipt(id, 'DELIVRD')
    }
    evidence = (await noticeEvidence(t.app.db, [noticeId])).get(noticeId)
    expect(evidence).toMatchObject({ finalParts: ids.length - 1, allFinal: false })
    t.clock.advance(60_000)
    const lastAt = t.clock.now()
    await fake.receipt(`000${hex(ids.at(-1) as string).toLowerCase()}`, 'UNDELIV') // final, though not delivered
    evidence = (await noticeEvidence(t.app.db, [noticeId])).get(noticeId)
    expect(evidence).toEqual({
      state: 'evidenced',
      partCount: ids.length,
      finalParts: ids.length,
      allFinal: true,
      lastFinalAt: lastAt,
    })

    const leaf = await t.app.db
      .selectFrom('audit_records')
      .select('envelope')
      .where('action', '=', 'sms.notice_evidenced')
      .execute()
    const data = leaf
      .map((l) => (l.envelope as { data: Record<string, unknown> }).data)
      .find((d) => d.notice_id === noticeId)
    expect(data).toMatchObject({
      notice_id: noticeId,
      custody_id: null,
      purpose: 'inactivity_warning',
      parts: ids.length,
      final_states: [...Array(ids.length - 1).fill('DELIVRD'), 'UNDELIV'],
      last_final_at: lastAt.toISOString(),
    })
    // A late duplicate changes nothing: the first final receipt stands.
    await fake.receipt(ids[0], 'EXPIRED')
    expect((await notice(noticeId)).last_final_at).toEqual(lastAt)
    const parts = await t.app.db
      .selectFrom('sms_notice_parts')
      .select('receipt_state')
      .where('notice_id', '=', noticeId)
      .orderBy('part_index')
      .execute()
    expect(parts[0].receipt_state).toBe('DELIVRD')
  })

  it('keeps a receipt that arrives before the submit response is recorded, and matches it then', async () => {
    const { noticeId } = await queueTestNotice(t.app, { template: 'notice', params: { text: 'Your number +855…' } })
    // The SMSC is fast: its receipt (hex id) arrives while submit_sm_resp is still on its way to the sender.
    fake.behaviour = async (_input, accept) => {
      const out = await accept()
      const early = await recordReceipt(t.app, {
        messageId: hex(out.messageId),
        state: 'DELIVRD',
        final: true,
        doneAt: null,
        error: '000',
        raw: 'id:… stat:DELIVRD text:Your number +855',
      })
      expect(early).toMatchObject({ partId: null, evidenced: false })
      return out
    }
    await sendDueNotices(t.app, fake)
    fake.behaviour = null
    expect(await notice(noticeId)).toMatchObject({ state: 'evidenced', part_count: 1 })
    const receipts = await t.app.db
      .selectFrom('sms_receipts as r')
      .innerJoin('sms_notice_parts as p', 'p.id', 'r.part_id')
      .select(['r.raw', 'r.state'])
      .where('p.notice_id', '=', noticeId)
      .execute()
    expect(receipts).toEqual([{ raw: 'id:… stat:DELIVRD text:(not stored)', state: 'DELIVRD' }])
  })

  it('stores a receipt that matches nothing, and never lets it evidence anything', async () => {
    const out = await recordReceipt(t.app, {
      messageId: 'ffff0000',
      state: 'DELIVRD' as ReceiptState,
      final: true,
      doneAt: null,
      error: null,
      raw: 'id:ffff0000 stat:DELIVRD',
    })
    expect(out).toMatchObject({ partId: null, noticeId: null, evidenced: false })
    const row = await t.app.db.selectFrom('sms_receipts').selectAll().where('id', '=', out.receiptId).executeTakeFirst()
    expect(row).toMatchObject({ message_key: 'ffff0000', part_id: null, final: true })
  })

  it('gives no evidence for a notice whose outcome is unknown, whatever receipts come', async () => {
    const { noticeId } = await queueTestNotice(t.app, KHMER)
    const before = fake.submitted.length
    fake.behaviour = async (input, accept) => {
      if (input.part.index === 2) throw new SmppSubmitError('timeout', 'no answer')
      return accept()
    }
    await sendDueNotices(t.app, fake)
    fake.behaviour = null
    const [sent] = fake.submitted.slice(before)
    await fake.receipt(sent.messageId, 'DELIVRD')
    const evidence = await noticeEvidence(t.app.db, [noticeId, '00000000-0000-0000-0000-000000000000'])
    expect(evidence.has('00000000-0000-0000-0000-000000000000')).toBe(false)
    expect(evidence.get(noticeId)).toMatchObject({
      state: 'unknown',
      finalParts: 1,
      allFinal: false,
      lastFinalAt: null,
    })
  })
})
