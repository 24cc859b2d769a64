// What the API shows of a case: its row, numbers, links, holds, requests, restorations, offers, measures and its
// three service-level clocks. Cases are read by compliance officers and auditors (view_cases).
import type { Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import { caseSla } from '../domain/cases.ts'
import {
  type CaseRow,
  caseHolds,
  caseLinks,
  caseMeasures,
  caseNumbers,
  caseRequests,
  caseRestorations,
  compensationOffers,
  firstHoldTimes,
} from './queries.ts'

export function presentCaseSummary(c: CaseRow, firstHoldAt: Date | null, now: Date) {
  return {
    id: c.id,
    reference: c.reference,
    kind: c.kind,
    category: c.category,
    status: c.status,
    market: c.market,
    opened_at: c.opened_at,
    opened_by: c.opened_by,
    opened_in_shop: c.opened_in_shop,
    owner_id: c.owner_id,
    confirmed_at: c.confirmed_at,
    sla: caseSla(c, firstHoldAt, now),
  }
}

export async function presentCases(db: Kysely<DB>, rows: CaseRow[], now: Date) {
  const holds = await firstHoldTimes(
    db,
    rows.map((r) => r.id),
  )
  return rows.map((c) => presentCaseSummary(c, holds.get(c.id) ?? null, now))
}

export async function presentCase(db: Kysely<DB>, c: CaseRow, now: Date) {
  const [numbers, links, holds, requests, restorations, offers, measures] = await Promise.all([
    caseNumbers(db, c.id),
    caseLinks(db, c.id),
    caseHolds(db, c.id),
    caseRequests(db, c.id),
    caseRestorations(db, c.id),
    compensationOffers(db, c.id),
    caseMeasures(db, c.id),
  ])
  const firstHold = holds[0]?.placed_at ?? null
  return {
    ...presentCaseSummary(c, firstHold, now),
    description: c.description,
    complainant:
      c.kind === 'complaint'
        ? {
            subscriber_id: c.complainant_subscriber_id,
            custody_id: c.complainant_custody_id,
            method: c.complainant_method,
            contact: c.complainant_contact,
          }
        : null,
    confirmed_by: c.confirmed_by,
    first_response_at: c.first_response_at,
    resolved_at: c.resolved_at,
    closed_at: c.closed_at,
    conclusion: c.conclusion,
    findings: c.findings,
    numbers,
    links: links.map((l) => ({
      kind: l.link_kind,
      ref_id: l.ref_id,
      note: l.note,
      linked_by: l.linked_by,
      linked_at: l.linked_at,
    })),
    holds: holds.map((h) => ({
      id: h.id,
      msisdn: h.msisdn,
      placed_by: h.placed_by,
      placed_at: h.placed_at,
      minutes_after_complaint: Math.round((h.placed_at.getTime() - c.opened_at.getTime()) / 60_000),
      reason: h.reason,
      active: h.released_at === null,
      released_at: h.released_at,
      release_request_id: h.release_request_id,
    })),
    requests,
    restorations,
    compensation_offers: offers.map((o) => ({
      id: o.id,
      kind: o.kind,
      amount: o.amount,
      currency: o.currency,
      credit: o.credit,
      offered_by: o.offered_by,
      offered_at: o.offered_at,
      response: o.response,
      responded_at: o.responded_at,
    })),
    measures,
  }
}
