// Parallel attempts on PostgreSQL (PGlite has one connection, so races cannot happen there): guesses sent at once
// are counted one after another, so the lockout comes after exactly 5 failures whatever the timing; a code opens one
// session however many times it is typed at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeSms } from '../../src/sms/encoding.ts'
import { sendDueNotices } from '../../src/sms/sender.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { makeActiveNumber, makeStaff } from '../helpers/factories.ts'
import { FakeTransport } from '../helpers/sms.ts'
import { auth } from './support.ts'

let t: TestApp
const transport = new FakeTransport()

beforeAll(async () => {
  t = await openTestApp({}, { sms: { transport } })
})
afterAll(() => t.close())

describe('customer authentication under concurrency (PostgreSQL)', () => {
  it('counts 12 simultaneous wrong documents as 5 failures, one lock, and 7 refusals while locked', async () => {
    const { msisdn } = await makeActiveNumber(t.app)
    const agent = await makeStaff(t.app, ['agent'])
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        t.server.inject({
          method: 'POST',
          url: '/api/v1/customer-sessions',
          headers: auth(agent.token),
          payload: { msisdn, method: 'id_document', document: `GUESS${i}` },
        }),
      ),
    )
    const codes = answers.map((a) => a.json().code).sort()
    expect(codes).toEqual([...Array(5).fill('customer_auth_failed'), ...Array(7).fill('customer_auth_locked')])
    const failures = await t.app.db
      .selectFrom('customer_auth_failures')
      .select('id')
      .where('staff_id', '=', agent.id)
      .execute()
    expect(failures).toHaveLength(5)
    const locks = await t.app.db
      .selectFrom('customer_auth_locks')
      .select('id')
      .where('staff_id', '=', agent.id)
      .execute()
    expect(locks).toHaveLength(1)
  })

  it('opens one session when the right code is typed 6 times at once', async () => {
    const { msisdn } = await makeActiveNumber(t.app)
    const agent = await makeStaff(t.app, ['agent'])
    const sent = await t.server.inject({
      method: 'POST',
      url: '/api/v1/customer-sessions',
      headers: auth(agent.token),
      payload: { msisdn, method: 'sms_code' },
    })
    await sendDueNotices(t.app, transport)
    const text = transport.submitted
      .filter((s) => s.to === msisdn)
      .map(({ part }) => decodeSms(part.dataCoding, part.shortMessage, (part.esmClass & 0x40) !== 0).text)
      .join('')
    const code = /\b(\d{6})\b/.exec(text)?.[1] as string
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        t.server.inject({
          method: 'POST',
          url: `/api/v1/customer-sessions/${sent.json().id}/verify`,
          headers: auth(agent.token),
          payload: { code },
        }),
      ),
    )
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409, 409, 409, 409, 409])
    const opened = await t.app.db
      .selectFrom('audit_records')
      .select('event_id')
      .where('action', '=', 'customer_session.opened')
      .where('msisdn', '=', msisdn)
      .execute()
    expect(opened).toHaveLength(1)
  })
})
