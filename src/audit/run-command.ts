import type { Kysely } from 'kysely'
import { raiseAlert } from '../alerts/commands.ts'
import { translateDbError } from '../db/errors.ts'
import type { DB } from '../db/types.ts'
import type { Clock } from '../domain/clock.ts'
import { DomainError } from '../domain/errors.ts'
import type { Actor } from './actor.ts'
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
      const { id } = await deps.db.transaction().execute((tx) => raiseAlert({ tx, actor, now }, alert))
      deps.onAudited?.()
      refusal.details.alert_id = id
    }
    throw refusal
  }
}
