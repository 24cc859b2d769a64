// The request workflow's SQL, as named functions.
import { type Kysely, sql } from 'kysely'
import type { DB } from '../db/types.ts'
import type { RequestKind, RequestStatus } from '../domain/requests.ts'
import { listableBy } from './visibility.ts'

type Reader = Kysely<DB>

export interface RequestRecord {
  id: string
  kind: RequestKind
  msisdn: string | null
  status: RequestStatus
  payload: Record<string, unknown>
  payload_sha256: string
  requested_by: string
  requested_at: Date
  expires_at: Date
  not_before: Date | null
  decided_at: Date | null
  executed_at: Date | null
  assigned_to: string | null
  outcome: Record<string, unknown> | null
}

export interface StaffFacts {
  id: string
  username: string
  display_name: string
  roles: string[]
  shop_id: string | null
  status: 'active' | 'suspended'
  created_at: Date
  roles_granted_at: Date | null
  credentials_reset_at: Date | null
}

export interface ApprovalRecord {
  request_id: string
  approver_id: string
  payload_sha256: string
  decision: 'approved' | 'rejected'
  decided_at: Date
  voided_at: Date | null
}

const REQUEST_COLUMNS = [
  'id',
  'kind',
  'msisdn',
  'status',
  'payload',
  'payload_sha256',
  'requested_by',
  'requested_at',
  'expires_at',
  'not_before',
  'decided_at',
  'executed_at',
  'assigned_to',
  'outcome',
] as const

export async function findRequest(db: Reader, id: string): Promise<RequestRecord | undefined> {
  const row = await db.selectFrom('requests').select(REQUEST_COLUMNS).where('id', '=', id).executeTakeFirst()
  return row as RequestRecord | undefined
}

/** Locks the request row for the rest of the transaction: two decisions on one request run one after the other. */
export async function lockRequest(db: Reader, id: string): Promise<RequestRecord | undefined> {
  const row = await db
    .selectFrom('requests')
    .select(REQUEST_COLUMNS)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst()
  return row as RequestRecord | undefined
}

/** The open requests of one kind on a number (pending or approved), oldest first. */
export async function openRequestsOn(db: Reader, msisdn: string, kind: RequestKind): Promise<RequestRecord[]> {
  const rows = await db
    .selectFrom('requests')
    .select(REQUEST_COLUMNS)
    .where('msisdn', '=', msisdn)
    .where('kind', '=', kind)
    .where('status', 'in', ['pending', 'approved'])
    .orderBy('requested_at')
    .forUpdate()
    .execute()
  return rows as RequestRecord[]
}

export async function staffFacts(db: Reader, id: string): Promise<StaffFacts | undefined> {
  return db
    .selectFrom('staff')
    .select(['id', 'username', 'display_name', 'roles', 'shop_id', 'status', 'created_at'])
    .select(['roles_granted_at', 'credentials_reset_at'])
    .where('id', '=', id)
    .executeTakeFirst()
}

export async function staffByIds(db: Reader, ids: string[]): Promise<Map<string, StaffFacts>> {
  if (ids.length === 0) return new Map()
  const rows = await db
    .selectFrom('staff')
    .select(['id', 'username', 'display_name', 'roles', 'shop_id', 'status', 'created_at'])
    .select(['roles_granted_at', 'credentials_reset_at'])
    .where('id', 'in', [...new Set(ids)])
    .execute()
  return new Map(rows.map((r) => [r.id, r]))
}

export interface ApproverCandidateQuery {
  role: string
  requesterId: string
  /** Exclude staff of this shop (the requester's), when the kind asks for another shop. */
  excludeShop: string | null | undefined
  /** Only staff whose latest role grant or credential reset is at or before this instant (cooling period). */
  grantedBefore?: Date
  /** Staff who may not decide this request (a restoration's case owner). */
  excludeStaff?: string[]
}

/**
 * Eligible approvers with their open workload, least loaded first; ties in random order so nobody can predict, let
 * alone choose, who will be assigned.
 */
export async function approverCandidates(
  db: Reader,
  q: ApproverCandidateQuery,
): Promise<{ id: string; username: string; load: number }[]> {
  const { rows } = await sql<{ id: string; username: string; load: number }>`
    SELECT s.id, s.username,
           (SELECT count(*)::int FROM requests r WHERE r.assigned_to = s.id AND r.status = 'pending') AS load
      FROM staff s
     WHERE s.status = 'active' AND ${q.role} = ANY (s.roles) AND s.id <> ${q.requesterId}
       AND (${q.excludeShop === undefined} OR s.shop_id IS DISTINCT FROM ${q.excludeShop ?? null}::text)
       AND NOT (s.id = ANY (${q.excludeStaff ?? []}::uuid[]))
       AND (${q.grantedBefore === undefined} OR greatest(s.roles_granted_at, s.credentials_reset_at) IS NULL
            OR greatest(s.roles_granted_at, s.credentials_reset_at) <= ${q.grantedBefore ?? null}::timestamptz)
     ORDER BY load, random()
     LIMIT 20`.execute(db)
  return rows
}

/** The reference of the case whose active hold is on `msisdn` (the oldest), or null. */
export async function holdingCase(db: Reader, msisdn: string): Promise<string | null> {
  const { rows } = await sql<{ reference: string }>`
    SELECT c.reference FROM holds h JOIN cases c ON c.id = h.case_id
     WHERE h.msisdn = ${msisdn} AND h.released_at IS NULL ORDER BY h.placed_at LIMIT 1`.execute(db)
  return rows[0]?.reference ?? null
}

export async function requestApprovals(db: Reader, requestIds: string[]): Promise<ApprovalRecord[]> {
  if (requestIds.length === 0) return []
  const rows = await db
    .selectFrom('request_approvals')
    .selectAll()
    .where('request_id', 'in', requestIds)
    .orderBy('decided_at')
    .execute()
  return rows as ApprovalRecord[]
}

export interface RequestFilter {
  status?: RequestStatus
  assignedTo?: string
  requestedBy?: string
  msisdn?: string
  kind?: RequestKind
  /** Only what this agent may see (src/requests/visibility.ts); absent: everything (the working view). */
  visibleTo?: { actor: { staffId: string; sessionId: string }; readableKinds: RequestKind[] }
  /** Open requests whose expiry has passed read as expired from this instant on. */
  now: Date
  limit: number
}

export async function listRequests(db: Reader, f: RequestFilter): Promise<RequestRecord[]> {
  let q = db.selectFrom('requests').select(REQUEST_COLUMNS).orderBy('requested_at', 'desc').limit(f.limit)
  if (f.status === 'pending' || f.status === 'approved') {
    q = q.where('status', '=', f.status).where('expires_at', '>', f.now)
  } else if (f.status === 'expired') {
    q = q.where((eb) =>
      eb.or([
        eb('status', '=', 'expired'),
        eb.and([eb('status', 'in', ['pending', 'approved']), eb('expires_at', '<=', f.now)]),
      ]),
    )
  } else if (f.status) q = q.where('status', '=', f.status)
  if (f.assignedTo) q = q.where('assigned_to', '=', f.assignedTo)
  if (f.requestedBy) q = q.where('requested_by', '=', f.requestedBy)
  if (f.msisdn) q = q.where('msisdn', '=', f.msisdn)
  if (f.kind) q = q.where('kind', '=', f.kind)
  if (f.visibleTo) q = q.where(listableBy(f.visibleTo.actor, f.visibleTo.readableKinds, f.now))
  return (await q.execute()) as RequestRecord[]
}

/** What the approver of a lost-SIM swap reads about its requester: their recent swaps and the refusals they met. */
export interface RequesterRecord {
  since: Date
  swaps: { id: string; kind: string; status: string; requested_at: Date }[]
  refusals: { kind: string; severity: string; raised_at: Date; repeats: number }[]
}

/** Each requester's SIM swaps filed and alerts raised in their name since `since` (newest first, 20 of each). */
export async function requesterRecords(
  db: Reader,
  requesterIds: string[],
  since: Date,
): Promise<Map<string, RequesterRecord>> {
  const ids = [...new Set(requesterIds)]
  const out = new Map<string, RequesterRecord>(ids.map((id) => [id, { since, swaps: [], refusals: [] }]))
  if (ids.length === 0) return out
  const [swaps, refusals] = await Promise.all([
    db
      .selectFrom('requests')
      .select(['id', 'kind', 'status', 'requested_at', 'requested_by'])
      .where('requested_by', 'in', ids)
      .where('kind', 'in', ['sim_swap', 'sim_swap_lost'])
      .where('requested_at', '>=', since)
      .orderBy('requested_at', 'desc')
      .execute(),
    db
      .selectFrom('alerts')
      .select(['kind', 'severity', 'raised_at', 'repeats', 'staff_id'])
      .where('staff_id', 'in', ids)
      .where('raised_at', '>=', since)
      .orderBy('raised_at', 'desc')
      .execute(),
  ])
  for (const s of swaps) {
    const record = out.get(s.requested_by) as RequesterRecord
    if (record.swaps.length < 20)
      record.swaps.push({ id: s.id, kind: s.kind, status: s.status, requested_at: s.requested_at })
  }
  for (const a of refusals) {
    const record = out.get(a.staff_id as string) as RequesterRecord
    if (record.refusals.length < 20)
      record.refusals.push({ kind: a.kind, severity: a.severity, raised_at: a.raised_at, repeats: a.repeats })
  }
  return out
}
