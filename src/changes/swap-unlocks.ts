// An UNLOCK takes effect 24 h after the holder asked (swap-lock.ts). The lock goes off by the clock alone; this
// worker step tells the holder that it did, once per unlock (the row remembers which unlocks_at it told them of,
// and the notice's dedupe key names it too), so a holder who did not ask can LOCK again at once.
import { sql } from 'kysely'
import type { App } from '../app.ts'
import { type AuditReceipt, audited, recordAudit, runCommand } from '../audit/index.ts'
import type { Actor } from '../domain/actor.ts'
import { DomainError } from '../domain/errors.ts'
import { noticeOfChange } from './holding.ts'

const SWAP_LOCK: Actor = { kind: 'system', component: 'sim-swap-lock' }

interface TakingEffect {
  custody_id: string
  msisdn: string
  unlocks_at: Date
}

/** Unlocks whose time has come and whose holder (still holding the number) has not been told yet. */
async function unlocksTakingEffect(app: App, now: Date, limit: number): Promise<TakingEffect[]> {
  const { rows } = await sql<TakingEffect>`
    SELECT l.custody_id, l.msisdn, l.unlocks_at FROM sim_swap_locks l
      JOIN custodies c ON c.id = l.custody_id AND c.ended_at IS NULL
     WHERE l.unlocks_at <= ${now} AND l.unlock_noticed_for IS DISTINCT FROM l.unlocks_at
     ORDER BY l.unlocks_at
     LIMIT ${limit}`.execute(app.db)
  return rows
}

/** Tells one holder their lock is off; nothing if a LOCK came in meanwhile or another worker told them first. */
async function tellHolder(app: App, due: TakingEffect): Promise<boolean> {
  return runCommand(app.deps, SWAP_LOCK, async (ctx) => {
    const unlocksAt = new Date(due.unlocks_at)
    const lock = await ctx.tx
      .selectFrom('sim_swap_locks as l')
      .innerJoin('custodies as c', 'c.id', 'l.custody_id')
      .innerJoin('subscribers as s', 's.id', 'c.subscriber_id')
      .select(['l.unlock_requested_at', 's.language', 'c.ended_at'])
      .where('l.custody_id', '=', due.custody_id)
      .where('l.unlocks_at', '=', unlocksAt)
      .where((eb) => eb.or([eb('l.unlock_noticed_for', 'is', null), eb('l.unlock_noticed_for', '<>', unlocksAt)]))
      .forUpdate('l')
      .executeTakeFirst()
    if (!lock || lock.ended_at !== null) return { result: false, receipts: [] as [] }
    const holding = { msisdn: due.msisdn, custody_id: due.custody_id, language: lock.language, alt_contact: null }
    const notice = await noticeOfChange(ctx, holding, {
      requestId: `${due.custody_id}:${unlocksAt.getTime()}`,
      purpose: 'sim_swap_unlocked',
      targets: ['number'],
      text: {
        en: `The SIM-swap lock on ${due.msisdn} is now off. Reply LOCK to turn it on again.`,
        km: `សោការពារការប្តូរស៊ីមលើលេខ ${due.msisdn} ត្រូវបានបិទហើយ។ ឆ្លើយតប LOCK ដើម្បីបើកវាវិញ។`,
      },
    })
    const moved = await ctx.tx
      .updateTable('sim_swap_locks')
      .set({ unlock_noticed_for: unlocksAt })
      .where('custody_id', '=', due.custody_id)
      .where('unlocks_at', '=', unlocksAt)
      .executeTakeFirst()
    if (Number(moved.numUpdatedRows) !== 1) throw new Error(`sim_swap_locks row of ${due.custody_id} moved under lock`)
    const receipt = await recordAudit(ctx, {
      action: 'sim_swap_lock.unlocked',
      msisdn: due.msisdn,
      before: { locked: true, unlocks_at: unlocksAt },
      after: { locked: false },
      data: {
        custody_id: due.custody_id,
        unlock_requested_at: lock.unlock_requested_at,
        unlocks_at: unlocksAt,
        notice_ids: notice.noticeIds,
      },
    })
    return audited(true, [receipt, ...(notice.receipts as AuditReceipt[])])
  })
}

/** The worker's step: tells every holder whose unlock took effect, in batches, until none is left. */
export async function noticeEffectiveUnlocks(app: App, batch = 100): Promise<{ noticed: number; failed: number }> {
  let noticed = 0
  let failed = 0
  const tried = new Set<string>()
  for (;;) {
    const due = (await unlocksTakingEffect(app, app.clock.now(), batch + tried.size)).filter(
      (d) => !tried.has(d.custody_id),
    )
    if (due.length === 0) break
    for (const d of due) {
      tried.add(d.custody_id)
      try {
        if (await tellHolder(app, d)) noticed++
      } catch (err) {
        // A notice that cannot be queued now (a refusal) is tried again next pass; anything else is a bug.
        if (!(err instanceof DomainError)) throw err
        failed++
        app.logger.warn({ custody_id: d.custody_id, code: err.code }, 'changes: unlock notice not queued')
      }
    }
  }
  return { noticed, failed }
}
