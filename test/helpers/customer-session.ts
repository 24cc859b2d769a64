// Authenticating a holder the way an agent does before filing a change on their number or seeing their SIM
// (invariant 10, issue 9 item 9): a customer session opened on the holder's ID document.
import type { FastifyInstance } from 'fastify'
import { expect } from 'vitest'
import type { App } from '../../src/app.ts'
import { sendDueNotices } from '../../src/sms/sender.ts'
import type { SmsTransport } from '../../src/sms/transport.ts'
import { makeActiveNumber, type TestStaff } from './factories.ts'

export interface OpenedCustomerSession {
  id: string
  expires_at: string
}

/** Opens a customer session for the holder of `msisdn` on the document they present; fails the test otherwise. */
export async function openCustomerSession(
  server: FastifyInstance,
  agent: Pick<TestStaff, 'token'>,
  msisdn: string,
  document: string,
): Promise<OpenedCustomerSession> {
  const res = await server.inject({
    method: 'POST',
    url: '/api/v1/customer-sessions',
    headers: { authorization: `Bearer ${agent.token}` },
    payload: { msisdn, method: 'id_document', document },
  })
  expect(res.statusCode, `customer session on ${msisdn}: ${res.body}`).toBe(200)
  expect(res.json().state).toBe('open')
  return res.json() as OpenedCustomerSession
}

/** An active number sold by `agent`, whose holder that agent then authenticated on their ID document. */
export async function makeAuthenticatedNumber(t: { app: App; server: FastifyInstance }, agent: TestStaff) {
  const held = await makeActiveNumber(t.app, { agent })
  const customerSession = await openCustomerSession(t.server, agent, held.msisdn, held.subscriber.kyc_doc_number)
  return { ...held, customerSession }
}

/** How many texts the phone of `msisdn` holds now: pass it to `sessionCodeOnPhone` before asking for a code. */
export function textsOnPhone(app: App, msisdn: string): number {
  return app.sms?.smsc?.inbox(msisdn).length ?? 0
}

/**
 * The code of the customer-session text (en or km) that reached the phone of `msisdn` after its first `earlier`
 * texts, waiting for it to be sent. The text also names the staff member, the place and the number, any of which
 * may hold six digits, so only the digits after "Your code" count.
 */
export async function sessionCodeOnPhone(app: App, msisdn: string, earlier: number): Promise<string> {
  const smsc = app.sms?.smsc
  if (!smsc) throw new Error('expected the embedded SMSC simulator')
  let code: string | undefined
  await expect
    .poll(
      async () => {
        await sendDueNotices(app, app.sms?.transport as SmsTransport)
        const fresh = smsc
          .inbox(msisdn)
          .slice(earlier)
          .map((m) => m.text)
        code = fresh.join('\n').match(/(?:Your code|លេខកូដ) (\d{6}) /)?.[1]
        return code
      },
      { timeout: 60_000, interval: 200 },
    )
    .toMatch(/^\d{6}$/)
  return code as string
}
