import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { makeActiveNumber } from '../../test/helpers/factories.ts'
import { FakeTransport } from '../../test/helpers/sms.ts'
import { ConflictError } from '../domain/errors.ts'
import { type ParsedMo, recordMo, registerMoHandler } from './index.ts'

let t: TestApp
const fake = new FakeTransport()
beforeAll(async () => {
  t = await openTestApp({}, { sms: { transport: fake } })
})
afterAll(() => t.close())

async function mo(id: string) {
  return t.app.db.selectFrom('sms_mo_messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
}
async function reply(noticeId: string | null) {
  if (!noticeId) return undefined
  return t.app.db.selectFrom('sms_notices').selectAll().where('id', '=', noticeId).executeTakeFirstOrThrow()
}

describe('MO messages', () => {
  it('stores YES <code> masked, hands the code to the registered handler, and queues its reply', async () => {
    const seen: ParsedMo[] = []
    registerMoHandler(
      'YES',
      async (_app, message, parsed) => {
        seen.push(parsed)
        expect(message.text).toBe('yes 482 913')
        return {
          outcome: 'consent_recorded',
          reply: { template: 'notice', params: { text: 'Thank you.' }, language: 'en' },
        }
      },
      'consent',
    )
    const out = await recordMo(t.app, {
      from: '+85512777001',
      to: 'numguard',
      text: 'yes 482 913',
      receivedAt: new Date(),
    })
    expect(seen).toEqual([{ keyword: 'YES', code: '482913', rest: '482 913' }])
    expect(await mo(out.moId)).toMatchObject({
      from_msisdn: '+85512777001',
      text_masked: 'yes *** ***',
      keyword: 'YES',
      routed_to: 'consent',
      outcome: 'consent_recorded',
      reply_notice_id: out.replyNoticeId,
    })
    expect(await reply(out.replyNoticeId)).toMatchObject({
      to_address: '+85512777001',
      priority: 'otp',
      purpose: 'mo_reply',
      body_masked: 'Thank you.',
      respect_send_window: false,
    })
    const audit = await t.app.db.selectFrom('audit_records').select(['action', 'envelope']).execute()
    expect(JSON.stringify(audit)).not.toContain('482 913')
    expect(JSON.stringify(audit)).not.toContain('482913')
    expect(audit.filter((a) => JSON.stringify(a.envelope).includes(out.moId)).map((a) => a.action)).toEqual([
      'sms.mo_received',
      'sms.notice_queued', // the reply, keyed mo-reply:<mo id>
      'sms.mo_handled',
    ])
  })

  it('answers an unknown keyword, and routes LOCK to the SIM-swap lock', async () => {
    const unknown = await recordMo(t.app, {
      from: '+85512777002',
      to: 'numguard',
      text: 'hello',
      receivedAt: new Date(),
    })
    expect(unknown).toMatchObject({ keyword: null, outcome: 'unknown_keyword', routedTo: null })
    expect((await reply(unknown.replyNoticeId))?.template).toBe('mo_unknown_keyword')
    // LOCK is handled by src/changes (registered with the routes): from a number nobody holds, there is no lock.
    const lock = await recordMo(t.app, { from: '+85512777002', to: 'numguard', text: 'LOCK', receivedAt: new Date() })
    expect(lock).toMatchObject({ keyword: 'LOCK', routedTo: 'sim_swap_lock', outcome: 'number_not_held' })
    expect((await reply(lock.replyNoticeId))?.template).toBe('status_unknown')
  })

  it('answers a keyword nobody handles', async () => {
    // Every keyword has a handler once the app is assembled: a fresh copy of the MO module has none registered.
    vi.resetModules()
    const fresh = await import('./mo.ts')
    const lock = await fresh.recordMo(t.app, {
      from: '+85512777004',
      to: 'numguard',
      text: 'LOCK',
      receivedAt: new Date(),
    })
    expect(lock).toMatchObject({ keyword: 'LOCK', routedTo: null, outcome: 'no_handler' })
    expect((await reply(lock.replyNoticeId))?.body_masked).toContain('មិនមានសំណើ') // Khmer by default
  })

  it('records a handler refusal as the outcome, and a handler bug without losing the message', async () => {
    registerMoHandler('NO', async () => {
      throw new ConflictError('nothing_pending', 'no pending request on this number')
    })
    const refused = await recordMo(t.app, { from: '+85512777003', to: 'numguard', text: 'No', receivedAt: new Date() })
    expect(await mo(refused.moId)).toMatchObject({ outcome: 'nothing_pending', routed_to: 'no' })
    registerMoHandler('UNLOCK', async () => {
      throw new TypeError('bug')
    })
    const broken = await recordMo(t.app, {
      from: '+85512777003',
      to: 'numguard',
      text: 'unlock',
      receivedAt: new Date(),
    })
    expect(await mo(broken.moId)).toMatchObject({ outcome: 'handler_failed', keyword: 'UNLOCK' })
    expect((await reply(broken.replyNoticeId))?.template).toBe('mo_error')
  })

  it('answers STATUS with the number state and the date to top up by, in the holder language', async () => {
    const { msisdn } = await makeActiveNumber(t.app)
    // Through the transport, as the SMSC delivers it.
    await fake.mo(msisdn, 'status')
    const row = await t.app.db
      .selectFrom('sms_mo_messages')
      .selectAll()
      .where('from_msisdn', '=', msisdn)
      .executeTakeFirstOrThrow()
    expect(row).toMatchObject({ keyword: 'STATUS', routed_to: 'status', outcome: 'status_sent' })
    const answer = await reply(row.reply_notice_id)
    // Sold at 2026-03-02 (Phnom Penh): withdrawal on day 90 is 31 May 2026.
    expect(answer?.template).toBe('status_active')
    expect(answer?.body_masked).toBe(`លេខ ${msisdn} របស់អ្នកកំពុងដំណើរការ។ សូមបញ្ចូលលុយមុនថ្ងៃ ៣១ ឧសភា ២០២៦ ដើម្បីរក្សាលេខរបស់អ្នក។`)
    expect(answer?.custody_id).not.toBeNull()

    const stranger = await recordMo(t.app, {
      from: '+85512777999',
      to: 'numguard',
      text: 'STATUS',
      receivedAt: new Date(),
    })
    expect((await reply(stranger.replyNoticeId))?.template).toBe('status_unknown')
  })
})
