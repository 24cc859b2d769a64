// What a crashed (or stuck) sender left behind, settled without ever sending anything twice. Runs on start-up and
// in every worker pass:
// - a part still `submitting` after the grace period may or may not have reached the SMSC: it and its notice
//   become `unknown`, with an `sms_outcome_unknown` alert, and are never resent;
// - a claim whose lease ran out with no part in doubt goes back to `queued` (the parts not yet committed never
//   left, so the missing ones are sent later, at most once each);
// - a queued notice past its expiry is cancelled; a submitted one still lacking receipts long after is alerted.

import type { App } from '../app.ts'
import { audited, raiseAlert, recordAudit, recordAuditMany, runCommand, unchanged } from '../audit/index.ts'
import { isStopping } from '../platform/stopping.ts'
import { noticesInFlight, SENDER_ACTOR, sendDueNotices } from './sender.ts'
import { closeNotice } from './sender-steps.ts'
import { alertIfSmscDown } from './smsc-health.ts'

export interface RecoveryOptions {
  /** How long a part may stay `submitting` before it is called unknown (default 10 min: well past the submit timeout). */
  graceMs?: number
  /** How long a submitted notice may wait for its final receipts before an alert (default 48 h). */
  receiptAlertMs?: number
  batch?: number
}

export interface RecoverySummary {
  unknown: number
  resumed: number
  expired: number
  receiptsMissing: number
}

export async function recoverInterruptedSends(app: App, options: RecoveryOptions = {}): Promise<RecoverySummary> {
  const now = app.clock.now()
  const batch = options.batch ?? 500
  const cutoff = new Date(now.getTime() - (options.graceMs ?? 10 * 60_000))
  const busy = noticesInFlight()
  const summary: RecoverySummary = { unknown: 0, resumed: 0, expired: 0, receiptsMissing: 0 }

  const inDoubt = await app.db
    .selectFrom('sms_notice_parts as p')
    .innerJoin('sms_notices as n', 'n.id', 'p.notice_id')
    .select(['n.id', 'n.msisdn', 'n.purpose', 'n.dedupe_key', 'n.custody_id'])
    .where('p.state', '=', 'submitting')
    .where('p.submitting_at', '<', cutoff)
    .orderBy('p.submitting_at')
    .limit(batch)
    .execute()
  const seen = new Set<string>()
  for (const notice of inDoubt) {
    if (busy.has(notice.id) || seen.has(notice.id)) continue
    seen.add(notice.id)
    const moved = await runCommand(app.deps, SENDER_ACTOR, async (ctx) => {
      const parts = await ctx.tx
        .updateTable('sms_notice_parts')
        .set({ state: 'unknown', error: 'interrupted' })
        .where('notice_id', '=', notice.id)
        .where('state', '=', 'submitting')
        .where('submitting_at', '<', cutoff)
        .returning('part_index')
        .execute()
      if (parts.length === 0) return unchanged(false)
      const detail = { part_indexes: parts.map((p) => p.part_index) }
      return audited(true, await closeNotice(ctx, notice, 'unknown', 'interrupted', detail))
    })
    if (moved) summary.unknown++
  }

  const stale = await app.db
    .selectFrom('sms_notices as n')
    .select(['n.id', 'n.msisdn', 'n.claimed_by'])
    .where('n.state', '=', 'submitting')
    .where('n.claimed_until', '<', now)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('sms_notice_parts as p')
            .select('p.id')
            .whereRef('p.notice_id', '=', 'n.id')
            .where('p.state', '=', 'submitting'),
        ),
      ),
    )
    .limit(batch)
    .execute()
  for (const notice of stale) {
    if (busy.has(notice.id)) continue
    const resumed = await runCommand(app.deps, SENDER_ACTOR, async (ctx) => {
      const row = await ctx.tx
        .updateTable('sms_notices')
        .set({
          state: 'queued',
          state_reason: 'lease_expired',
          claimed_by: null,
          claimed_until: null,
          updated_at: ctx.now,
        })
        .where('id', '=', notice.id)
        .where('state', '=', 'submitting')
        .where('claimed_until', '<', ctx.now)
        .executeTakeFirst()
      if (Number(row.numUpdatedRows) !== 1) return unchanged(false)
      const receipt = await recordAudit(ctx, {
        action: 'sms.notice_requeued',
        msisdn: notice.msisdn,
        before: { state: 'submitting' },
        after: { state: 'queued' },
        data: { notice_id: notice.id, reason: 'lease_expired', claimed_by: notice.claimed_by },
      })
      return audited(true, [receipt])
    })
    if (resumed) summary.resumed++
  }

  summary.expired = await runCommand(app.deps, SENDER_ACTOR, async (ctx) => {
    const rows = await ctx.tx
      .updateTable('sms_notices')
      .set({ state: 'cancelled', state_reason: 'expired', sealed_secrets: null, updated_at: ctx.now })
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('sms_notices as e')
          .select('e.id')
          .where('e.state', '=', 'queued')
          .where('e.expires_at', '<=', ctx.now)
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('sms_notice_parts as p')
                  .select('p.id')
                  .whereRef('p.notice_id', '=', 'e.id')
                  .where('p.state', '<>', 'submit_failed'),
              ),
            ),
          )
          .limit(batch),
      )
      .where('state', '=', 'queued')
      .returning(['id', 'msisdn', 'dedupe_key'])
      .execute()
    const [first, ...rest] = await recordAuditMany(
      ctx,
      rows.map((r) => ({
        action: 'sms.notice_cancelled' as const,
        msisdn: r.msisdn,
        before: { state: 'queued' },
        after: { state: 'cancelled' },
        data: { notice_id: r.id, dedupe_key: r.dedupe_key, reason: 'expired' },
      })),
    )
    return first ? audited(rows.length, [first, ...rest]) : unchanged(0)
  })

  const waiting = await app.db
    .selectFrom('sms_notices')
    .select(['id', 'msisdn', 'purpose', 'dedupe_key', 'submitted_at', 'part_count'])
    .where('state', '=', 'submitted')
    .where('submitted_at', '<', new Date(now.getTime() - (options.receiptAlertMs ?? 48 * 3_600_000)))
    .where('receipt_alerted_at', 'is', null)
    .limit(batch)
    .execute()
  for (const notice of waiting) {
    await runCommand(app.deps, SENDER_ACTOR, async (ctx) => {
      await ctx.tx
        .updateTable('sms_notices')
        .set({ receipt_alerted_at: ctx.now })
        .where('id', '=', notice.id)
        .where('receipt_alerted_at', 'is', null)
        .execute()
      const about = { notice_id: notice.id, purpose: notice.purpose, dedupe_key: notice.dedupe_key }
      const receipt = await recordAudit(ctx, {
        action: 'sms.receipts_missing',
        msisdn: notice.msisdn,
        data: { ...about, submitted_at: notice.submitted_at, parts: notice.part_count },
      })
      const alert = await raiseAlert(ctx, {
        kind: 'sms_receipt_missing',
        severity: 'warning',
        msisdn: notice.msisdn,
        attempt: about,
      })
      return audited(null, [receipt, alert.receipt])
    })
    summary.receiptsMissing++
  }
  return summary
}

/**
 * The worker's SMS pass: settle what a crashed sender left, alert when the SMSC bind has been down too long, then
 * send due notices a batch at a time.
 */
export async function runSmsWork(
  app: App,
): Promise<{ sent: number; failed: number; unknown: number; bindDownAlerts: number }> {
  const recovered = await recoverInterruptedSends(app)
  const out = { sent: 0, failed: 0, unknown: recovered.unknown, bindDownAlerts: 0 }
  const link = app.sms
  if (!link) return out
  if (await alertIfSmscDown(app)) out.bindDownAlerts++
  for (let batch = 0; batch < 20 && !isStopping(app); batch++) {
    const pass = await sendDueNotices(app, link.transport, { limit: 100 })
    out.sent += pass.submitted
    out.failed += pass.failed
    out.unknown += pass.unknown
    if (pass.claimed === 0) break
  }
  return out
}
