// Notify, wait, execute: numguard itself executes an approved change once its waiting time has passed and every
// consent is recorded (the worker's due-work sweep; and at once when the holder's YES completes a change that
// waits for nothing). The requester may still execute it by hand; both go through executeRequest.
import { sql } from 'kysely'
import type { App } from '../app.ts'
import type { Actor } from '../audit/actor.ts'
import { runCommand } from '../audit/run-command.ts'
import { DomainError } from '../domain/errors.ts'
import { executeRequest } from '../requests/execute.ts'

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

/** Approved, unexpired requests of those kinds whose wait is over and whose consents are all recorded. */
async function dueRequestIds(app: App, now: Date, limit: number, only?: string): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    SELECT r.id FROM requests r
     WHERE r.status = 'approved' AND r.kind = ANY (${SELF_EXECUTING_KINDS}::text[])
       AND r.expires_at > ${now} AND (r.not_before IS NULL OR r.not_before <= ${now})
       AND (${only ?? null}::uuid IS NULL OR r.id = ${only ?? null}::uuid)
       AND NOT EXISTS (SELECT 1 FROM request_kind_consents k WHERE k.kind = r.kind AND NOT EXISTS (
             SELECT 1 FROM request_consents c WHERE c.request_id = r.id AND c.party = k.party AND c.method = k.method))
     ORDER BY r.not_before NULLS FIRST, r.requested_at
     LIMIT ${limit}`.execute(app.db)
  return rows.map((r) => r.id)
}

async function executeOne(app: App, id: string): Promise<boolean> {
  try {
    await runCommand(app.deps, EXECUTOR, (ctx) => executeRequest(ctx, id))
    return true
  } catch (err) {
    // A refusal (approval voided, change overtaken…) is recorded by its alert; the request stays for a person.
    if (!(err instanceof DomainError)) throw err
    app.logger.warn({ request_id: id, code: err.code }, 'changes: a due request could not execute')
    return false
  }
}

/** Executes one request now if it is due (after a consent or an approval completed it). */
export async function executeIfDue(app: App, requestId: string): Promise<boolean> {
  const [id] = await dueRequestIds(app, app.clock.now(), 1, requestId)
  return id ? executeOne(app, id) : false
}

/** The worker's sweep: every due change, in batches, until none is left (a failed one is not retried this pass). */
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
