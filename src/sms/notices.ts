// Queueing and cancelling notices: run inside the caller's transaction, so a notice exists exactly when the step
// that owes it (a warning, a withdrawal, a request) commits.
import { randomInt, randomUUID } from 'node:crypto'
import { type AuditReceipt, type CommandContext, recordAudit } from '../audit/index.ts'
import { NotFoundError, ValidationError } from '../domain/errors.ts'
import { nextSendTime } from '../domain/send-window.ts'
import { sendPolicy } from './queries.ts'
import { sealSecrets } from './secrets.ts'
import { isNoticeTemplate, type Language, type NoticeTemplate, renderNotice, type TemplateParams } from './templates.ts'
import type { SmsPriority } from './transport.ts'

export interface QueueNoticeInput {
  /** The number the notice is about (E.164). */
  msisdn: string
  /** Where it goes when not to the number itself (the alternate contact); digits with an optional `+`. */
  to?: string
  /** What it is for: inactivity_warning, suspension, withdrawal, reclaim, consent_code, … (snake_case). */
  purpose: string
  /** Idempotency: queueing the same key again returns the first notice (e.g. `warning:<custody>:<cycle>:<stage>`). */
  dedupeKey: string
  language: Language
  template: NoticeTemplate
  params: TemplateParams
  /** 'otp' goes before every 'bulk' notice and ignores the send window by default. */
  priority?: SmsPriority
  /** Default: true for bulk, false for otp. Outside the window the notice waits for its next opening. */
  respectSendWindow?: boolean
  custodyId?: string
  /**
   * Secret parameters (one-time codes): sealed under a key derived from `key` (NUMGUARD_KYC_KEY), shown as
   * asterisks in the stored body and the audit, wiped once the notice is sent. The sender needs the same key.
   */
  secrets?: { values: Record<string, string>; key: string }
  /** Not sent by then: cancelled instead (a code that arrives too late is useless). */
  expiresAt?: Date
}

export interface QueuedNotice {
  noticeId: string
  created: boolean
  /** The `sms.notice_queued` record when the notice was created (the caller may list it among its receipts). */
  receipt?: AuditReceipt
}

const PURPOSE = /^[a-z][a-z0-9_]{0,63}$/
const ADDRESS = /^\+?[0-9]{3,20}$/

function check(input: QueueNoticeInput): void {
  if (!ADDRESS.test(input.msisdn)) throw new ValidationError('msisdn', 'msisdn must be an E.164 number')
  if (input.to !== undefined && !ADDRESS.test(input.to))
    throw new ValidationError('to', 'to must be a phone number (digits, optional +): an SMS cannot go elsewhere')
  if (!PURPOSE.test(input.purpose)) throw new ValidationError('purpose', 'purpose must be snake_case, e.g. withdrawal')
  if (!input.dedupeKey || input.dedupeKey.length > 200)
    throw new ValidationError('dedupeKey', 'dedupeKey must have 1 to 200 characters')
  if (input.language !== 'km' && input.language !== 'en')
    throw new ValidationError('language', 'language must be km or en')
  if (!isNoticeTemplate(input.template)) throw new ValidationError('template', `no template ${input.template}`)
  if (input.priority !== undefined && input.priority !== 'otp' && input.priority !== 'bulk')
    throw new ValidationError('priority', 'priority must be otp or bulk')
  for (const name of Object.keys(input.secrets?.values ?? {}))
    if (name in input.params)
      throw new ValidationError(`params.${name}`, `${name} is given both as a secret and in clear`)
}

/** Queues a notice in the caller's transaction; idempotent on `dedupeKey`. */
export async function queueNotice(ctx: CommandContext, input: QueueNoticeInput): Promise<QueuedNotice> {
  check(input)
  const existing = await findByDedupeKey(ctx, input.dedupeKey)
  if (existing) return existing
  const priority = input.priority ?? 'bulk'
  const respectSendWindow = input.respectSendWindow ?? priority === 'bulk'
  const secretValues = input.secrets?.values ?? {}
  const secretNames = Object.keys(secretValues)
  const bodyMasked = renderNotice(input.template, input.language, { ...input.params, ...secretValues }, secretNames)
  const policy = await sendPolicy(ctx.tx, ctx.now, input.msisdn)
  const notBefore = respectSendWindow ? nextSendTime(ctx.now, policy.window, policy.timeZone) : ctx.now
  const id = randomUUID()
  const inserted = await ctx.tx
    .insertInto('sms_notices')
    .values({
      id,
      msisdn: input.msisdn,
      to_address: input.to ?? input.msisdn,
      purpose: input.purpose,
      dedupe_key: input.dedupeKey,
      custody_id: input.custodyId ?? null,
      language: input.language,
      template: input.template,
      params: JSON.stringify(input.params),
      sealed_secrets: secretNames.length > 0 ? sealSecrets(secretKey(input), id, secretValues) : null,
      body_masked: bodyMasked,
      priority,
      respect_send_window: respectSendWindow,
      not_before: notBefore,
      expires_at: input.expiresAt ?? null,
      concat_ref: randomInt(0, 256),
      created_at: ctx.now,
      updated_at: ctx.now,
    })
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .returning('id')
    .executeTakeFirst()
  // Another transaction queued the same key first and has committed since: that notice is the one.
  if (!inserted) return (await findByDedupeKey(ctx, input.dedupeKey)) as QueuedNotice
  const receipt = await recordAudit(ctx, {
    action: 'sms.notice_queued',
    msisdn: input.msisdn,
    after: { notice_id: id, state: 'queued', not_before: notBefore },
    data: {
      notice_id: id,
      purpose: input.purpose,
      dedupe_key: input.dedupeKey,
      custody_id: input.custodyId ?? null,
      template: input.template,
      language: input.language,
      priority,
      to_alternate_contact: input.to !== undefined && input.to !== input.msisdn,
      params: input.params,
      secret_params: secretNames,
    },
  })
  return { noticeId: id, created: true, receipt }
}

function secretKey(input: QueueNoticeInput): string {
  const key = input.secrets?.key ?? ''
  if (key.length < 16) throw new ValidationError('secrets.key', 'sealing a secret needs the NUMGUARD_KYC_KEY')
  return key
}

async function findByDedupeKey(ctx: CommandContext, dedupeKey: string): Promise<QueuedNotice | undefined> {
  const row = await ctx.tx
    .selectFrom('sms_notices')
    .select(['id'])
    .where('dedupe_key', '=', dedupeKey)
    .executeTakeFirst()
  return row ? { noticeId: row.id, created: false } : undefined
}

/**
 * Cancels a notice that has not started to go out (a request withdrawn before its SMS left). Returns false when
 * it is already on its way or done: what has been sent cannot be unsent.
 */
export async function cancelNotice(
  ctx: CommandContext,
  noticeId: string,
  reason: string,
): Promise<{ cancelled: boolean; receipt?: AuditReceipt }> {
  const row = await ctx.tx
    .updateTable('sms_notices')
    .set({ state: 'cancelled', state_reason: reason, sealed_secrets: null, updated_at: ctx.now })
    .where('id', '=', noticeId)
    .where('state', '=', 'queued')
    // A notice requeued after a refused part may already have parts out: only one with nothing sent is cancelled.
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('sms_notice_parts as p')
            .select('p.id')
            .whereRef('p.notice_id', '=', 'sms_notices.id')
            .where('p.state', '<>', 'submit_failed'),
        ),
      ),
    )
    .returning(['msisdn', 'dedupe_key'])
    .executeTakeFirst()
  if (!row) {
    const exists = await ctx.tx.selectFrom('sms_notices').select('id').where('id', '=', noticeId).executeTakeFirst()
    if (!exists) throw new NotFoundError('SMS notice', noticeId)
    return { cancelled: false }
  }
  const receipt = await recordAudit(ctx, {
    action: 'sms.notice_cancelled',
    msisdn: row.msisdn,
    before: { state: 'queued' },
    after: { state: 'cancelled' },
    data: { notice_id: noticeId, dedupe_key: row.dedupe_key, reason },
  })
  return { cancelled: true, receipt }
}
