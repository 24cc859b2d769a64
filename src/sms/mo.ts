// MO messages: stored first (codes masked), so none is lost when its handler fails; then routed by keyword to the
// handler a feature registered (consent codes, NO, LOCK/UNLOCK: the access issue; STATUS: built in); the reply,
// if any, is a notice like any other (priority lane, at most once, with receipts).
import { randomUUID } from 'node:crypto'
import type { App } from '../app.ts'
import { type AuditReceipt, audited, recordAudit, runCommand } from '../audit/index.ts'
import type { Actor } from '../domain/actor.ts'
import { DomainError } from '../domain/errors.ts'
import { type MoKeyword, maskMoText, type ParsedMo, parseMo } from './mo-parse.ts'
import { statusHandler } from './mo-status.ts'
import { queueNotice } from './notices.ts'
import type { Language, NoticeTemplate, TemplateParams } from './templates.ts'
import type { MoMessage } from './transport.ts'

export const MO_ACTOR: Actor = { kind: 'system', component: 'sms-mo' }

/** An MO message as handlers see it: the text in full (in memory only) and the id of its stored row. */
export interface ReceivedMo extends MoMessage {
  id: string
}

export interface MoReply {
  template: NoticeTemplate
  params?: TemplateParams
  /** Default: the language of the number's current holder, else Khmer. */
  language?: Language
}

export interface MoHandlerResult {
  /** What happened, snake_case (e.g. consent_recorded, code_mismatch, nothing_pending): stored with the message. */
  outcome: string
  reply?: MoReply
}

export type MoHandler = (app: App, mo: ReceivedMo, parsed: ParsedMo) => Promise<MoHandlerResult>

const handlers = new Map<MoKeyword, { name: string; handler: MoHandler }>()
// Answered by numguard itself unless a feature registers its own handler for the keyword.
const BUILT_IN = new Map<MoKeyword, { name: string; handler: MoHandler }>([
  ['STATUS', { name: 'status', handler: statusHandler }],
])

/**
 * Routes a keyword to a feature's handler (one per keyword; registering again replaces it, so a module loaded
 * twice in tests stays harmless). `name` is stored as `routed_to`. The handler runs its own commands.
 */
export function registerMoHandler(keyword: MoKeyword, handler: MoHandler, name: string = keyword.toLowerCase()): void {
  handlers.set(keyword, { name, handler })
}

export function moHandlerFor(keyword: MoKeyword): MoHandler | undefined {
  return (handlers.get(keyword) ?? BUILT_IN.get(keyword))?.handler
}

export interface RecordedMo {
  moId: string
  keyword: MoKeyword | null
  routedTo: string | null
  outcome: string
  replyNoticeId: string | null
}

/** Stores, routes and answers one MO message. Resolves once it is stored and handled (then the SMSC gets its ack). */
export async function recordMo(app: App, mo: MoMessage): Promise<RecordedMo> {
  const parsed = parseMo(mo.text)
  const id = randomUUID()
  const masked = maskMoText(mo.text)
  await runCommand(app.deps, MO_ACTOR, async (ctx) => {
    await ctx.tx
      .insertInto('sms_mo_messages')
      .values({
        id,
        from_msisdn: mo.from,
        to_address: mo.to,
        text_masked: masked,
        received_at: ctx.now,
        keyword: parsed.keyword,
      })
      .execute()
    const receipt = await recordAudit(ctx, {
      action: 'sms.mo_received',
      msisdn: mo.from,
      data: { mo_id: id, from: mo.from, to: mo.to, keyword: parsed.keyword, text_masked: masked },
    })
    return audited(id, [receipt])
  })

  const route = parsed.keyword ? (handlers.get(parsed.keyword) ?? BUILT_IN.get(parsed.keyword)) : undefined
  let result: MoHandlerResult
  if (!parsed.keyword) result = { outcome: 'unknown_keyword', reply: { template: 'mo_unknown_keyword' } }
  else if (!route) result = { outcome: 'no_handler', reply: { template: 'mo_not_expected' } }
  else {
    try {
      result = await route.handler(app, { ...mo, id }, parsed)
    } catch (err) {
      // A refusal the handler raised is an answer (wrong code, nothing pending); anything else is our fault.
      const code = err instanceof DomainError ? err.code : 'handler_failed'
      if (!(err instanceof DomainError)) app.logger.error({ err, mo_id: id }, 'sms: an MO handler failed')
      result = { outcome: code, reply: { template: 'mo_error' } }
    }
  }

  const replyNoticeId = await runCommand(app.deps, MO_ACTOR, async (ctx) => {
    const records: AuditReceipt[] = []
    let noticeId: string | null = null
    if (result.reply && /^\+?[0-9]{3,20}$/.test(mo.from)) {
      const holder = await ctx.tx
        .selectFrom('custodies as c')
        .innerJoin('subscribers as s', 's.id', 'c.subscriber_id')
        .select(['c.id', 's.language'])
        .where('c.msisdn', '=', mo.from)
        .where('c.ended_at', 'is', null)
        .executeTakeFirst()
      // A reply the handler got wrong (a missing parameter) is refused before anything is written: log it, go on.
      const queued = await queueNotice(ctx, {
        msisdn: mo.from,
        purpose: 'mo_reply',
        dedupeKey: `mo-reply:${id}`,
        language: result.reply.language ?? holder?.language ?? 'km',
        template: result.reply.template,
        params: result.reply.params ?? {},
        priority: 'otp',
        respectSendWindow: false,
        custodyId: holder?.id,
      }).catch((err) => {
        if (!(err instanceof DomainError)) throw err
        app.logger.error({ err, mo_id: id }, 'sms: the reply to an MO message could not be queued')
        return undefined
      })
      noticeId = queued?.noticeId ?? null
      if (queued?.receipt) records.push(queued.receipt)
    }
    await ctx.tx
      .updateTable('sms_mo_messages')
      .set({
        routed_to: route?.name ?? null,
        handled_at: ctx.now,
        outcome: result.outcome,
        reply_notice_id: noticeId,
      })
      .where('id', '=', id)
      .execute()
    const handled = await recordAudit(ctx, {
      action: 'sms.mo_handled',
      msisdn: mo.from,
      data: { mo_id: id, keyword: parsed.keyword, routed_to: route?.name ?? null, outcome: result.outcome },
    })
    return audited(noticeId, [handled, ...records])
  })
  return { moId: id, keyword: parsed.keyword, routedTo: route?.name ?? null, outcome: result.outcome, replyNoticeId }
}
