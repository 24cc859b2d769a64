// Who reads a request's payload (invariant 10). A payload names subscribers (ids, ICCIDs, names, ID last 4), so an
// agent — anyone whose role does not give the working view — reads it only when they filed it (or must decide it),
// or inside a customer session for the number's holder, for requests filed while that holder held the number (as
// the number page shows that holder's custodies and never a former holder's). Supervisors, compliance officers and
// auditors keep it: approvers sign what they see. A number-less request about policy or staff names no subscriber;
// its payload follows the permission to read what it is about. Everything else (kind, status, number, hash, dates,
// people, approvals) stays visible; the outcome, which names the same parties, goes with the payload.
import { type ExpressionBuilder, type Kysely, sql } from 'kysely'
import { can } from '../access/index.ts'
import { needsCustomerSession } from '../customers/index.ts'
import type { DB } from '../db/types.ts'
import type { Actor } from '../domain/actor.ts'
import type { RequestKind } from '../domain/requests.ts'
import type { Permission } from '../domain/roles.ts'
import type { RequestRecord } from './queries.ts'

/** Kinds whose payload names no subscriber, and the permission that reads it. */
const ABOUT_NO_SUBSCRIBER: Partial<Record<RequestKind, Permission>> = {
  policy_change: 'view_policies',
  retirement: 'view_numbers',
  role_grant: 'view_staff',
  credential_reset: 'view_staff',
}

/** The number-less kinds `actor` reads whoever filed them. */
export function kindsReadableWithoutSession(actor: Actor | undefined): RequestKind[] {
  return (Object.entries(ABOUT_NO_SUBSCRIBER) as [RequestKind, Permission][])
    .filter(([, permission]) => can(actor, permission))
    .map(([kind]) => kind)
}

export interface PayloadWithheld {
  reason: 'customer_session_required' | 'not_in_your_view'
  /** An agent could open a customer session for the number's holder now (which shows what was filed in their time). */
  verify_customer: boolean
  message: string
}

type Row = Pick<RequestRecord, 'id' | 'kind' | 'msisdn' | 'requested_by' | 'assigned_to' | 'requested_at'>

/**
 * For each request, null when `actor` reads its payload, or why it is withheld. Two queries at most, whatever the
 * number of rows: the custodies of holders the caller has a customer session for, and who holds each number now.
 */
export async function withheldPayloads(
  db: Kysely<DB>,
  actor: Actor | undefined,
  rows: readonly Row[],
  now: Date,
): Promise<Map<string, PayloadWithheld | null>> {
  const out = new Map<string, PayloadWithheld | null>()
  if (actor?.kind === 'staff' && !needsCustomerSession(actor)) {
    for (const r of rows) out.set(r.id, null)
    return out
  }
  const me = actor?.kind === 'staff' ? actor : undefined
  const readable = new Set(kindsReadableWithoutSession(actor))
  const open = rows.filter(
    (r) => !(me && (r.requested_by === me.staffId || r.assigned_to === me.staffId)) && !readable.has(r.kind),
  )
  const msisdns = [...new Set(open.map((r) => r.msisdn).filter((m): m is string => m !== null))]
  const periods: Map<string, Period[]> =
    me && msisdns.length > 0 ? await holderPeriodsInSession(db, me, msisdns, now) : new Map()
  const heldSince = msisdns.length > 0 ? await heldSinceOf(db, msisdns) : new Map<string, number>()
  const mayVerify = can(actor, 'open_customer_sessions')
  for (const r of rows) {
    if (!open.includes(r)) {
      out.set(r.id, null)
      continue
    }
    const t = new Date(r.requested_at).getTime()
    const inView = (r.msisdn ? (periods.get(r.msisdn) ?? []) : []).some(
      (p) => p.started <= t && (p.ended === null || t <= p.ended),
    )
    if (inView) {
      out.set(r.id, null)
      continue
    }
    // Verifying the holder helps only with a request filed in their current custody (and not already verified).
    const since = r.msisdn ? heldSince.get(r.msisdn) : undefined
    const verify = mayVerify && since !== undefined && since <= t && !periods.has(r.msisdn as string)
    out.set(r.id, {
      reason: mayVerify ? 'customer_session_required' : 'not_in_your_view',
      verify_customer: verify,
      message: verify
        ? 'Payload withheld — verify the customer (a code sent to the number, or their ID document) to see it.'
        : mayVerify
          ? 'Payload withheld — it names a subscriber outside your customer sessions (a former holder, or nobody holds the number now).'
          : 'Payload withheld — it names a subscriber, and your role does not see subscribers’ details.',
    })
  }
  return out
}

interface Period {
  started: number
  ended: number | null
}

/** Per number, the custodies of its current holder when `actor` has an open customer session for that holder. */
async function holderPeriodsInSession(
  db: Kysely<DB>,
  actor: { staffId: string; sessionId: string },
  msisdns: string[],
  now: Date,
): Promise<Map<string, Period[]>> {
  const rows = await db
    .selectFrom('custodies as own')
    .innerJoin('custodies as cur', (j) =>
      j.onRef('cur.msisdn', '=', 'own.msisdn').onRef('cur.subscriber_id', '=', 'own.subscriber_id'),
    )
    .select(['own.msisdn', 'own.started_at', 'own.ended_at'])
    .where('cur.msisdn', 'in', msisdns)
    .where('cur.ended_at', 'is', null)
    .where(sessionFor(actor, now))
    .execute()
  const out = new Map<string, Period[]>()
  for (const r of rows) {
    const list = out.get(r.msisdn) ?? []
    list.push({
      started: new Date(r.started_at).getTime(),
      ended: r.ended_at ? new Date(r.ended_at).getTime() : null,
    })
    out.set(r.msisdn, list)
  }
  return out
}

/** When the current custody of each held number started (numbers nobody holds are absent). */
async function heldSinceOf(db: Kysely<DB>, msisdns: string[]): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('custodies')
    .select(['msisdn', 'started_at'])
    .where('msisdn', 'in', msisdns)
    .where('ended_at', 'is', null)
    .execute()
  return new Map(rows.map((r) => [r.msisdn, new Date(r.started_at).getTime()]))
}

/** `actor`'s open customer session (in this staff session) for the holder of custody `cur` (openSessionFor's rule). */
function sessionFor(actor: { staffId: string; sessionId: string }, now: Date) {
  return sql<boolean>`EXISTS (
    SELECT 1 FROM customer_sessions cs
     WHERE cs.subscriber_id = cur.subscriber_id AND cs.staff_id = ${actor.staffId}
       AND cs.staff_session_id = ${actor.sessionId} AND cs.state = 'open' AND cs.expires_at > ${now})`
}

/**
 * The same rule as a filter on `requests` for a list: what an agent (anyone without the working view) may see —
 * requests they filed or must decide, number-less ones they read by permission, and requests on a number whose
 * holder they have a customer session for, filed while that holder held it.
 */
export function listableBy(actor: { staffId: string; sessionId: string }, readableKinds: RequestKind[], now: Date) {
  return (eb: ExpressionBuilder<DB, 'requests'>) =>
    eb.or([
      eb('requests.requested_by', '=', actor.staffId),
      eb('requests.assigned_to', '=', actor.staffId),
      ...(readableKinds.length > 0 ? [eb('requests.kind', 'in', readableKinds)] : []),
      eb.exists(
        eb
          .selectFrom('custodies as cur')
          .innerJoin('custodies as own', (j) =>
            j.onRef('own.msisdn', '=', 'cur.msisdn').onRef('own.subscriber_id', '=', 'cur.subscriber_id'),
          )
          .select(sql<number>`1`.as('one'))
          .whereRef('cur.msisdn', '=', 'requests.msisdn')
          .where('cur.ended_at', 'is', null)
          .whereRef('own.started_at', '<=', 'requests.requested_at')
          .where((w) => w.or([w('own.ended_at', 'is', null), w('own.ended_at', '>=', w.ref('requests.requested_at'))]))
          .where(sessionFor(actor, now)),
      ),
    ])
}
