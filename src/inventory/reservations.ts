import { sql } from 'kysely'
import type { StaffActor } from '../access/policies.ts'
import {
  type Audited,
  audited,
  type CommandContext,
  recordAudit,
  recordAuditMany,
  type Unchanged,
  unchanged,
} from '../audit/record.ts'
import { ConflictError } from '../domain/errors.ts'
import { lockNumber } from './queries.ts'
import { refuseHandOver } from './refusals.ts'

/** Leases an available number (or one whose lease ran out) to an agent for a sale. */
export async function reserveNumber(
  ctx: CommandContext,
  agent: StaffActor,
  msisdn: string,
  leaseMinutes: number,
): Promise<Audited<{ msisdn: string; state: 'reserved'; reserved_until: Date }>> {
  const number = await lockNumber(ctx.tx, msisdn)
  // An agent may renew their own lease, or take a number whose lease ran out.
  const renewable =
    number.state === 'reserved' &&
    (number.reserved_by === agent.staffId || new Date(number.reserved_until ?? 0) <= ctx.now)
  if (number.state !== 'available' && !renewable) throw refuseHandOver(number, 'reserve', ctx.now, agent.staffId)
  const until = new Date(ctx.now.getTime() + leaseMinutes * 60_000)
  await ctx.tx
    .updateTable('numbers')
    .set({ state: 'reserved', reserved_by: agent.staffId, reserved_until: until, state_changed_at: ctx.now })
    .where('msisdn', '=', msisdn)
    .where('state', '=', number.state)
    .execute()
  const receipt = await recordAudit(ctx, {
    action: 'number.reserved',
    msisdn,
    before: { state: number.state },
    after: { state: 'reserved', reserved_until: until },
  })
  return audited({ msisdn, state: 'reserved', reserved_until: until }, [receipt])
}

export async function releaseNumber(
  ctx: CommandContext,
  agent: StaffActor,
  msisdn: string,
): Promise<Audited<{ msisdn: string; state: 'available' }>> {
  const released = await ctx.tx
    .updateTable('numbers')
    .set({ state: 'available', reserved_by: null, reserved_until: null, state_changed_at: ctx.now })
    .where('msisdn', '=', msisdn)
    .where('state', '=', 'reserved')
    .where('reserved_by', '=', agent.staffId)
    .executeTakeFirst()
  if (Number(released.numUpdatedRows) !== 1) {
    throw new ConflictError('not_your_reservation', `${msisdn} is not reserved by you`, { msisdn })
  }
  const receipt = await recordAudit(ctx, {
    action: 'number.released',
    msisdn,
    before: { state: 'reserved' },
    after: { state: 'available' },
  })
  return audited({ msisdn, state: 'available' }, [receipt])
}

/** Returns numbers whose lease ran out to the pool, a batch at a time, skipping rows another worker holds. */
export async function expireReservations(
  ctx: CommandContext,
  batch = 500,
): Promise<Audited<{ expired: number }> | Unchanged<{ expired: number }>> {
  const expired = await sql<{ msisdn: string; reserved_by: string }>`
    WITH due AS (
      SELECT msisdn, reserved_by FROM numbers
       WHERE state = 'reserved' AND reserved_until <= ${ctx.now}
       ORDER BY reserved_until LIMIT ${batch} FOR UPDATE SKIP LOCKED)
    UPDATE numbers n SET state = 'available', reserved_by = NULL, reserved_until = NULL, state_changed_at = ${ctx.now}
      FROM due WHERE n.msisdn = due.msisdn
    RETURNING n.msisdn, due.reserved_by`.execute(ctx.tx)
  if (expired.rows.length === 0) return unchanged({ expired: 0 })
  const receipts = await recordAuditMany(
    ctx,
    expired.rows.map((r) => ({
      action: 'number.reservation_expired' as const,
      msisdn: r.msisdn,
      before: { state: 'reserved', reserved_by: r.reserved_by },
      after: { state: 'available' },
    })),
  )
  return audited({ expired: expired.rows.length }, receipts as [(typeof receipts)[0], ...typeof receipts])
}
