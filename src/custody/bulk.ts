// Set-based forms of the commands, for loads of many rows at once (a migration batch, the demo's legacy load). Each
// takes a SELECT that yields the rows, moves them under the same guards as the single-row commands, and fails
// unless it moved exactly the number of rows the caller planned.
import { type QueryResult, type RawBuilder, sql } from 'kysely'
import type { NumberState } from '../domain/lifecycle.ts'
import type { CustodyContext } from './context.ts'
import { StaleStateError } from './errors.ts'
import { assertTransition } from './numbers.ts'

function expectRows(result: QueryResult<unknown>, expected: number, what: string): number {
  const moved = Number(result.numAffectedRows ?? 0n)
  if (moved !== expected) throw new StaleStateError(what, { expected, moved })
  return moved
}

/**
 * Custodies of a migration batch. `rows` yields msisdn, subscriber_id, started_at, ended_at, end_reason (the last two
 * null for a custody still open): a batch may load custodies already ended, nothing else may.
 */
export async function startMigratedCustodies(
  ctx: CustodyContext,
  batchId: string,
  rows: RawBuilder<unknown>,
  expected: number,
): Promise<number> {
  const started = await sql`
    INSERT INTO custodies (id, msisdn, subscriber_id, basis, migration_batch_id, started_at, ended_at, end_reason)
    SELECT gen_random_uuid(), r.msisdn, r.subscriber_id, 'migration', ${batchId}::uuid, r.started_at, r.ended_at,
           r.end_reason
    FROM (${rows}) AS r`.execute(ctx.tx)
  return expectRows(started, expected, 'The migrated custodies')
}

/** Ends the open custodies of the numbers `rows` yields (msisdn, ended_at, end_reason). */
export async function endCustodies(ctx: CustodyContext, rows: RawBuilder<unknown>, expected: number): Promise<number> {
  const ended = await sql`
    UPDATE custodies c SET ended_at = r.ended_at, end_reason = r.end_reason
    FROM (${rows}) AS r WHERE c.msisdn = r.msisdn AND c.ended_at IS NULL`.execute(ctx.tx)
  return expectRows(ended, expected, 'The custodies ended')
}

/**
 * Moves the numbers `rows` yields (msisdn, state_changed_at; with `leased`, also reserved_by and reserved_until) from
 * one state to another along the lifecycle.
 */
export async function moveNumbers(
  ctx: CustodyContext,
  move: { from: NumberState; to: NumberState; leased?: boolean },
  rows: RawBuilder<unknown>,
  expected: number,
): Promise<number> {
  assertTransition('(set)', move.from, move.to)
  const lease = move.leased ? sql`, reserved_by = r.reserved_by, reserved_until = r.reserved_until` : sql``
  const moved = await sql`
    UPDATE numbers n SET state = ${move.to}, state_changed_at = r.state_changed_at ${lease}
    FROM (${rows}) AS r WHERE n.msisdn = r.msisdn AND n.state = ${move.from}`.execute(ctx.tx)
  return expectRows(moved, expected, `The numbers moved from ${move.from} to ${move.to}`)
}

/**
 * SIM bindings over given periods: `rows` yields msisdn, iccid, custody_id, started_at, ended_at (null while open);
 * a binding that ended, ended with its custody.
 */
export async function bindSims(ctx: CustodyContext, rows: RawBuilder<unknown>, expected: number): Promise<number> {
  const bound = await sql`
    INSERT INTO sim_bindings (id, msisdn, iccid, custody_id, started_at, ended_at, end_reason)
    SELECT gen_random_uuid(), r.msisdn, r.iccid, r.custody_id, r.started_at, r.ended_at,
           CASE WHEN r.ended_at IS NOT NULL THEN 'custody_ended' END
    FROM (${rows}) AS r`.execute(ctx.tx)
  return expectRows(bound, expected, 'The SIM bindings')
}
