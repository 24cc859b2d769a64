// Delivery receipts: every one is stored, matched to its part by message id (hex or decimal), and a notice becomes
// evidence only when every part has a final receipt. A receipt may arrive before the sender has recorded the
// submit response; it is kept unmatched and matched when the part's message id is recorded.
import { randomUUID } from 'node:crypto'
import { sql, type Transaction } from 'kysely'
import type { App } from '../app.ts'
import { type AuditReceipt, audited, type CommandContext, recordAudit, runCommand } from '../audit/index.ts'
import type { DB } from '../db/types.ts'
import type { SmsNoticePartsTable } from '../db/types-sms.ts'
import type { Actor } from '../domain/actor.ts'
import { messageKey, messageKeyCandidates } from './message-ids.ts'
import { type DeliveryReceipt, sameMessageId } from './transport.ts'

export const SMSC_ACTOR: Actor = { kind: 'system', component: 'smsc' }

type PartRow = Pick<SmsNoticePartsTable, 'id' | 'notice_id' | 'part_index' | 'state' | 'message_id'> & {
  state: string
}

/** The SMSC copies the start of the body into `text:`; a body may hold a code, so that field is never stored. */
export function scrubReceiptText(raw: string): string {
  return raw.replace(/\btext:.*$/is, 'text:(not stored)').slice(0, 500)
}

/**
 * Serialises the receipt side and the submit side of one message id, so a receipt and the submit response that
 * commit at the same moment cannot both miss each other. Both sides lock every key either id could match under.
 */
export async function lockMessageKeys(tx: Transaction<DB>, messageId: string): Promise<void> {
  for (const key of messageKeyCandidates(messageId).sort())
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`numguard.sms.message.${key}`}))`.execute(tx)
}

async function findPart(tx: Transaction<DB>, messageId: string): Promise<PartRow | undefined> {
  const rows = await tx
    .selectFrom('sms_notice_parts')
    .select(['id', 'notice_id', 'part_index', 'state', 'message_id'])
    .where('message_key', 'in', messageKeyCandidates(messageId))
    .where('state', 'in', ['submitted', 'final', 'unknown'])
    .orderBy('submitted_at', 'desc')
    .forUpdate()
    .execute()
  const same = rows.filter((r) => r.message_id !== null && sameMessageId(r.message_id, messageId))
  // SMSC ids can be reused after a long time: the part still waiting for its receipt wins, and an id written the
  // same way wins over one that only matches read in the other base.
  const exact = (r: PartRow) => r.message_id?.toLowerCase() === messageId.trim().toLowerCase()
  const waiting = same.filter((r) => r.state === 'submitted')
  return waiting.find(exact) ?? waiting[0] ?? same.find(exact) ?? same[0]
}

export interface RecordedReceipt {
  receiptId: string
  partId: string | null
  noticeId: string | null
  /** The notice became evidence with this receipt. */
  evidenced: boolean
}

/** Stores a receipt as it arrives from the SMSC, matching it to its part when the part's message id is known. */
export async function recordReceipt(app: App, receipt: DeliveryReceipt): Promise<RecordedReceipt> {
  return runCommand(app.deps, SMSC_ACTOR, async (ctx) => {
    await lockMessageKeys(ctx.tx, receipt.messageId)
    const part = await findPart(ctx.tx, receipt.messageId)
    const id = randomUUID()
    await ctx.tx
      .insertInto('sms_receipts')
      .values({
        id,
        message_id: receipt.messageId,
        message_key: messageKey(receipt.messageId),
        state: receipt.state,
        final: receipt.final,
        done_at: receipt.doneAt,
        error: receipt.error,
        raw: scrubReceiptText(receipt.raw),
        received_at: ctx.now,
        part_id: part?.id ?? null,
        matched_at: part ? ctx.now : null,
      })
      .execute()
    const receipts: AuditReceipt[] = [
      await recordAudit(ctx, {
        action: 'sms.receipt_recorded',
        data: {
          receipt_id: id,
          message_id: receipt.messageId,
          state: receipt.state,
          final: receipt.final,
          part_id: part?.id ?? null,
          notice_id: part?.notice_id ?? null,
        },
      }),
    ]
    let evidenced = false
    if (part) {
      const settled = await applyReceipt(ctx, part, { ...receipt, raw: scrubReceiptText(receipt.raw) }, ctx.now)
      if (settled) {
        receipts.push(settled)
        evidenced = true
      }
    }
    const [first, ...rest] = receipts
    return audited({ receiptId: id, partId: part?.id ?? null, noticeId: part?.notice_id ?? null, evidenced }, [
      first,
      ...rest,
    ])
  })
}

/**
 * Applies a receipt to its part: a final one makes the part final (the first final receipt wins), an interim one is
 * only noted. Returns the `sms.notice_evidenced` record when this made the whole notice evidence.
 */
async function applyReceipt(
  ctx: CommandContext,
  part: PartRow,
  receipt: Pick<DeliveryReceipt, 'state' | 'final' | 'raw'>,
  receivedAt: Date,
): Promise<AuditReceipt | undefined> {
  if (part.state === 'final') return undefined
  if (receipt.final && part.state === 'submitted') {
    await ctx.tx
      .updateTable('sms_notice_parts')
      .set({ state: 'final', receipt_state: receipt.state, receipt_at: receivedAt, receipt_raw: receipt.raw })
      .where('id', '=', part.id)
      .where('state', '=', 'submitted')
      .execute()
    part.state = 'final'
    return settleNotice(ctx, part.notice_id)
  }
  // Interim (ENROUTE, ACCEPTD…), or a part whose outcome is unknown: noted, never evidence.
  await ctx.tx
    .updateTable('sms_notice_parts')
    .set({ receipt_state: receipt.state, receipt_raw: receipt.raw })
    .where('id', '=', part.id)
    .where('state', 'in', ['submitted', 'unknown'])
    .execute()
  return undefined
}

/** Matches receipts that arrived before this part's message id was recorded; called in the sender's transaction. */
export async function matchStoredReceipts(
  ctx: CommandContext,
  part: PartRow,
): Promise<{ matched: number; evidenced?: AuditReceipt }> {
  if (!part.message_id) return { matched: 0 }
  const rows = await ctx.tx
    .selectFrom('sms_receipts')
    .select(['id', 'message_id', 'state', 'final', 'raw', 'received_at'])
    .where('part_id', 'is', null)
    .where('message_key', 'in', messageKeyCandidates(part.message_id))
    .orderBy('received_at')
    .forUpdate()
    .execute()
  const mine = rows.filter((r) => sameMessageId(r.message_id, part.message_id as string))
  let evidenced: AuditReceipt | undefined
  for (const r of mine) {
    await ctx.tx
      .updateTable('sms_receipts')
      .set({ part_id: part.id, matched_at: ctx.now })
      .where('id', '=', r.id)
      .execute()
    evidenced =
      (await applyReceipt(ctx, part, { ...r, state: r.state as DeliveryReceipt['state'] }, r.received_at)) ?? evidenced
  }
  return { matched: mine.length, evidenced }
}

/**
 * A submitted notice whose every part has a final receipt becomes evidenced, with `last_final_at` the instant the
 * last final receipt arrived. The audit record carries what the audit verifier checks withdrawals against.
 */
export async function settleNotice(ctx: CommandContext, noticeId: string): Promise<AuditReceipt | undefined> {
  const notice = await ctx.tx
    .selectFrom('sms_notices')
    .select(['id', 'msisdn', 'state', 'part_count', 'custody_id', 'purpose', 'dedupe_key'])
    .where('id', '=', noticeId)
    // Two parts' receipts can finish in two transactions at once; the notice lock makes the second see the first's
    // final part (each statement reads afresh under READ COMMITTED), so one of them always settles the notice.
    .forUpdate()
    .executeTakeFirstOrThrow()
  if (notice.state !== 'submitted' || !notice.part_count) return undefined
  const finals = await ctx.tx
    .selectFrom('sms_notice_parts')
    .select(['part_index', 'receipt_state', 'receipt_at', 'message_id'])
    .where('notice_id', '=', noticeId)
    .where('state', '=', 'final')
    .orderBy('part_index')
    .execute()
  if (finals.length !== notice.part_count) return undefined
  const lastFinalAt = new Date(Math.max(...finals.map((f) => new Date(f.receipt_at as Date).getTime())))
  const moved = await ctx.tx
    .updateTable('sms_notices')
    .set({ state: 'evidenced', evidenced_at: ctx.now, last_final_at: lastFinalAt, updated_at: ctx.now })
    .where('id', '=', noticeId)
    .where('state', '=', 'submitted')
    .executeTakeFirst()
  if (Number(moved.numUpdatedRows) !== 1) return undefined
  return recordAudit(ctx, {
    action: 'sms.notice_evidenced',
    msisdn: notice.msisdn,
    before: { state: 'submitted' },
    after: { state: 'evidenced' },
    data: {
      notice_id: noticeId,
      custody_id: notice.custody_id,
      purpose: notice.purpose,
      dedupe_key: notice.dedupe_key,
      parts: notice.part_count,
      final_states: finals.map((f) => f.receipt_state),
      message_ids: finals.map((f) => f.message_id),
      last_final_at: lastFinalAt.toISOString(),
    },
  })
}
