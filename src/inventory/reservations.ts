import type { StaffActor } from '../access/index.ts'
import {
  type Audited,
  audited,
  type CommandContext,
  recordAudit,
  recordAuditMany,
  type Unchanged,
  unchanged,
} from '../audit/index.ts'
import { moveNumber, releaseExpiredLeases } from '../custody/index.ts'
import { ConflictError } from '../domain/errors.ts'
import type { NumberState } from '../domain/lifecycle.ts'
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
  await moveNumber(ctx, {
    msisdn,
    from: number.state as NumberState,
    to: 'reserved',
    lease: { by: agent.staffId, until },
  })
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
  await moveNumber(
    ctx,
    { msisdn, from: 'reserved', to: 'available', reservedBy: agent.staffId },
    () => new ConflictError('not_your_reservation', `${msisdn} is not reserved by you`, { msisdn }),
  )
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
  const expired = await releaseExpiredLeases(ctx, batch)
  if (expired.length === 0) return unchanged({ expired: 0 })
  const receipts = await recordAuditMany(
    ctx,
    expired.map((r) => ({
      action: 'number.reservation_expired' as const,
      msisdn: r.msisdn,
      before: { state: 'reserved', reserved_by: r.reserved_by },
      after: { state: 'available' },
    })),
  )
  return audited({ expired: expired.length }, receipts as [(typeof receipts)[0], ...typeof receipts])
}
