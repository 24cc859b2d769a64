// The SQL of internal analysis: reads of existing tables only (requests, approvals, consents, alerts, leaves, staff).
import { type Kysely, sql } from 'kysely'
import type { DB } from '../db/types.ts'

export interface Window {
  since: Date
  until: Date
}

/** Which numbers an analysis looks at: the given ones, or (null) every number. */
export type Scope = readonly string[] | null

export const STAFF_RISK_ALERT = 'staff_risk_signal'
const REFUSAL_SEVERITIES = ['warning', 'risk'] as const
const SWAP_KINDS = ['sim_swap', 'sim_swap_lost'] as const

const leafJson = sql<unknown>`convert_from(audit_leaves.leaf, 'UTF8')::jsonb`

/** Staff with a leaf or an alert in the window (on the numbers in scope), as one query to union more onto. */
function staffInLeavesAndAlerts(db: Kysely<DB>, scope: Scope, w: Window) {
  let leaves = db
    .selectFrom('audit_leaves')
    .select('staff_id as id')
    .where('at', '>=', w.since)
    .where('at', '<=', w.until)
    .where('staff_id', 'is not', null)
  let alerts = db
    .selectFrom('alerts')
    .select('staff_id as id')
    .where('raised_at', '>=', w.since)
    .where('raised_at', '<=', w.until)
    .where('staff_id', 'is not', null)
  if (scope) {
    leaves = leaves.where('msisdn', 'in', scope)
    alerts = alerts.where('msisdn', 'in', scope)
  }
  return leaves.union(alerts)
}

const distinctIds = (rows: { id: string | null }[]) => [
  ...new Set(rows.map((r) => r.id).filter((id): id is string => id !== null)),
]

/** Staff whose leaves, alerts, requests or approvals touch the numbers in the window. */
export async function staffTouching(db: Kysely<DB>, msisdns: readonly string[], w: Window): Promise<string[]> {
  if (msisdns.length === 0) return []
  const rows = await staffInLeavesAndAlerts(db, msisdns, w)
    .union(
      db
        .selectFrom('requests')
        .select('requested_by as id')
        .where('msisdn', 'in', msisdns)
        .where('requested_at', '>=', w.since)
        .where('requested_at', '<=', w.until),
    )
    .union(
      db
        .selectFrom('request_approvals as a')
        .innerJoin('requests as r', 'r.id', 'a.request_id')
        .select('a.approver_id as id')
        .where('r.msisdn', 'in', msisdns)
        .where('a.decided_at', '>=', w.since)
        .where('a.decided_at', '<=', w.until),
    )
    .execute()
  return distinctIds(rows)
}

/** Staff with any leaf or alert in the window: whom the periodic job looks at. */
export async function staffActive(db: Kysely<DB>, w: Window): Promise<string[]> {
  return distinctIds(await staffInLeavesAndAlerts(db, null, w).execute())
}

export function staffRows(db: Kysely<DB>, ids: readonly string[]) {
  return db
    .selectFrom('staff')
    .select(['id', 'username', 'display_name', 'roles', 'shop_id', 'status'])
    .where('id', 'in', ids)
    .execute()
}

/** The staff members' leaves in the window, with the shop a leaf says the action was taken in (if it says). */
export function actionLeaves(db: Kysely<DB>, ids: readonly string[], scope: Scope, w: Window) {
  let q = db
    .selectFrom('audit_leaves')
    .select([
      'index',
      'at',
      'msisdn',
      'staff_id',
      // Only filings and in-shop consents say where they were made: the other leaves are not parsed.
      sql<string | null>`CASE WHEN action IN ('request.created', 'request.consent_recorded')
        THEN COALESCE(${leafJson} #>> '{data,requester_shop}', ${leafJson} #>> '{data,evidence,shop_id}') END`.as(
        'shop',
      ),
    ])
    .where('staff_id', 'in', ids)
    .where('at', '>=', w.since)
    .where('at', '<=', w.until)
    .orderBy('index')
  if (scope) q = q.where('msisdn', 'in', scope)
  return q.execute()
}

/** Refusals naming the staff members (alerts of warning or risk, not this feature's own). */
export function refusalAlerts(db: Kysely<DB>, ids: readonly string[], scope: Scope, w: Window) {
  let q = db
    .selectFrom('alerts')
    .select(['id', 'staff_id', 'repeats'])
    .where('staff_id', 'in', ids)
    .where('kind', '<>', STAFF_RISK_ALERT)
    .where('severity', 'in', REFUSAL_SEVERITIES)
    .where('raised_at', '>=', w.since)
    .where('raised_at', '<=', w.until)
  if (scope) q = q.where('msisdn', 'in', scope)
  return q.execute()
}

/** The leaves that raised or repeated these alerts. */
export async function alertLeaves(db: Kysely<DB>, alertIds: readonly string[], since: Date) {
  if (alertIds.length === 0) return []
  const alertId = sql<string>`COALESCE(${leafJson} #>> '{after,alert_id}', ${leafJson} #>> '{before,alert_id}')`
  return db
    .selectFrom('audit_leaves')
    .select(['index', alertId.as('alert_id')])
    .where('action', 'in', ['alert.raised', 'alert.repeated'])
    .where('at', '>=', since)
    .where(alertId, 'in', alertIds)
    .execute()
}

/**
 * Swaps executed in the window without a holder consent by code reply, each with a transfer of the same number
 * filed within `followDays` of the swap's execution; the requesters and approvers of both.
 */
export async function swapsThenTransfers(db: Kysely<DB>, scope: Scope, w: Window, followDays: number) {
  const approvers = (id: string) => sql<string[]>`ARRAY(SELECT a.approver_id::text FROM request_approvals a
      WHERE a.request_id = ${sql.ref(id)} AND a.decision = 'approved')`
  let q = db
    .selectFrom('requests as s')
    .innerJoin('requests as t', (j) =>
      j
        .onRef('t.msisdn', '=', 's.msisdn')
        .on('t.kind', '=', 'transfer')
        .onRef('t.requested_at', '>=', 's.executed_at')
        .on(sql<boolean>`t.requested_at < s.executed_at + make_interval(days => ${followDays}::int)`),
    )
    .select([
      's.id as swap_id',
      's.msisdn',
      's.requested_by as swap_requester',
      approvers('s.id').as('swap_approvers'),
      't.id as transfer_id',
      't.requested_by as transfer_requester',
      approvers('t.id').as('transfer_approvers'),
    ])
    .where('s.kind', 'in', SWAP_KINDS)
    .where('s.status', '=', 'executed')
    .where('s.executed_at', '>=', w.since)
    .where('s.executed_at', '<=', w.until)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('request_consents as c')
            .select('c.id')
            .whereRef('c.request_id', '=', 's.id')
            .where('c.party', '=', 'holder')
            .where('c.method', '=', 'mo_code'),
        ),
      ),
    )
  if (scope) q = q.where('s.msisdn', 'in', scope)
  return q.execute()
}

/** Every requester–approver pair on approved requests filed in the window (all numbers), with its requests. */
export async function pairs(db: Kysely<DB>, w: Window, min: number) {
  return db
    .selectFrom('requests as r')
    .innerJoin('request_approvals as a', 'a.request_id', 'r.id')
    .select([
      'r.requested_by as requester_id',
      'a.approver_id',
      sql<string[]>`array_agg(DISTINCT r.id::text)`.as('request_ids'),
    ])
    .where('a.decision', '=', 'approved')
    .where('r.requested_at', '>=', w.since)
    .where('r.requested_at', '<=', w.until)
    .groupBy(['r.requested_by', 'a.approver_id'])
    .having(sql<number>`count(DISTINCT r.id)`, '>=', min)
    .execute()
}

/** The leaves of these requests, optionally only of some actions. */
export async function requestLeaves(db: Kysely<DB>, requestIds: readonly string[], actions?: readonly string[]) {
  if (requestIds.length === 0) return []
  let q = db
    .selectFrom('audit_leaves')
    .select(['index', 'request_id', 'staff_id'])
    .where('request_id', 'in', requestIds)
  if (actions) q = q.where('action', 'in', actions)
  return q.orderBy('index').execute()
}

/** Number requests each staff member filed, plus approvals they gave, in the window: everyone's, for the medians. */
export async function volumes(db: Kysely<DB>, w: Window) {
  const filed = db
    .selectFrom('requests')
    .select(['requested_by as staff_id', sql<string>`count(*)`.as('n')])
    .where('msisdn', 'is not', null)
    .where('requested_at', '>=', w.since)
    .where('requested_at', '<=', w.until)
    .groupBy('requested_by')
  const approved = db
    .selectFrom('request_approvals as a')
    .innerJoin('requests as r', 'r.id', 'a.request_id')
    .select(['a.approver_id as staff_id', sql<string>`count(*)`.as('n')])
    .where('r.msisdn', 'is not', null)
    .where('a.decision', '=', 'approved')
    .where('a.decided_at', '>=', w.since)
    .where('a.decided_at', '<=', w.until)
    .groupBy('a.approver_id')
  const [staff, f, a] = await Promise.all([
    db.selectFrom('staff').select(['id', 'roles']).execute(),
    filed.execute(),
    approved.execute(),
  ])
  const counts = new Map<string, number>()
  for (const r of [...f, ...a]) counts.set(r.staff_id, (counts.get(r.staff_id) ?? 0) + Number(r.n))
  return staff.map((s) => ({ id: s.id, roles: s.roles, n: counts.get(s.id) ?? 0 }))
}

/** The leaves behind a staff member's volume: requests they filed and approvals they gave, on numbers. */
export function volumeLeaves(db: Kysely<DB>, ids: readonly string[], w: Window) {
  return db
    .selectFrom('audit_leaves')
    .select(['index', 'staff_id'])
    .where('staff_id', 'in', ids)
    .where('action', 'in', ['request.created', 'request.approved'])
    .where('msisdn', 'is not', null)
    .where('at', '>=', w.since)
    .where('at', '<=', w.until)
    .orderBy('index')
    .execute()
}
