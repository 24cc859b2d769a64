// What leaves the server about SMS: bodies only as stored (codes masked), alternate contacts masked, no sealed
// secrets, receipts without the SMSC's copy of the text.
import type { numberMoMessages, numberNotices } from './queries.ts'

type Listing = Awaited<ReturnType<typeof numberNotices>>
type Mo = Awaited<ReturnType<typeof numberMoMessages>>[number]

function maskAddress(address: string): string {
  return address.length <= 3 ? '***' : `${'*'.repeat(address.length - 3)}${address.slice(-3)}`
}

export function presentNotices({ notices, parts, receipts }: Listing) {
  return notices.map((n) => {
    const own = parts.filter((p) => p.notice_id === n.id)
    const alternate = n.to_address !== n.msisdn
    return {
      id: n.id,
      msisdn: n.msisdn,
      to: alternate ? maskAddress(n.to_address) : n.to_address,
      to_alternate_contact: alternate,
      purpose: n.purpose,
      dedupe_key: n.dedupe_key,
      custody_id: n.custody_id,
      language: n.language,
      template: n.template,
      body: n.body_masked,
      priority: n.priority,
      state: n.state,
      state_reason: n.state_reason,
      evidence: n.state === 'evidenced',
      not_before: n.not_before,
      expires_at: n.expires_at,
      attempts: n.attempts,
      part_count: n.part_count,
      created_at: n.created_at,
      submitted_at: n.submitted_at,
      last_final_at: n.last_final_at,
      evidenced_at: n.evidenced_at,
      parts: own.map((p) => ({
        id: p.id,
        index: p.part_index,
        count: p.part_count,
        attempt: p.attempt,
        state: p.state,
        data_coding: p.data_coding,
        message_id: p.message_id,
        submitting_at: p.submitting_at,
        submitted_at: p.submitted_at,
        error: p.error,
        receipt_state: p.receipt_state,
        receipt_at: p.receipt_at,
        receipts: receipts
          .filter((r) => r.part_id === p.id)
          .map((r) => ({
            id: r.id,
            message_id: r.message_id,
            state: r.state,
            final: r.final,
            error: r.error,
            done_at: r.done_at,
            received_at: r.received_at,
          })),
      })),
    }
  })
}

export function presentMo(m: Mo) {
  return {
    id: m.id,
    from: m.from_msisdn,
    to: m.to_address,
    text: m.text_masked,
    keyword: m.keyword,
    received_at: m.received_at,
    routed_to: m.routed_to,
    outcome: m.outcome,
    handled_at: m.handled_at,
    reply_notice_id: m.reply_notice_id,
  }
}

type PresentedNotice = ReturnType<typeof presentNotices>[number]

/**
 * A notice outside the caller's view of the account (invariant 10: an agent without a customer session for the
 * holder it was sent to): what was sent when and whether it is evidence stay; its text, where it went, the
 * holder's language and the custody it belongs to do not.
 */
export function withholdNotice(n: PresentedNotice) {
  return {
    ...n,
    to: n.to_alternate_contact ? null : n.to,
    body: null,
    language: null,
    dedupe_key: null,
    custody_id: null,
    withheld: true,
  }
}

/** A reply from the number outside the caller's view: when it came, not what it said or what it did. */
export function withholdMo(m: ReturnType<typeof presentMo>) {
  return { ...m, text: null, keyword: null, outcome: null, routed_to: null, reply_notice_id: null, withheld: true }
}
