// A number's story through numguard's lawful paths on the recycling harness (its SMSC simulator, injected clock):
// sold, its SIM swapped with the holder's YES, then — past the swap-cooling window — transferred to a new holder with
// both holders' consent, an approval by a supervisor of another shop and the 24-hour wait. For the reconciliation
// and offline-history tests (issue 10, item 4), which compare what the leaves alone say with the tables.
import { expect } from 'vitest'
import { executeDueRequests } from '../../src/changes/due.ts'
import { recordMo } from '../../src/sms/mo.ts'
import { openCustomerSession } from '../helpers/customer-session.ts'
import { makeActiveNumber, makeSims, makeStaff, newSubscriber, type TestStaff } from '../helpers/factories.ts'
import { signInAgain } from '../helpers/reclaim-fixtures.ts'
import type { Harness } from './recycling-harness.ts'

const auth = (s: TestStaff) => ({ authorization: `Bearer ${s.token}` })
export const post = (h: Harness, who: TestStaff, url: string, payload: Record<string, unknown> = {}) =>
  h.t.server.inject({ method: 'POST', url, headers: auth(who), payload })
export const num = (msisdn: string) => `/api/v1/numbers/${encodeURIComponent(msisdn)}`

/** The holder replies `YES <code>` from the number with the latest code it received (as the SMSC would deliver it). */
async function holderSaysYes(h: Harness, msisdn: string): Promise<void> {
  await h.sendAndSettle()
  const codes = h.sim.inbox(msisdn).flatMap((m) => [...m.text.matchAll(/YES (\d{6})/g)].map((x) => x[1]))
  expect(codes.length, `no consent code on ${msisdn}`).toBeGreaterThan(0)
  const mo = await recordMo(h.t.app, {
    from: msisdn,
    to: 'numguard',
    text: `YES ${codes[codes.length - 1]}`,
    receivedAt: h.t.clock.now(),
  })
  expect(mo.outcome).toBe('consent_recorded')
}

export interface Story {
  msisdn: string
  soldTo: string
  /** The first holder's ID document number (their KYC). */
  soldDoc: string
  soldIccid: string
  swappedIccid: string
  transferredIccid: string
  transferredTo: string
}

/** Sells a number now, swaps its SIM on the holder's YES on day `swapDay`, transfers it on day `swapDay + 31`. */
export async function soldSwappedTransferred(h: Harness, supervisor: TestStaff, swapDay = 1): Promise<Story> {
  const sold = await makeActiveNumber(h.t.app, { agent: h.agent })
  const doc = sold.subscriber.kyc_doc_number
  const [swappedIccid, transferredIccid] = await makeSims(h.t.app, h.agent.shopId as string, 2)

  h.at(swapDay, '10:00')
  await signInAgain(h.t.app, h.agent, supervisor)
  await openCustomerSession(h.t.server, h.agent, sold.msisdn, doc)
  const swap = await post(h, h.agent, `${num(sold.msisdn)}/sim-swap`, { iccid: swappedIccid })
  expect(swap.statusCode, swap.body).toBe(200)
  await holderSaysYes(h, sold.msisdn)

  h.at(swapDay + 31, '10:00')
  await signInAgain(h.t.app, h.agent, supervisor)
  await openCustomerSession(h.t.server, h.agent, sold.msisdn, doc)
  const filed = await post(h, h.agent, `${num(sold.msisdn)}/transfer`, {
    iccid: transferredIccid,
    new_subscriber: newSubscriber(),
  })
  expect(filed.statusCode, filed.body).toBe(200)
  const request = filed.json()
  await holderSaysYes(h, sold.msisdn)
  const approved = await post(h, supervisor, `/api/v1/requests/${request.id}/approve`, {
    payload_sha256: request.payload_sha256,
  })
  expect(approved.statusCode, approved.body).toBe(200)
  h.at(swapDay + 32, '10:00')
  expect(await executeDueRequests(h.t.app)).toEqual({ executed: 1, failed: 0 })
  return {
    msisdn: sold.msisdn,
    soldTo: sold.sale.subscriber_id,
    soldDoc: doc,
    soldIccid: sold.iccid,
    swappedIccid,
    transferredIccid,
    transferredTo: request.payload.to_subscriber_id,
  }
}

/** Another supervisor, of their own shop (so of another shop than the harness agent's): the approver. */
export const otherShopSupervisor = (h: Harness) => makeStaff(h.t.app, ['supervisor'])
