import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { makeActiveNumber, makeStaff, type TestStaff } from '../../test/helpers/factories.ts'
import { FakeTransport, queueTestNotice } from '../../test/helpers/sms.ts'
import { recordMo } from '../sms/mo.ts'
import { sendDueNotices } from '../sms/sender.ts'

let t: TestApp
let auditor: TestStaff
let msisdn: string
const fake = new FakeTransport()
const auth = (s: TestStaff) => ({ authorization: `Bearer ${s.token}` })

beforeAll(async () => {
  t = await openTestApp({}, { sms: { transport: fake } })
  auditor = await makeStaff(t.app, ['auditor'])
  ;({ msisdn } = await makeActiveNumber(t.app))
  await queueTestNotice(t.app, {
    msisdn,
    params: { msisdn, daysLeft: 30, withdrawalDate: '2026-06-01' },
    language: 'km',
    dedupeKey: `warning:${msisdn}:1:1`,
  })
  await queueTestNotice(t.app, {
    msisdn,
    to: '+85597123456',
    purpose: 'reclaim_request',
    template: 'one_time_code',
    params: { action: 'a reclaim' },
    secrets: { values: { code: '909090' }, key: t.app.config.kycKey },
    priority: 'otp',
  })
  await sendDueNotices(t.app, fake)
  for (const s of fake.submitted.filter((p) => p.to === msisdn)) await fake.receipt(s.messageId)
  await recordMo(t.app, { from: msisdn, to: 'numguard', text: 'YES 909090', receivedAt: new Date() })
})
afterAll(() => t.close())

describe('GET /api/v1/numbers/:msisdn/notices', () => {
  it('lists a number’s notices with parts, receipts and evidence, codes and alternate contacts masked', async () => {
    const res = await t.server.inject({
      url: `/api/v1/numbers/${encodeURIComponent(msisdn)}/notices`,
      headers: auth(auditor),
    })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.msisdn).toBe(msisdn)
    const warning = body.notices.find((n: { purpose: string }) => n.purpose === 'inactivity_warning')
    expect(warning).toMatchObject({ state: 'evidenced', evidence: true, to: msisdn, to_alternate_contact: false })
    expect(warning.parts.length).toBe(warning.part_count)
    expect(
      warning.parts.every(
        (p: { state: string; receipts: unknown[] }) => p.state === 'final' && p.receipts.length === 1,
      ),
    ).toBe(true)
    const code = body.notices.find((n: { purpose: string }) => n.purpose === 'reclaim_request')
    expect(code).toMatchObject({ to: '*********456', to_alternate_contact: true, state: 'submitted', evidence: false })
    expect(res.body).not.toContain('909090')
    expect(res.body).not.toContain('97123456')
    expect(res.body).not.toContain('sealed')
    // YES goes to the consent handler (src/changes); the code above was sent outside any request, so that handler
    // finds no consent pending for it — and the code itself never comes back, masked as it was stored.
    expect(body.replies).toMatchObject([
      { from: msisdn, text: 'YES ******', keyword: 'YES', outcome: 'nothing_pending' },
    ])
  })

  it('answers 401 without a session, 403 to a role without view_numbers, 404 and 400 for bad numbers', async () => {
    const url = `/api/v1/numbers/${encodeURIComponent(msisdn)}/notices`
    expect((await t.server.inject({ url })).statusCode).toBe(401)
    const admin = await makeStaff(t.app, ['admin'])
    expect((await t.server.inject({ url, headers: auth(admin) })).statusCode).toBe(403)
    const missing = await t.server.inject({ url: '/api/v1/numbers/+85512999999/notices', headers: auth(auditor) })
    expect(missing.statusCode).toBe(404)
    const bad = await t.server.inject({ url: '/api/v1/numbers/abc/notices', headers: auth(auditor) })
    expect(bad.statusCode).toBe(400)
    const limit = await t.server.inject({ url: `${url}?limit=0`, headers: auth(auditor) })
    expect(limit.json()).toMatchObject({ code: 'invalid_input' })
  })
})
