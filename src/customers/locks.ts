// Releasing an agent's lockout on a number before it runs out (24 h). Four eyes as elsewhere: a compliance officer,
// or a supervisor of another shop than the agent's — a supervisor of the same shop could be the agent's accomplice.
import type { StaffActor } from '../access/index.ts'
import { type Audited, audited, type CommandContext, recordAudit } from '../audit/index.ts'
import { ConflictError, ForbiddenError, NotFoundError } from '../domain/errors.ts'
import { presentLock } from './presenters.ts'
import { findLock } from './queries.ts'

/** Whether `actor` may release a lock on `lock.staff_id` of `lock.shop_id` (deny by default). */
export function canReleaseLock(actor: StaffActor, lock: { staff_id: string; shop_id: string | null }): boolean {
  if (actor.staffId === lock.staff_id) return false
  if (actor.roles.includes('compliance_officer')) return true
  return actor.roles.includes('supervisor') && actor.shopId !== null && actor.shopId !== lock.shop_id
}

export async function releaseCustomerAuthLock(
  ctx: CommandContext,
  actor: StaffActor,
  lockId: string,
  reason: string,
): Promise<Audited<ReturnType<typeof presentLock>>> {
  const lock = await findLock(ctx.tx, lockId)
  if (!lock) throw new NotFoundError('customer authentication lock', lockId)
  const attempt = { action: 'customer_session.release_lock', lock_id: lockId, locked_staff_id: lock.staff_id }
  if (!canReleaseLock(actor, lock))
    throw new ForbiddenError(
      'release_customer_auth_locks',
      actor.staffId === lock.staff_id
        ? 'You cannot release your own lock: ask a supervisor of another shop or a compliance officer'
        : 'Only a supervisor of another shop than the agent’s, or a compliance officer, may release this lock',
    ).withAlert({ kind: 'customer_lock_release_refused', severity: 'warning', msisdn: lock.msisdn, attempt })
  const released = await ctx.tx
    .updateTable('customer_auth_locks')
    .set({ released_at: ctx.now, released_by: actor.staffId, release_reason: reason })
    .where('id', '=', lockId)
    .where('released_at', 'is', null)
    .where('locked_until', '>', ctx.now)
    .executeTakeFirst()
  if (Number(released.numUpdatedRows) !== 1)
    throw new ConflictError('lock_not_active', 'This lock has already been released or has run out', {
      lock_id: lockId,
    })
  const receipt = await recordAudit(ctx, {
    action: 'customer_session.lock_released',
    msisdn: lock.msisdn,
    before: { lock_id: lockId, locked_until: lock.locked_until },
    after: { lock_id: lockId, released_at: ctx.now },
    data: { lock_id: lockId, staff_id: lock.staff_id, reason },
  })
  const after = { ...lock, released_at: ctx.now, released_by: actor.staffId, release_reason: reason }
  return audited(presentLock({ ...after, released_by_username: actor.username }, ctx.now), [receipt])
}
