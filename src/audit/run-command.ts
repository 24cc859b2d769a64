import type { Kysely } from 'kysely'
import { DatabaseUnavailableError, translateDbError } from '../db/errors.ts'
import type { DB } from '../db/types.ts'
import type { Actor } from '../domain/actor.ts'
import type { Clock } from '../domain/clock.ts'
import { DomainError } from '../domain/errors.ts'
import { raiseAlert } from './alerts.ts'
import type { Audited, CommandContext, Unchanged } from './record.ts'

export interface CommandDeps {
  db: Kysely<DB>
  clock: Clock
  /** Called after a command committed audit records: the audit log integrates them promptly (src/audit/log-service.ts). */
  onAudited?: () => void
}

/**
 * The one write path: runs a command in its own transaction at one instant of the injected clock.
 * A refusal that carries an alert rolls back, then writes the alert (and its audit record) in a new
 * transaction, so the alert survives the refusal (invariant 8).
 */
export async function runCommand<T>(
  deps: CommandDeps,
  actor: Actor,
  command: (ctx: CommandContext) => Promise<Audited<T> | Unchanged<T>>,
): Promise<T> {
  const now = deps.clock.now()
  try {
    const out = await deps.db.transaction().execute((tx) => command({ tx, actor, now }))
    if (out.receipts.length > 0) deps.onAudited?.()
    return out.result
  } catch (err) {
    const refusal = translateDbError(err)
    if (refusal instanceof DomainError && refusal.alert) {
      const alert = refusal.alert
      // The database may have gone away between the rollback and this write: then the refusal cannot leave its
      // alert, and the caller is told to try again (503) rather than handed a raw driver error.
      const { id } = await deps.db
        .transaction()
        .execute((tx) => raiseAlert({ tx, actor, now }, alert))
        .catch((alertErr: unknown) => {
          const failure = translateDbError(alertErr)
          if (failure instanceof DatabaseUnavailableError) failure.details.refused = refusal.code
          throw failure
        })
      deps.onAudited?.()
      refusal.details.alert_id = id
    }
    throw refusal
  }
}
