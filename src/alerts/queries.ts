import type { Kysely } from 'kysely'
import type { DB } from '../db/types.ts'

export interface AlertFilter {
  msisdn?: string
  severity?: string
  kind?: string
  limit: number
  before?: Date
}

export function listAlerts(db: Kysely<DB>, f: AlertFilter) {
  let q = db
    .selectFrom('alerts')
    .leftJoin('staff', 'staff.id', 'alerts.staff_id')
    .select([
      'alerts.id',
      'alerts.kind',
      'alerts.severity',
      'alerts.staff_id',
      'staff.username as staff_username',
      'alerts.session_id',
      'alerts.client_id',
      'alerts.msisdn',
      'alerts.attempt',
      'alerts.raised_at',
      // Identical alerts within a window are one row (src/audit/alerts.ts): how often, and when last.
      'alerts.repeats',
      'alerts.last_seen_at',
    ])
    .orderBy('alerts.raised_at', 'desc')
    .orderBy('alerts.id')
    .limit(f.limit)
  if (f.msisdn) q = q.where('alerts.msisdn', '=', f.msisdn)
  if (f.severity) q = q.where('alerts.severity', '=', f.severity as 'risk')
  if (f.kind) q = q.where('alerts.kind', '=', f.kind)
  if (f.before) q = q.where('alerts.raised_at', '<', f.before)
  return q.execute()
}
