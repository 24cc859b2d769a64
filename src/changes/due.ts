// Notify, wait, execute: numguard itself executes an approved change once its waiting time has passed and every
// consent is recorded (the worker's due-work sweep; and at once when the holder's YES completes a change that
// waits for nothing). The requester may still execute it by hand; both go through executeRequest.
import { sql } from 'kysely'
import type { App } from '../app.ts'
import { runCommand } from '../audit/index.ts'
import { translateDbError } from '../db/errors.ts'
import type { Actor } from '../domain/actor.ts'
import { DomainError } from '../domain/errors.ts'
import { executeRequest } from '../requests/index.ts'
import { failureReason, lastExecutionFailure, rememberExecutionFailure } from './due-failures.ts'

const EXECUTOR: Actor = { kind: 'system', component: 'change-executor' }

/** The kinds this feature executes by itself when due. */
export const SELF_EXECUTING_KINDS = [
  'transfer',
  'sim_swap',
  'sim_swap_lost',
  'termination',
  'kyc_change',
  'legal_order',
]

/**
 * Approved, unexpired requests of those kinds whose wait is over and whose consents are all recorded. The sweep
 * skips one that failed lately until its retry time, unless an approval or a consent arrived since.
 */
async function dueRequestIds(app: App, now: Date, limit: number, only?: string): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    SELECT r.id FROM requests r
     WHERE r.status = 'approved' AND r.kind = ANY (${SELF_EXECUTING_KINDS}::text[])
       AND r.expires_at > ${now} AND (r.not_before IS NULL OR r.not_before <= ${now})
       AND (${only ?? null}::uuid IS NULL OR r.id = ${only ?? null}::uuid)
       -- A request on a held number waits for the hold's release (the database refuses it meanwhile).
       AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.msisdn = r.msisdn AND h.released_at IS NULL)
       AND NOT EXISTS (SELECT 1 FROM request_kind_consents k WHERE k.kind = r.kind AND NOT EXISTS (
             SELECT 1 FROM request_consents c WHERE c.request_id = r.id AND c.party = k.party AND c.method = k.method))
       AND (${only ?? null}::uuid IS NOT NULL OR NOT EXISTS (
             SELECT 1 FROM change_execution_failures f
              WHERE f.request_id = r.id AND f.next_attempt_at > ${now}
                AND NOT EXISTS (SELECT 1 FROM request_approvals a WHERE a.request_id = r.id
                                   AND (a.decided_at > f.last_failed_at OR a.voided_at > f.last_failed_at))
                AND NOT EXISTS (SELECT 1 FROM request_consents c WHERE c.request_id = r.id
                                   AND c.recorded_at > f.last_failed_at)))
     ORDER BY r.not_before NULLS FIRST, r.requested_at
     LIMIT ${limit}`.execute(app.db)
  return rows.map((r) => r.id)
}

async function executeOne(app: App, id: string): Promise<boolean> {
  const previous = await lastExecutionFailure(app.db, id)
  try {
    await runCommand(app.deps, EXECUTOR, async (ctx) => {
      try {
        return await executeRequest(ctx, id)
      } catch (err) {
        // The same refusal as last time raised its alert then: a person knows; do not raise it every try.
        const refusal = translateDbError(err)
        if (refusal instanceof DomainError && previous?.reason === failureReason(refusal)) refusal.alert = undefined
        throw refusal
      }
    })
    return true
  } catch (err) {
    // A refusal (approval voided, change overtaken…) is recorded by its alert; the request stays for a person.
    if (!(err instanceof DomainError)) throw err
    const alertId = typeof err.details.alert_id === 'string' ? err.details.alert_id : null
    const failure = await rememberExecutionFailure(app.db, {
      requestId: id,
      reason: failureReason(err),
      previous,
      alertId,
      now: app.clock.now(),
    })
    app.logger.warn(
      { request_id: id, code: err.code, attempts: failure.attempts, next_attempt_at: failure.next_attempt_at },
      'changes: a due request could not execute',
    )
    return false
  }
}

/** Executes one request now if it is due (after a consent or an approval completed it), whatever its back-off. */
export async function executeIfDue(app: App, requestId: string): Promise<boolean> {
  const [id] = await dueRequestIds(app, app.clock.now(), 1, requestId)
  return id ? executeOne(app, id) : false
}

/**
 * The worker's sweep: every due change, in batches, until none is left. A failed one is not retried this pass,
 * and later passes wait for its retry time (see due-failures.ts).
 */
export async function executeDueRequests(app: App, batch = 50): Promise<{ executed: number; failed: number }> {
  let executed = 0
  let failed = 0
  const tried = new Set<string>()
  for (;;) {
    const ids = (await dueRequestIds(app, app.clock.now(), batch + tried.size)).filter((id) => !tried.has(id))
    if (ids.length === 0) break
    for (const id of ids) {
      tried.add(id)
      if (await executeOne(app, id)) executed++
      else failed++
    }
  }
  return { executed, failed }
}
