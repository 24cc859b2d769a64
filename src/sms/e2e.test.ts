// End to end over localhost TCP: notices go through numguard's SMPP client to the embedded SMSC simulator; the
// simulator's receipts and a handset's MO come back through the client into the database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { makeActiveNumber } from '../../test/helpers/factories.ts'
import { queueTestNotice } from '../../test/helpers/sms.ts'
import { noticeEvidence } from './queries.ts'
import { recoverInterruptedSends } from './recovery.ts'
import { whenBound } from './runtime.ts'
import { sendDueNotices } from './sender.ts'
import type { SmscSimulator } from './simulator/index.ts'
import { renderNotice } from './templates.ts'
import { sameMessageId } from './transport.ts'

let t: TestApp
let smsc: SmscSimulator

const acked: string[] = []
let ackListeners: (() => void)[] = []

/** Resolves once numguard has recorded (and so acknowledged) a receipt for every part of these notices. */
async function receiptsRecorded(noticeIds: string[]): Promise<void> {
  const parts = await t.app.db
    .selectFrom('sms_notice_parts')
    .select('message_id')
    .where('notice_id', 'in', noticeIds)
    .execute()
  const ids = parts.map((p) => p.message_id as string)
  const done = () => ids.every((id) => acked.some((a) => sameMessageId(a, id)))
  if (done()) return
  await new Promise<void>((resolve) => {
    const check = () => {
      if (!done()) return
      ackListeners = ackListeners.filter((l) => l !== check)
      resolve()
    }
    ackListeners.push(check)
  })
}

beforeAll(async () => {
  t = await openTestApp({}, { sms: 'simulator' })
  const link = t.app.sms
  if (!link?.smsc) throw new Error('expected the embedded simulator on app.sms')
  smsc = link.smsc
  // The simulator may deliver a receipt again after a reconnection: tests wait for their own parts' receipts.
  smsc.onEvent((e) => {
    if (e.type !== 'receipt_acked' || e.status !== 0) return
    acked.push(e.submitId)
    for (const l of [...ackListeners]) l()
  })
  await whenBound(link.transport)
})
afterAll(() => t.close())

describe('SMS end to end with the simulator', () => {
  it('delivers a Khmer multi-part warning and an English notice; every receipt makes them evidence', async () => {
    const { msisdn } = await makeActiveNumber(t.app)
    const params = { msisdn, daysLeft: 30, withdrawalDate: '2026-05-31' }
    const km = await queueTestNotice(t.app, { msisdn, language: 'km', params })
    const en = await queueTestNotice(t.app, { msisdn, language: 'en', params })
    const parts = await t.app.db.selectFrom('sms_notices').select('id').where('msisdn', '=', msisdn).execute()
    expect(parts).toHaveLength(2)

    const summary = await sendDueNotices(t.app, t.app.sms?.transport as never)
    // 3 UCS-2 parts + 2 GSM-7 parts
    expect(summary).toMatchObject({ claimed: 2, submitted: 2, partsSubmitted: 5, failed: 0, unknown: 0 })
    await receiptsRecorded([km.noticeId, en.noticeId])

    const inbox = smsc.inbox(msisdn)
    expect(inbox.map((m) => m.text).sort()).toEqual(
      [renderNotice('inactivity_warning', 'km', params), renderNotice('inactivity_warning', 'en', params)].sort(),
    )
    expect(inbox.find((m) => m.dataCoding === 0x08)?.parts).toBe(3)
    expect(inbox.find((m) => m.dataCoding === 0x00)?.parts).toBe(2)
    expect(inbox.every((m) => m.from === 'numguard')).toBe(true)

    const evidence = await noticeEvidence(t.app.db, [km.noticeId, en.noticeId])
    expect(evidence.get(km.noticeId)).toMatchObject({ state: 'evidenced', partCount: 3, finalParts: 3, allFinal: true })
    expect(evidence.get(en.noticeId)).toMatchObject({ state: 'evidenced', partCount: 2, finalParts: 2, allFinal: true })
    // The simulator mixes decimal and hex ids between submit_sm_resp and receipts: every one still matched.
    const unmatched = await t.app.db.selectFrom('sms_receipts').select('id').where('part_id', 'is', null).execute()
    expect(unmatched).toHaveLength(0)
  })

  it('leaves a notice without evidence while receipts are dropped, and never resends it', async () => {
    const { msisdn } = await makeActiveNumber(t.app)
    smsc.setBehaviour({ dropReceipts: true })
    const { noticeId } = await queueTestNotice(t.app, { msisdn, template: 'notice', params: { text: 'Short one' } })
    await sendDueNotices(t.app, t.app.sms?.transport as never)
    smsc.setBehaviour({ dropReceipts: false })
    t.clock.advance(3 * 86_400_000)
    expect(await recoverInterruptedSends(t.app)).toMatchObject({ receiptsMissing: 1 })
    expect((await sendDueNotices(t.app, t.app.sms?.transport as never)).claimed).toBe(0)
    expect(smsc.inbox(msisdn)).toHaveLength(1)
    expect((await noticeEvidence(t.app.db, [noticeId])).get(noticeId)).toMatchObject({
      state: 'submitted',
      allFinal: false,
    })
  })

  it('stores a handset’s STATUS reply and answers it on the phone', async () => {
    const { msisdn } = await makeActiveNumber(t.app)
    await smsc.injectMo(msisdn, 'numguard', 'status') // resolves once numguard has acknowledged it
    const mo = await t.app.db
      .selectFrom('sms_mo_messages')
      .selectAll()
      .where('from_msisdn', '=', msisdn)
      .executeTakeFirstOrThrow()
    expect(mo).toMatchObject({ keyword: 'STATUS', outcome: 'status_sent', text_masked: 'status' })
    await sendDueNotices(t.app, t.app.sms?.transport as never)
    await receiptsRecorded([mo.reply_notice_id as string])
    const [answer] = smsc.inbox(msisdn)
    expect(answer.text).toContain(msisdn)
    expect(answer.text).toContain('សូមបញ្ចូលលុយមុនថ្ងៃ')
  })

  it('sends nothing while the SMSC refuses binds: notices wait queued', async () => {
    const { msisdn } = await makeActiveNumber(t.app)
    const transport = t.app.sms?.transport as NonNullable<typeof t.app.sms>['transport']
    const unbound = new Promise<void>((resolve) => transport.onStatus((s) => !s.bound && resolve()))
    smsc.setBehaviour({ refuseBinds: true })
    smsc.disconnectClients()
    await unbound
    const { noticeId } = await queueTestNotice(t.app, { msisdn, template: 'notice', params: { text: 'Waiting' } })
    expect(await sendDueNotices(t.app, transport)).toMatchObject({ notBound: true, claimed: 0 })
    expect((await noticeEvidence(t.app.db, [noticeId])).get(noticeId)?.state).toBe('queued')
    smsc.setBehaviour({ refuseBinds: false })
    await whenBound(transport, 30_000)
    expect(await sendDueNotices(t.app, transport)).toMatchObject({ submitted: 1 })
    await receiptsRecorded([noticeId])
    expect((await noticeEvidence(t.app.db, [noticeId])).get(noticeId)?.state).toBe('evidenced')
  })
})
