// The holder's SMS replies (MO): `YES <code>` records their consent, `NO` stops a pending change, `LOCK` / `UNLOCK`
// the SIM-swap lock. Each handler is idempotent, since an SMSC may deliver an MO again after a crash: a second YES
// finds its consent recorded, a second NO nothing left to cancel, a second LOCK the lock already on.
import type { Kysely } from 'kysely'
import { type AuditReceipt, audited, type CommandContext, raiseAlert, recordAudit, runCommand } from '../audit/index.ts'
import { closeCodesOf, matchConsentReply, recordConsent } from '../consent/index.ts'
import type { DB } from '../db/types.ts'
import { DomainError } from '../domain/errors.ts'
import { needsHolderCodeConsent, REQUEST_TABLE, type RequestKind } from '../domain/requests.ts'
import { lockRequest, RequestNotOpenError, type RequestRecord } from '../requests/index.ts'
import type { MoHandler, MoHandlerResult } from '../sms/index.ts'
import { MO_ACTOR } from '../sms/index.ts'
import { executeIfDue } from './due.ts'
import { lockHolding } from './holding.ts'
import { lockSimSwaps, requestSwapUnlock } from './swap-lock.ts'

/** The number an MO came from, as E.164 (SMSCs drop the `+`). */
export function moNumber(from: string): string {
  return from.startsWith('+') ? from : `+${from}`
}

async function say(db: Kysely<DB>, msisdn: string, outcome: string, text: { en: string; km: string }) {
  const holder = await db
    .selectFrom('custodies as c')
    .innerJoin('subscribers as s', 's.id', 'c.subscriber_id')
    .select('s.language')
    .where('c.msisdn', '=', msisdn)
    .where('c.ended_at', 'is', null)
    .executeTakeFirst()
  const language = holder?.language ?? 'km'
  return { outcome, reply: { template: 'notice', params: { text: text[language] }, language } } as MoHandlerResult
}

const unchangedResult = <T>(result: T) => ({ result, receipts: [] as [] })

export const yesHandler: MoHandler = async (app, mo, parsed) => {
  const msisdn = moNumber(mo.from)
  if (!parsed.code)
    return say(app.db, msisdn, 'code_missing', {
      en: 'To agree, reply YES followed by the code we sent you, e.g. YES 123456.',
      km: 'ដើម្បីយល់ព្រម សូមឆ្លើយតប YES បន្តដោយលេខកូដដែលយើងបានផ្ញើជូន ឧ. YES 123456។',
    })
  const code = parsed.code
  let recorded: { requestId: string; status: string } | undefined
  const match = await runCommand(app.deps, MO_ACTOR, async (ctx) => {
    const out = await matchConsentReply(
      ctx,
      { msisdn, code, moId: mo.id },
      app.config.kycKey,
      async (requestId, codeId) => {
        const request = await lockRequest(ctx.tx, requestId)
        if (!request || (request.status !== 'pending' && request.status !== 'approved'))
          throw new RequestNotOpenError(requestId, request?.status ?? 'missing', 'consented to')
        const done = await recordConsent(ctx, {
          request,
          party: 'holder',
          method: 'mo_code',
          evidence: { mo_id: mo.id, from: msisdn, code_id: codeId },
        })
        recorded = { requestId, status: done.status }
        return [done.receipt]
      },
    )
    return out.receipts.length > 0
      ? audited(out.reply, out.receipts as [AuditReceipt, ...AuditReceipt[]])
      : unchangedResult(out.reply)
  })
  if (recorded) await executeIfDue(app, recorded.requestId)
  switch (match.outcome) {
    case 'consent_recorded':
    case 'consent_already_recorded':
      return say(app.db, msisdn, match.outcome, {
        en: 'Thank you: your agreement is recorded. We will send you a message when the change is done.',
        km: 'សូមអរគុណ៖ ការយល់ព្រមរបស់អ្នកត្រូវបានកត់ត្រា។ យើងនឹងផ្ញើសារជូនអ្នកនៅពេលការផ្លាស់ប្តូរត្រូវបានធ្វើរួច។',
      })
    case 'code_mismatch':
      return say(app.db, msisdn, match.outcome, {
        en: `This code is not right. You have ${match.attemptsLeft ?? 0} tries left.`,
        km: `លេខកូដនេះមិនត្រឹមត្រូវទេ។ អ្នកនៅសល់ ${match.attemptsLeft ?? 0} ដងទៀត។`,
      })
    case 'code_expired':
      return say(app.db, msisdn, match.outcome, {
        en: 'This code has expired. Nothing was changed.',
        km: 'លេខកូដនេះផុតកំណត់ហើយ។ គ្មានអ្វីត្រូវបានផ្លាស់ប្តូរទេ។',
      })
    default:
      return { outcome: 'nothing_pending', reply: { template: 'mo_not_expected' } }
  }
}

/** Kinds a holder's NO stops: those DOMAIN says `NO` cancels, and those waiting for the holder's own word. */
export function stoppableByNo(kind: RequestKind): boolean {
  return REQUEST_TABLE[kind].cancelledByNo || needsHolderCodeConsent(kind)
}

/** Cancels one open request on the holder's word, with an alert naming the staff member who filed it. */
export async function cancelByHolder(
  ctx: CommandContext,
  request: RequestRecord,
  moId: string,
): Promise<AuditReceipt[]> {
  const outcome = { cancelled_by: 'holder', reason: 'holder_replied_no', mo_id: moId }
  await ctx.tx
    .updateTable('requests')
    .set({ status: 'cancelled', outcome: JSON.stringify(outcome) })
    .where('id', '=', request.id)
    .where('status', 'in', ['pending', 'approved'])
    .execute()
  await closeCodesOf(ctx, request.id, 'void')
  const receipt = await recordAudit(ctx, {
    action: 'request.cancelled',
    msisdn: request.msisdn,
    before: { status: request.status },
    after: { status: 'cancelled' },
    basis: request.id,
    data: {
      request_id: request.id,
      kind: request.kind,
      payload_sha256: request.payload_sha256,
      requested_by: request.requested_by,
      assigned_to: request.assigned_to,
      by: 'holder',
      mo_id: moId,
    },
  })
  const alert = await raiseAlert(ctx, {
    kind: 'holder_refused_change',
    severity: 'warning',
    msisdn: request.msisdn,
    staffId: request.requested_by,
    attempt: { action: `request_${request.kind}`, request_id: request.id, reason: 'holder_replied_no', mo_id: moId },
  })
  return [receipt, alert.receipt]
}

export const noHandler: MoHandler = async (app, mo) => {
  const msisdn = moNumber(mo.from)
  const cancelled = await runCommand(app.deps, MO_ACTOR, async (ctx) => {
    const open = await ctx.tx
      .selectFrom('requests')
      .select('id')
      .where('msisdn', '=', msisdn)
      .where('status', 'in', ['pending', 'approved'])
      .where('expires_at', '>', ctx.now)
      .execute()
    const receipts: AuditReceipt[] = []
    const kinds: string[] = []
    for (const { id } of open) {
      const request = await lockRequest(ctx.tx, id)
      if (!request || !stoppableByNo(request.kind)) continue
      if (request.status !== 'pending' && request.status !== 'approved') continue
      receipts.push(...(await cancelByHolder(ctx, request, mo.id)))
      kinds.push(REQUEST_TABLE[request.kind].label.toLowerCase())
    }
    return receipts.length > 0 ? audited(kinds, receipts as [AuditReceipt, ...AuditReceipt[]]) : unchangedResult(kinds)
  })
  if (cancelled.length === 0) return { outcome: 'nothing_pending', reply: { template: 'mo_not_expected' } }
  return say(app.db, msisdn, 'request_cancelled', {
    en: `Stopped: nothing will change on ${msisdn} (${cancelled.join(', ')} cancelled).`,
    km: `បានបញ្ឈប់៖ គ្មានអ្វីនឹងផ្លាស់ប្តូរលើលេខ ${msisdn} ទេ (ការស្នើសុំត្រូវបានលុបចោល)។`,
  })
}

function lockHandler(unlock: boolean): MoHandler {
  return async (app, mo) => {
    const msisdn = moNumber(mo.from)
    try {
      const view = await runCommand(app.deps, MO_ACTOR, async (ctx) => {
        const holding = await lockHolding(ctx, msisdn, unlock ? 'unlocked' : 'locked')
        return unlock
          ? requestSwapUnlock(ctx, holding, 'sms', { mo_id: mo.id })
          : lockSimSwaps(ctx, holding, 'sms', { mo_id: mo.id })
      })
      if (unlock)
        // The unlock notice (with its time) is the answer; a holder whose lock was off hears so.
        return view.locked
          ? { outcome: 'unlock_requested' }
          : say(app.db, msisdn, 'not_locked', {
              en: `SIM swaps on ${msisdn} are not locked.`,
              km: `ការប្តូរស៊ីមលើលេខ ${msisdn} មិនត្រូវបានចាក់សោទេ។`,
            })
      return say(app.db, msisdn, 'locked', {
        en: `SIM swaps on ${msisdn} are now locked. A new SIM can only be issued with your ID in our shop. Reply UNLOCK to remove the lock (takes 24 hours).`,
        km: `ការប្តូរស៊ីមលើលេខ ${msisdn} ត្រូវបានចាក់សោហើយ។ ស៊ីមថ្មីអាចចេញបានតែជាមួយអត្តសញ្ញាណប័ណ្ណរបស់អ្នកនៅហាងរបស់យើង។ ឆ្លើយតប UNLOCK ដើម្បីដោះសោ (ចំណាយពេល ២៤ ម៉ោង)។`,
      })
    } catch (err) {
      if (err instanceof DomainError && (err.code === 'number_not_held' || err.code === 'not_found'))
        return { outcome: 'number_not_held', reply: { template: 'status_unknown', params: { msisdn } } }
      throw err
    }
  }
}

export const lockMoHandler = lockHandler(false)
export const unlockMoHandler = lockHandler(true)
