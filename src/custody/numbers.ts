// Number-state moves, each a guarded UPDATE … WHERE state IN (from) whose row count is checked, and only along the
// lifecycle's transitions. A lease renewal (reserved → reserved) is the one move that keeps the state.
import { sql } from 'kysely'
import { canTransition, type NumberState } from '../domain/lifecycle.ts'
import type { CustodyContext, OnStale } from './context.ts'
import { StaleStateError, TransitionRefusedError } from './errors.ts'

export interface NumberMove {
  msisdn: string
  /** The state(s) the caller read; the move happens only while the number is still in one of them. */
  from: NumberState | readonly NumberState[]
  to: NumberState
  /** When the state changed (default: the context's instant; the legacy load dates it in the past). */
  at?: Date
  /** Required when the move is to `reserved`: who leases the number, until when. */
  lease?: { by: string; until: Date }
  /** Only while the number is reserved by this staff member (a release by the agent who holds the lease). */
  reservedBy?: string
}

/** Refuses a move the lifecycle does not allow, before any SQL runs. */
export function assertTransition(msisdn: string, from: NumberState, to: NumberState, renewal = false): void {
  if (renewal && from === 'reserved' && to === 'reserved') return
  if (!canTransition(from, to)) throw new TransitionRefusedError(msisdn, from, to)
}

function fromStates(move: NumberMove): NumberState[] {
  const froms = typeof move.from === 'string' ? [move.from] : [...move.from]
  for (const from of froms) assertTransition(move.msisdn, from, move.to, move.lease !== undefined)
  if (move.to === 'reserved' && !move.lease) throw new TypeError('moveNumber: a move to reserved needs its lease')
  return froms
}

/** Moves one number; false when it was no longer in a `from` state (nothing written). */
export async function moveNumberIfStill(ctx: CustodyContext, move: NumberMove): Promise<boolean> {
  const froms = fromStates(move)
  const leaving = froms.includes('reserved') && move.to !== 'reserved'
  let update = ctx.tx
    .updateTable('numbers')
    .set({
      state: move.to,
      state_changed_at: move.at ?? ctx.now,
      ...(move.lease ? { reserved_by: move.lease.by, reserved_until: move.lease.until } : {}),
      ...(leaving ? { reserved_by: null, reserved_until: null } : {}),
    })
    .where('msisdn', '=', move.msisdn)
    .where('state', 'in', froms)
  if (move.reservedBy !== undefined) update = update.where('reserved_by', '=', move.reservedBy)
  const moved = await update.executeTakeFirst()
  return Number(moved.numUpdatedRows) === 1
}

/** Moves one number, or throws (StaleStateError, or the caller's own error) when it was no longer in a `from` state. */
export async function moveNumber(ctx: CustodyContext, move: NumberMove, onStale?: OnStale): Promise<void> {
  if (await moveNumberIfStill(ctx, move)) return
  throw (
    onStale?.() ?? new StaleStateError(`Number ${move.msisdn}`, { msisdn: move.msisdn, from: move.from, to: move.to })
  )
}

/** Returns numbers whose lease ran out to the pool, a batch at a time, skipping rows another worker holds. */
export async function releaseExpiredLeases(
  ctx: CustodyContext,
  batch: number,
): Promise<{ msisdn: string; reserved_by: string }[]> {
  assertTransition('(any)', 'reserved', 'available')
  const expired = await sql<{ msisdn: string; reserved_by: string }>`
    WITH due AS (
      SELECT msisdn, reserved_by FROM numbers
       WHERE state = 'reserved' AND reserved_until <= ${ctx.now}
       ORDER BY reserved_until LIMIT ${batch} FOR UPDATE SKIP LOCKED)
    UPDATE numbers n SET state = 'available', reserved_by = NULL, reserved_until = NULL, state_changed_at = ${ctx.now}
      FROM due WHERE n.msisdn = due.msisdn AND n.state = 'reserved'
    RETURNING n.msisdn, due.reserved_by`.execute(ctx.tx)
  return expired.rows
}

export interface NewNumbers {
  rangeId: string
  category: string
  /** Numeric values of the first and last number (inclusive) and the digits each msisdn has after its '+'. */
  firstValue: bigint
  lastValue: bigint
  width: number
}

/** Numbers enter the inventory `available`, every one of the block or none (a clash with an existing row fails). */
export async function addNumbers(ctx: CustodyContext, block: NewNumbers): Promise<number> {
  const expected = Number(block.lastValue - block.firstValue + 1n)
  const added = await sql`
    INSERT INTO numbers (msisdn, range_id, category, state, state_changed_at)
    SELECT '+' || lpad(v::text, ${block.width}, '0'), ${block.rangeId}, ${block.category}, 'available', ${ctx.now}
      FROM generate_series(${block.firstValue.toString()}::bigint, ${block.lastValue.toString()}::bigint) AS v`.execute(
    ctx.tx,
  )
  const count = Number(added.numAffectedRows ?? 0n)
  if (count !== expected) throw new StaleStateError('The range', { range_id: block.rangeId, expected, added: count })
  return count
}
