// The SIM-swap lock (DOMAIN; FCC 23-95's free account lock): turned on or off only by the holder, by SMS (`LOCK`,
// `UNLOCK`) or in a shop with their ID. On at once; off only 24 h after UNLOCK, with a notice, so a thief who
// got hold of the phone for a moment cannot unlock and swap in one go. The lock belongs to the holder's custody.
import type { Kysely } from 'kysely'
import { type Audited, type AuditReceipt, audited, type CommandContext, recordAudit } from '../audit/index.ts'
import type { DB } from '../db/types.ts'
import { type Holding, noticeOfChange, operatorTime } from './holding.ts'

export const UNLOCK_DELAY_HOURS = 24

export interface SwapLockView {
  locked: boolean
  locked_at: Date | null
  locked_via: 'sms' | 'shop' | null
  /** When an UNLOCK takes effect (the lock stays on until then). */
  unlocks_at: Date | null
}

export async function swapLockOf(db: Kysely<DB>, custodyId: string, now: Date): Promise<SwapLockView> {
  const row = await db.selectFrom('sim_swap_locks').selectAll().where('custody_id', '=', custodyId).executeTakeFirst()
  if (!row) return { locked: false, locked_at: null, locked_via: null, unlocks_at: null }
  const unlocksAt = row.unlocks_at ? new Date(row.unlocks_at) : null
  const locked = unlocksAt === null || unlocksAt > now
  return {
    locked,
    locked_at: locked ? row.locked_at : null,
    locked_via: locked ? row.locked_via : null,
    unlocks_at: locked ? unlocksAt : null,
  }
}

/** LOCK: on at once; an UNLOCK still waiting is withdrawn. Idempotent (a redelivered LOCK changes nothing). */
export async function lockSimSwaps(
  ctx: CommandContext,
  holding: Holding,
  via: 'sms' | 'shop',
  evidence: Record<string, unknown>,
): Promise<Audited<SwapLockView> | { result: SwapLockView; receipts: [] }> {
  const before = await swapLockOf(ctx.tx, holding.custody_id, ctx.now)
  if (before.locked && before.unlocks_at === null) return { result: before, receipts: [] }
  await ctx.tx
    .insertInto('sim_swap_locks')
    .values({
      custody_id: holding.custody_id,
      msisdn: holding.msisdn,
      locked_at: ctx.now,
      locked_via: via,
      updated_at: ctx.now,
    })
    .onConflict((oc) =>
      oc.column('custody_id').doUpdateSet({
        // A lock that is still on keeps its start; a lock that had run out starts again now.
        locked_at: before.locked ? (before.locked_at as Date) : ctx.now,
        locked_via: via,
        unlock_requested_at: null,
        unlocks_at: null,
        updated_at: ctx.now,
      }),
    )
    .execute()
  const after: SwapLockView = {
    locked: true,
    locked_at: before.locked ? before.locked_at : ctx.now,
    locked_via: via,
    unlocks_at: null,
  }
  const receipt = await recordAudit(ctx, {
    action: 'sim_swap_lock.locked',
    msisdn: holding.msisdn,
    before,
    after,
    data: { custody_id: holding.custody_id, via, unlock_withdrawn: before.unlocks_at !== null, ...evidence },
  })
  return audited(after, [receipt])
}

/** UNLOCK: the lock goes off 24 h later; the holder is told when, and how to stop it. Idempotent. */
export async function requestSwapUnlock(
  ctx: CommandContext,
  holding: Holding,
  via: 'sms' | 'shop',
  evidence: Record<string, unknown>,
): Promise<Audited<SwapLockView> | { result: SwapLockView; receipts: [] }> {
  const before = await swapLockOf(ctx.tx, holding.custody_id, ctx.now)
  if (!before.locked || before.unlocks_at !== null) return { result: before, receipts: [] }
  const unlocksAt = new Date(ctx.now.getTime() + UNLOCK_DELAY_HOURS * 3_600_000)
  await ctx.tx
    .updateTable('sim_swap_locks')
    .set({ unlock_requested_at: ctx.now, unlocks_at: unlocksAt, updated_at: ctx.now })
    .where('custody_id', '=', holding.custody_id)
    .where('unlocks_at', 'is', null)
    .execute()
  const when = operatorTime(unlocksAt)
  const notice = await noticeOfChange(ctx, holding, {
    requestId: `${holding.custody_id}:${ctx.now.getTime()}`,
    purpose: 'sim_swap_unlock',
    targets: ['number'],
    text: {
      en: `The SIM-swap lock on ${holding.msisdn} will be turned off on ${when}. If you did not ask for this, reply LOCK now.`,
      km: `សោការពារការប្តូរស៊ីមលើលេខ ${holding.msisdn} នឹងត្រូវបិទនៅ ${when}។ ប្រសិនបើអ្នកមិនបានស្នើសុំទេ សូមឆ្លើយតប LOCK ឥឡូវនេះ។`,
    },
  })
  const after: SwapLockView = { ...before, unlocks_at: unlocksAt }
  const receipt = await recordAudit(ctx, {
    action: 'sim_swap_lock.unlock_requested',
    msisdn: holding.msisdn,
    before,
    after,
    data: { custody_id: holding.custody_id, via, unlocks_at: unlocksAt, notice_ids: notice.noticeIds, ...evidence },
  })
  return audited(after, [receipt, ...(notice.receipts as AuditReceipt[])])
}
