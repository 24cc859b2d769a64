// The worker's memory of a due change that could not execute. A change that keeps failing (an approver suspended
// since, a hold put on the number…) is retried with a growing wait instead of every pass, and its alert is raised
// once per request and reason: the first refusal tells a person; the same refusal again tells them nothing new.
import type { Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import type { DomainError } from '../domain/errors.ts'

export interface ExecutionFailure {
  reason: string
  attempts: number
  next_attempt_at: Date
}

const FIRST_RETRY_MS = 5 * 60_000
const LONGEST_WAIT_MS = 6 * 3_600_000

/** 5 min, 10 min, 20 min … at most 6 h between tries of one failing change. */
export function retryDelayMs(attempts: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1), LONGEST_WAIT_MS)
}

/** What stopped a change, stable across tries: the error code, and the SQLSTATE when the database refused. */
export function failureReason(err: DomainError): string {
  const sqlstate = err.details.sqlstate
  return typeof sqlstate === 'string' ? `${err.code}:${sqlstate}` : err.code
}

export async function lastExecutionFailure(db: Kysely<DB>, requestId: string): Promise<ExecutionFailure | undefined> {
  return db
    .selectFrom('change_execution_failures')
    .select(['reason', 'attempts', 'next_attempt_at'])
    .where('request_id', '=', requestId)
    .executeTakeFirst()
}

/** Remembers one more failed try; the same reason as before counts up (and waits longer), a new one starts over. */
export async function rememberExecutionFailure(
  db: Kysely<DB>,
  input: {
    requestId: string
    reason: string
    previous: ExecutionFailure | undefined
    alertId: string | null
    now: Date
  },
): Promise<ExecutionFailure> {
  const same = input.previous?.reason === input.reason
  const attempts = same ? (input.previous as ExecutionFailure).attempts + 1 : 1
  const next = new Date(input.now.getTime() + retryDelayMs(attempts))
  await db
    .insertInto('change_execution_failures')
    .values({
      request_id: input.requestId,
      reason: input.reason,
      attempts,
      first_failed_at: input.now,
      last_failed_at: input.now,
      next_attempt_at: next,
      alert_id: input.alertId,
    })
    .onConflict((oc) =>
      oc.column('request_id').doUpdateSet(
        same
          ? { attempts, last_failed_at: input.now, next_attempt_at: next }
          : {
              reason: input.reason,
              attempts,
              first_failed_at: input.now,
              last_failed_at: input.now,
              next_attempt_at: next,
              alert_id: input.alertId,
            },
      ),
    )
    .execute()
  return { reason: input.reason, attempts, next_attempt_at: next }
}
