import type { listAlerts } from './queries.ts'

type AlertRow = Awaited<ReturnType<typeof listAlerts>>[number]

/**
 * An alert as the API shows it. `repeats` counts identical alerts (same kind, person and subject) folded into this
 * one within its window; `last_seen_at` is when the latest of them came (raised_at for an alert seen once).
 */
export function presentAlert(a: AlertRow) {
  return {
    id: a.id,
    kind: a.kind,
    severity: a.severity,
    staff_id: a.staff_id,
    staff_username: a.staff_username,
    session_id: a.session_id,
    client_id: a.client_id,
    msisdn: a.msisdn,
    attempt: a.attempt,
    raised_at: a.raised_at,
    repeats: a.repeats,
    last_seen_at: a.last_seen_at,
  }
}
