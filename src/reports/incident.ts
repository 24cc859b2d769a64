// The regulator's account of one case (issue 11, item 8): summary, SLA figures, numbers, the numbers' history from
// the audit log with each leaf's inclusion proof checked against the latest signed checkpoint, holds, restoration,
// compensation offers, findings and measures — each figure naming the rows it comes from and the leaves that
// recorded them, so every line can be checked against an audit export. Read-only.

import type { App } from '../app.ts'
import { type CaseFileEntry, caseFile } from '../cases/index.ts'
import { caseSla, type SlaClock } from '../domain/cases.ts'
import { NotFoundError } from '../domain/errors.ts'
import { caseRow, caseRows, staffNames } from './incident-queries.ts'

/** A leaf of the account's timeline: the case file's entry without the leaf's own fields. */
export type IncidentLeaf = Omit<CaseFileEntry, 'before' | 'after' | 'data'>

type Staff = { staff_id: string; username: string | null } | null
type Sla = SlaClock & { leaf: number | null; row: string | null }

const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null)

export async function incidentReport(app: App, caseRef: string) {
  const db = app.db
  const now = app.clock.now()
  const c = await caseRow(db, caseRef)
  if (!c) throw new NotFoundError('case', caseRef)
  const rows = await caseRows(db, c.id)
  const file = await caseFile(db, c.id)
  const leaves = file.entries
  const checkpoint = file.checkpoint

  const staff = await staffNames(db, [
    c.opened_by,
    ...(c.owner_id ? [c.owner_id] : []),
    ...(c.confirmed_by ? [c.confirmed_by] : []),
    ...rows.links.filter((l) => l.link_kind === 'staff').map((l) => l.ref_id),
    ...rows.holds.map((h) => h.placed_by),
    ...rows.offers.flatMap((o) => [o.offered_by, ...(o.recorded_by ? [o.recorded_by] : [])]),
    ...rows.measures.flatMap((m) => [m.recorded_by, ...(m.staff_id ? [m.staff_id] : [])]),
    ...rows.restorations.map((r) => r.requested_by),
  ])
  /** Rows in the order the log recorded them (rows written in one instant have no other order). */
  const inLogOrder = <T>(items: T[], leaf: (x: T) => number | null) =>
    items
      .map((x) => ({ x, i: leaf(x) ?? Number.MAX_SAFE_INTEGER }))
      .sort((a, b) => a.i - b.i)
      .map((e) => e.x)
  const who = (id: string | null): Staff => (id ? { staff_id: id, username: staff.get(id)?.username ?? null } : null)
  /** The first leaf of `action` whose fields match, by index. */
  const leafOf = (action: string, match: (l: CaseFileEntry) => boolean = () => true) =>
    leaves.find((l) => l.action === action && match(l))?.index ?? null
  const caseLeaves = leaves.filter((l) => l.data.case_id === c.id || l.after.case_id === c.id)

  const firstHold = rows.holds[0] ?? null
  const sla = caseSla(c, firstHold ? new Date(firstHold.placed_at) : null, now)
  const slaOf = (clock: SlaClock, leaf: number | null, row: string | null): Sla => ({ ...clock, leaf, row })
  const respondedLeaf = c.first_response_at
    ? (caseLeaves.find((l) => l.at === iso(c.first_response_at))?.index ?? null)
    : null
  const findingsLeaf = leafOf('case.findings_recorded', (l) => l.data.case_id === c.id)
  const measureOrder = leaves
    .filter((l) => l.action === 'case.findings_recorded')
    .flatMap((l) => (Array.isArray(l.data.measures) ? l.data.measures : []).map((x) => String(obj(x).id)))

  return {
    case: {
      id: c.id,
      reference: c.reference,
      kind: c.kind,
      category: c.category,
      status: c.status,
      market: c.market,
      description: c.description,
      opened_at: iso(c.opened_at),
      opened_by: who(c.opened_by),
      opened_in_shop: c.opened_in_shop,
      owner: who(c.owner_id),
      complainant: c.complainant_subscriber_id
        ? {
            subscriber_id: c.complainant_subscriber_id,
            custody_id: c.complainant_custody_id,
            method: c.complainant_method,
          }
        : null,
      confirmed_at: iso(c.confirmed_at),
      confirmed_by: who(c.confirmed_by),
      resolved_at: iso(c.resolved_at),
      closed_at: iso(c.closed_at),
      leaf: leafOf('case.opened', (l) => l.data.case_id === c.id),
    },
    sla: {
      hold: slaOf(
        sla.hold,
        firstHold ? leafOf('hold.placed', (l) => l.data.hold_id === firstHold.id) : null,
        firstHold?.id ?? null,
      ),
      first_response: slaOf(sla.first_response, respondedLeaf, c.id),
      resolution: slaOf(sla.resolution, findingsLeaf, c.id),
    },
    numbers: rows.numbers,
    timeline: leaves.map(({ before: _b, after: _a, data: _d, ...entry }): IncidentLeaf => entry),
    proofs: { ...file.counts, complete: file.complete },
    holds: inLogOrder(rows.holds, (h) => leafOf('hold.placed', (l) => l.data.hold_id === h.id)).map((h) => ({
      id: h.id,
      msisdn: h.msisdn,
      placed_at: iso(h.placed_at),
      placed_by: who(h.placed_by),
      reason: h.reason,
      released_at: iso(h.released_at),
      release_request_id: h.release_request_id,
      leaves: {
        placed: leafOf('hold.placed', (l) => l.data.hold_id === h.id),
        released: leafOf('hold.released', (l) => l.before.hold_id === h.id),
      },
    })),
    restorations: rows.restorations.map((r) => ({
      request_id: r.request_id,
      msisdn: r.msisdn,
      status: r.status,
      requested_by: who(r.requested_by),
      requested_at: iso(r.requested_at),
      executed_at: iso(r.executed_at),
      wrongful_custody_id: r.wrongful_custody_id,
      rightful_custody_id: r.rightful_custody_id,
      leaves: leaves.filter((l) => l.request_id === r.request_id).map((l) => l.index),
    })),
    compensation_offers: inLogOrder(rows.offers, (o) =>
      leafOf('compensation.offered', (l) => l.data.offer_id === o.id),
    ).map((o) => ({
      id: o.id,
      kind: o.kind,
      amount: o.amount,
      currency: o.currency,
      credit: o.credit,
      offered_by: who(o.offered_by),
      offered_at: iso(o.offered_at),
      response: o.response,
      responded_at: iso(o.responded_at),
      leaves: {
        offered: leafOf('compensation.offered', (l) => l.data.offer_id === o.id),
        responded: leafOf('compensation.responded', (l) => l.data.offer_id === o.id),
      },
    })),
    findings: {
      conclusion: c.conclusion,
      text: c.findings,
      resolved_at: iso(c.resolved_at),
      leaf: findingsLeaf,
      staff: rows.links
        .filter((l) => l.link_kind === 'staff')
        .map((l) => ({
          staff_id: l.ref_id,
          username: staff.get(l.ref_id)?.username ?? null,
          status: staff.get(l.ref_id)?.status ?? null,
          note: l.note,
        })),
    },
    measures: inLogOrder(rows.measures, (m) => (measureOrder.includes(m.id) ? measureOrder.indexOf(m.id) : null)).map(
      (m) => ({
        id: m.id,
        kind: m.kind,
        staff: who(m.staff_id),
        description: m.description,
        recorded_by: who(m.recorded_by),
        recorded_at: iso(m.recorded_at),
        leaf: leafOf('case.findings_recorded', (l) =>
          (Array.isArray(l.data.measures) ? l.data.measures : []).some((x) => obj(x).id === m.id),
        ),
      }),
    ),
    checkpoint: checkpoint
      ? {
          size: checkpoint.size,
          signed_at: checkpoint.signed_at.toISOString(),
          root: checkpoint.root.toString('base64'),
          note: checkpoint.note,
        }
      : null,
    generated_at: now.toISOString(),
  }
}

export type IncidentReport = Awaited<ReturnType<typeof incidentReport>>
