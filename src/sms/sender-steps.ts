// The sender's committed steps. Each is its own short transaction; none is held across an SMPP round trip.
// Order per part: commit `submitting` (with its audit record) → the bytes go out → record the answer.
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import {
  type Audited,
  type AuditReceipt,
  audited,
  type CommandContext,
  raiseAlert,
  recordAudit,
  recordAuditMany,
  type Unchanged,
  unchanged,
} from '../audit/index.ts'
import { messageKey } from './message-ids.ts'
import { lockMessageKeys, matchStoredReceipts, settleNotice } from './receipts.ts'
import { type EncodedPart, SmppSubmitError } from './transport.ts'

export interface ClaimedNotice {
  id: string
  msisdn: string
  to_address: string
  purpose: string
  dedupe_key: string
  custody_id: string | null
  template: string
  language: 'km' | 'en'
  params: unknown
  sealed_secrets: Buffer | null
  priority: 'otp' | 'bulk'
  part_count: number | null
  concat_ref: number
  attempts: number
}

const CLAIMED_COLUMNS = sql.raw(
  'n.id, n.msisdn, n.to_address, n.purpose, n.dedupe_key, n.custody_id, n.template, n.language, n.params, ' +
    'n.sealed_secrets, n.priority, n.part_count, n.concat_ref, n.attempts',
)

/**
 * Claims due notices (one-time codes first), leasing them to this sender. Outside the send window only notices
 * that ignore it are due. Rows another sender holds are skipped, never waited for.
 */
export async function claimNotices(
  ctx: CommandContext,
  /** inWindow: whether bulk notices may go now, or the markets whose send window is open now. */
  options: { limit: number; senderId: string; leaseUntil: Date; inWindow: boolean | readonly string[] },
): Promise<Audited<ClaimedNotice[]> | Unchanged<ClaimedNotice[]>> {
  const claimed: ClaimedNotice[] = []
  for (const lane of ['otp', 'bulk'] as const) {
    const room = options.limit - claimed.length
    if (room <= 0) break
    const inWindow =
      typeof options.inWindow === 'boolean'
        ? sql`${options.inWindow}`
        : sql`coalesce(market_of_number(msisdn), 'KH') = ANY (${[...options.inWindow]}::text[])`
    const rows = await sql<ClaimedNotice>`
      WITH due AS (
        SELECT id FROM sms_notices
         WHERE state = 'queued' AND priority = ${lane} AND not_before <= ${ctx.now}
           AND (expires_at IS NULL OR expires_at > ${ctx.now})
           AND (${inWindow} OR NOT respect_send_window)
         ORDER BY not_before, created_at
         LIMIT ${room} FOR UPDATE SKIP LOCKED)
      UPDATE sms_notices n
         SET state = 'submitting', claimed_by = ${options.senderId}, claimed_until = ${options.leaseUntil},
             attempts = n.attempts + 1, state_reason = NULL, updated_at = ${ctx.now}
        FROM due WHERE n.id = due.id
      RETURNING ${CLAIMED_COLUMNS}`.execute(ctx.tx)
    claimed.push(...rows.rows)
  }
  if (claimed.length === 0) return unchanged(claimed)
  const receipt = await recordAudit(ctx, {
    action: 'sms.notices_claimed',
    data: { notice_ids: claimed.map((n) => n.id), sender: options.senderId, lease_until: options.leaseUntil },
  })
  return audited(claimed, [receipt])
}

/** The live part rows of a notice by index (what an earlier attempt already sent). */
export async function liveParts(ctx: CommandContext, noticeId: string): Promise<Map<number, string>> {
  const rows = await ctx.tx
    .selectFrom('sms_notice_parts')
    .select(['part_index', 'state'])
    .where('notice_id', '=', noticeId)
    .where('state', '<>', 'submit_failed')
    .execute()
  return new Map(rows.map((r) => [r.part_index, r.state]))
}

/**
 * Commits a part as `submitting` before its bytes go out. Returns null when the notice is no longer this sender's
 * (its lease ran out and it was taken back): then nothing may be sent.
 */
export async function commitSubmitting(
  ctx: CommandContext,
  notice: ClaimedNotice,
  part: EncodedPart,
  senderId: string,
): Promise<Audited<string | null> | Unchanged<string | null>> {
  const mine = await ctx.tx
    .updateTable('sms_notices')
    .set({ part_count: part.count, updated_at: ctx.now })
    .where('id', '=', notice.id)
    .where('state', '=', 'submitting')
    .where('claimed_by', '=', senderId)
    .executeTakeFirst()
  if (Number(mine.numUpdatedRows) !== 1) return unchanged(null)
  const id = randomUUID()
  // The partial unique index refuses a second live row for this part: at most once, whatever raced us.
  await ctx.tx
    .insertInto('sms_notice_parts')
    .values({
      id,
      notice_id: notice.id,
      part_index: part.index,
      part_count: part.count,
      attempt: notice.attempts,
      state: 'submitting',
      data_coding: part.dataCoding,
      submitting_at: ctx.now,
    })
    .execute()
  const receipt = await recordAudit(ctx, {
    action: 'sms.part_submitting',
    msisdn: notice.msisdn,
    data: { notice_id: notice.id, part_id: id, part_index: part.index, part_count: part.count, sender: senderId },
  })
  return audited(id, [receipt])
}

/** Records the SMSC's message id, matches receipts that came first, and completes the notice after its last part. */
export async function recordSubmitted(
  ctx: CommandContext,
  notice: ClaimedNotice,
  partId: string,
  messageId: string,
): Promise<Audited<{ notice: string }>> {
  await lockMessageKeys(ctx.tx, messageId)
  const row = await ctx.tx
    .updateTable('sms_notice_parts')
    .set({ state: 'submitted', message_id: messageId, message_key: messageKey(messageId), submitted_at: ctx.now })
    .where('id', '=', partId)
    .where('state', '=', 'submitting')
    .returning(['id', 'notice_id', 'part_index', 'state', 'message_id'])
    .executeTakeFirst()
  const receipts: AuditReceipt[] = []
  if (row) {
    receipts.push(
      await recordAudit(ctx, {
        action: 'sms.part_submitted',
        msisdn: notice.msisdn,
        data: { notice_id: notice.id, part_id: partId, part_index: row.part_index, message_id: messageId },
      }),
    )
    await matchStoredReceipts(ctx, row)
  } else {
    // The answer came after the part was declared unknown (a lease ran out): keep the id, the outcome stays unknown.
    await ctx.tx
      .updateTable('sms_notice_parts')
      .set({ message_id: messageId, message_key: messageKey(messageId) })
      .where('id', '=', partId)
      .where('state', '=', 'unknown')
      .where('message_id', 'is', null)
      .execute()
    receipts.push(
      await recordAudit(ctx, {
        action: 'sms.part_submitted',
        msisdn: notice.msisdn,
        data: { notice_id: notice.id, part_id: partId, message_id: messageId, late_for_unknown_part: true },
      }),
    )
  }
  const completed = await completeNotice(ctx, notice)
  if (completed) receipts.push(...completed)
  return audited({ notice: completed ? 'submitted' : 'submitting' }, [receipts[0], ...receipts.slice(1)])
}

/** A notice all of whose parts have message ids is `submitted` (and may already be evidence); its secrets go. */
export async function completeNotice(
  ctx: CommandContext,
  notice: Pick<ClaimedNotice, 'id' | 'msisdn'>,
): Promise<[AuditReceipt, ...AuditReceipt[]] | null> {
  const done = await sql<{ part_count: number | null; sent: number }>`
    SELECT n.part_count, (SELECT count(*)::int FROM sms_notice_parts p
                           WHERE p.notice_id = n.id AND p.state IN ('submitted', 'final')) AS sent
      FROM sms_notices n WHERE n.id = ${notice.id}`.execute(ctx.tx)
  const r = done.rows[0]
  if (!r?.part_count || r.sent !== r.part_count) return null
  const moved = await ctx.tx
    .updateTable('sms_notices')
    .set({ state: 'submitted', submitted_at: ctx.now, sealed_secrets: null, claimed_until: null, updated_at: ctx.now })
    .where('id', '=', notice.id)
    .where('state', '=', 'submitting')
    .executeTakeFirst()
  if (Number(moved.numUpdatedRows) !== 1) return null
  const submitted = await recordAudit(ctx, {
    action: 'sms.notice_submitted',
    msisdn: notice.msisdn,
    before: { state: 'submitting' },
    after: { state: 'submitted' },
    data: { notice_id: notice.id, parts: r.part_count },
  })
  const evidenced = await settleNotice(ctx, notice.id)
  return evidenced ? [submitted, evidenced] : [submitted]
}

export type SubmitOutcome = 'requeued' | 'failed' | 'unknown'

/**
 * What a refused or unanswered submit means. `not_bound` and `throttled`: the SMSC never took the part, so the
 * notice waits and tries the missing parts again. `rejected`: refused for good. A timeout or anything unexpected:
 * the part may have gone out, so its outcome is unknown and it is never sent again.
 */
export async function recordSubmitError(
  ctx: CommandContext,
  notice: ClaimedNotice,
  partId: string,
  err: unknown,
  maxAttempts: number,
): Promise<Audited<SubmitOutcome>> {
  const code = err instanceof SmppSubmitError ? err.code : 'error'
  const commandStatus = err instanceof SmppSubmitError ? err.commandStatus : null
  const detail = { notice_id: notice.id, part_id: partId, error: code, command_status: commandStatus }
  const notSent = code === 'not_bound' || code === 'throttled'
  const outcome: SubmitOutcome =
    notSent && notice.attempts < maxAttempts ? 'requeued' : notSent || code === 'rejected' ? 'failed' : 'unknown'
  await ctx.tx
    .updateTable('sms_notice_parts')
    .set({ state: outcome === 'unknown' ? 'unknown' : 'submit_failed', error: code })
    .where('id', '=', partId)
    .where('state', '=', 'submitting')
    .execute()
  if (outcome === 'requeued') {
    const backoffMs = Math.min(30, 2 ** (notice.attempts - 1)) * 60_000
    const notBefore = new Date(ctx.now.getTime() + backoffMs)
    await ctx.tx
      .updateTable('sms_notices')
      .set({
        state: 'queued',
        state_reason: code,
        not_before: notBefore,
        claimed_by: null,
        claimed_until: null,
        updated_at: ctx.now,
      })
      .where('id', '=', notice.id)
      .where('state', '=', 'submitting')
      .execute()
    const receipt = await recordAudit(ctx, {
      action: 'sms.notice_requeued',
      msisdn: notice.msisdn,
      before: { state: 'submitting' },
      after: { state: 'queued', not_before: notBefore },
      data: { ...detail, attempts: notice.attempts },
    })
    return audited(outcome, [receipt])
  }
  return audited(outcome, await closeNotice(ctx, notice, outcome, code, detail))
}

/** Ends a send that cannot be evidence: `failed` or `unknown`, with its audit record and a warning alert. */
export async function closeNotice(
  ctx: CommandContext,
  notice: Pick<ClaimedNotice, 'id' | 'msisdn' | 'purpose' | 'dedupe_key' | 'custody_id'>,
  state: 'failed' | 'unknown',
  reason: string,
  detail: Record<string, unknown>,
): Promise<[AuditReceipt, ...AuditReceipt[]]> {
  const moved = await ctx.tx
    .updateTable('sms_notices')
    .set({ state, state_reason: reason, sealed_secrets: null, claimed_until: null, updated_at: ctx.now })
    .where('id', '=', notice.id)
    .where('state', '=', 'submitting')
    .executeTakeFirst()
  const about = { notice_id: notice.id, purpose: notice.purpose, dedupe_key: notice.dedupe_key, reason, ...detail }
  const [record] = await recordAuditMany(ctx, [
    {
      action: state === 'failed' ? 'sms.notice_failed' : 'sms.outcome_unknown',
      msisdn: notice.msisdn,
      before: { state: 'submitting' },
      after: { state },
      data: { ...about, custody_id: notice.custody_id, moved: Number(moved.numUpdatedRows) === 1 },
    },
  ])
  if (Number(moved.numUpdatedRows) !== 1) return [record]
  const alert = await raiseAlert(ctx, {
    kind: state === 'failed' ? 'sms_submit_failed' : 'sms_outcome_unknown',
    severity: 'warning',
    msisdn: notice.msisdn,
    attempt: about,
  })
  return [record, alert.receipt]
}
