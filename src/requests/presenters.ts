import type { Kysely } from 'kysely'
import { can } from '../access/index.ts'
import type { DB } from '../db/types.ts'
import type { Actor } from '../domain/actor.ts'
import { REQUEST_TABLE } from '../domain/requests.ts'
import { executorFor } from './executors.ts'
import type { RequestAbilities } from './policies.ts'
import {
  type ApprovalRecord,
  type RequesterRecord,
  type RequestRecord,
  requestApprovals,
  requesterRecords,
  type StaffFacts,
  staffByIds,
} from './queries.ts'
import { type PayloadWithheld, withheldPayloads } from './visibility.ts'

function person(staff: Map<string, StaffFacts>, id: string | null) {
  if (!id) return null
  const s = staff.get(id)
  return { id, username: s?.username ?? null, display_name: s?.display_name ?? null, shop_id: s?.shop_id ?? null }
}

/** An open request past its expiry reads as expired even before anything has marked it so. */
export function effectiveStatus(r: RequestRecord, now: Date): string {
  return (r.status === 'pending' || r.status === 'approved') && new Date(r.expires_at) <= now ? 'expired' : r.status
}

export function requestAbilities(
  r: RequestRecord,
  actor: Actor | undefined,
  now: Date,
): RequestAbilities & { cancel: boolean } {
  const status = effectiveStatus(r, now)
  const me = actor?.kind === 'staff' ? actor.staffId : null
  const decide = status === 'pending' && me !== null && me === r.assigned_to && can(actor, 'decide_requests')
  const waited = !r.not_before || new Date(r.not_before) <= now
  return {
    approve: decide,
    reject: decide,
    execute: status === 'approved' && me === r.requested_by && waited && executorFor(r.kind) !== undefined,
    cancel: (status === 'pending' || status === 'approved') && me === r.requested_by,
  }
}

export function presentRequest(
  r: RequestRecord,
  context: {
    staff: Map<string, StaffFacts>
    approvals: ApprovalRecord[]
    actor: Actor | undefined
    now: Date
    /** Why the caller may not read the payload (src/requests/visibility.ts); null or absent: they may. */
    withheld?: PayloadWithheld | null
    /** The requester's recent swaps and refusals, shown on a lost-SIM swap to whoever decides it. */
    requesterRecord?: RequesterRecord | null
  },
) {
  const rule = REQUEST_TABLE[r.kind]
  const withheld = context.withheld ?? null
  return {
    id: r.id,
    kind: r.kind,
    kind_label: rule.label,
    msisdn: r.msisdn,
    status: effectiveStatus(r, context.now),
    // Withheld: null, with why and whether verifying the customer would show it; the hash stays (it names nobody).
    payload: withheld ? null : r.payload,
    payload_withheld: withheld,
    payload_sha256: r.payload_sha256,
    requested_by: person(context.staff, r.requested_by),
    requester_record: context.requesterRecord ?? null,
    requested_at: r.requested_at,
    expires_at: r.expires_at,
    not_before: r.not_before,
    decided_at: r.decided_at,
    executed_at: r.executed_at,
    assigned_to: person(context.staff, r.assigned_to),
    approvals: context.approvals
      .filter((a) => a.request_id === r.id)
      .map((a) => ({
        approver: person(context.staff, a.approver_id),
        decision: a.decision,
        payload_sha256: a.payload_sha256,
        decided_at: a.decided_at,
        voided_at: a.voided_at,
      })),
    outcome: withheld ? null : r.outcome,
    rule: {
      approver_role: rule.approverRole,
      approver_other_shop: rule.approverOtherShop,
      consents: rule.consents,
      notice_at_request: rule.noticeAtRequest,
      wait_hours: rule.waitHours,
    },
    abilities: requestAbilities(r, context.actor, context.now),
  }
}

export type PresentedRequest = ReturnType<typeof presentRequest>

/**
 * How far back the approver of a lost-SIM swap sees its requester's swaps and refusals: the swap cooling window
 * (DOMAIN), the time in which a pair of staff would follow a swap with the transfer it was for.
 */
export const REQUESTER_RECORD_DAYS = 30

/** Requests as the caller sees them: people named, approvals listed, payloads as far as invariant 10 allows. */
export async function presentRequests(db: Kysely<DB>, rows: RequestRecord[], actor: Actor | undefined, now: Date) {
  const [approvals, withheld] = await Promise.all([
    requestApprovals(
      db,
      rows.map((r) => r.id),
    ),
    withheldPayloads(db, actor, rows, now),
  ])
  const ids = rows
    .flatMap((r) => [r.requested_by, r.assigned_to ?? r.requested_by])
    .concat(approvals.map((a) => a.approver_id))
  const lostSwaps = rows.filter((r) => r.kind === 'sim_swap_lost')
  const [staff, records] = await Promise.all([
    staffByIds(db, ids),
    requesterRecords(
      db,
      lostSwaps.map((r) => r.requested_by),
      new Date(now.getTime() - REQUESTER_RECORD_DAYS * 86_400_000),
    ),
  ])
  return rows.map((r) =>
    presentRequest(r, {
      staff,
      approvals,
      actor,
      now,
      withheld: withheld.get(r.id) ?? null,
      requesterRecord: r.kind === 'sim_swap_lost' ? (records.get(r.requested_by) ?? null) : null,
    }),
  )
}
