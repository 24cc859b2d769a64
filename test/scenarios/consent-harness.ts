// Shared pieces of the consent and change scenarios: an app with the embedded SMSC simulator, the holder's phone
// (what it received, replying from it), and filing requests over HTTP as a staff member.
import { expect } from 'vitest'
import { whenBound } from '../../src/sms/runtime.ts'
import { sendDueNotices } from '../../src/sms/sender.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import type { TestStaff } from '../helpers/factories.ts'

export const HOUR = 3_600_000

export async function openConsentApp(): Promise<TestApp> {
  const t = await openTestApp({}, { sms: 'simulator' })
  await whenBound(t.app.sms?.transport as NonNullable<typeof t.app.sms>['transport'])
  return t
}

function smsc(t: TestApp) {
  const s = t.app.sms?.smsc
  if (!s) throw new Error('expected the embedded SMSC simulator')
  return s
}

/** Sends what is due and returns every text the phone (or alternate contact) has received so far. */
export async function phone(t: TestApp, msisdn: string): Promise<string[]> {
  await sendDueNotices(t.app, t.app.sms?.transport as never)
  return smsc(t)
    .inbox(msisdn)
    .map((m) => m.text)
}

/** The latest consent code the phone received. */
export async function codeOnPhone(t: TestApp, msisdn: string): Promise<string> {
  const texts = await phone(t, msisdn)
  const codes = texts.flatMap((text) => [...text.matchAll(/YES (\d{6})/g)].map((m) => m[1]))
  expect(codes.length, `no consent code on ${msisdn}: ${texts.join(' | ')}`).toBeGreaterThan(0)
  return codes[codes.length - 1]
}

/** The holder texts numguard from their phone; resolves once numguard has stored and handled it. */
export async function reply(t: TestApp, msisdn: string, text: string) {
  const mine = () => t.app.db.selectFrom('sms_mo_messages').selectAll().where('from_msisdn', '=', msisdn).execute()
  const before = new Set((await mine()).map((m) => m.id))
  await smsc(t).injectMo(msisdn, 'numguard', text)
  const fresh = (await mine()).filter((m) => !before.has(m.id))
  expect(fresh).toHaveLength(1)
  return fresh[0]
}

export function http(t: TestApp) {
  const auth = (s: TestStaff) => ({ authorization: `Bearer ${s.token}` })
  return {
    post: (who: TestStaff, url: string, payload: unknown = {}) =>
      t.server.inject({ method: 'POST', url, headers: auth(who), payload: payload as Record<string, unknown> }),
    get: (who: TestStaff, url: string) => t.server.inject({ method: 'GET', url, headers: auth(who) }),
  }
}

export const num = (msisdn: string) => `/api/v1/numbers/${encodeURIComponent(msisdn)}`

export async function alertsFor(t: TestApp, msisdn: string | null, kind: string) {
  let q = t.app.db.selectFrom('alerts').selectAll().where('kind', '=', kind)
  if (msisdn) q = q.where('msisdn', '=', msisdn)
  return q.orderBy('raised_at').execute()
}
