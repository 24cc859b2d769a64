// Consent codes and recorded consents. A code is bound to one request and purpose, sent by SMS to the number,
// and accepted only as `YES <code>` replied from that number (src/changes/mo-handlers.ts routes the reply here).
import { randomUUID } from 'node:crypto'
import { type AuditReceipt, type CommandContext, recordAudit } from '../audit/index.ts'
import { type ConsentMethod, type ConsentParty, REQUEST_TABLE } from '../domain/requests.ts'
import type { RequestRecord } from '../requests/index.ts'
import type { Language } from '../sms/index.ts'
import { queueNotice } from '../sms/index.ts'
import {
  CONSENT_CODE_ATTEMPTS,
  CONSENT_CODE_MINUTES,
  consentCodeMatches,
  newConsentCode,
  sealConsentCode,
} from './codes.ts'
import { lockPendingCodes, missingConsents, recentCodeConsent } from './queries.ts'

export interface ConsentCodeInput {
  request: Pick<RequestRecord, 'id' | 'kind' | 'msisdn'>
  /** What the code authorises, in both languages ("the transfer of your number +855… to a new holder"). */
  action: { en: string; km: string }
  language: Language
  custodyId?: string
}

/** Sends a fresh code for a request (any earlier pending code of it is superseded). */
export async function issueConsentCode(
  ctx: CommandContext,
  input: ConsentCodeInput,
  kycKey: string,
): Promise<{ codeId: string; noticeId: string; receipts: AuditReceipt[] }> {
  const msisdn = input.request.msisdn as string
  await closeCodesOf(ctx, input.request.id, 'superseded')
  const codeId = randomUUID()
  const purpose = `${input.request.kind}_consent`
  const code = newConsentCode()
  const { salt, hash } = sealConsentCode(kycKey, { codeId, requestId: input.request.id, purpose, msisdn }, code)
  const expiresAt = new Date(ctx.now.getTime() + CONSENT_CODE_MINUTES * 60_000)
  await ctx.tx
    .insertInto('consent_codes')
    .values({
      id: codeId,
      request_id: input.request.id,
      msisdn,
      party: 'holder',
      purpose,
      code_salt: salt,
      code_hash: hash,
      state: 'pending',
      created_at: ctx.now,
      expires_at: expiresAt,
    })
    .execute()
  const notice = await queueNotice(ctx, {
    msisdn,
    purpose: 'consent_code',
    dedupeKey: `consent_code:${codeId}`,
    language: input.language,
    template: 'consent_code',
    params: { action: input.action[input.language], minutes: CONSENT_CODE_MINUTES },
    secrets: { values: { code }, key: kycKey },
    priority: 'otp',
    expiresAt,
    custodyId: input.custodyId,
  })
  await ctx.tx.updateTable('consent_codes').set({ notice_id: notice.noticeId }).where('id', '=', codeId).execute()
  const receipt = await recordAudit(ctx, {
    action: 'consent.code_sent',
    msisdn,
    after: { code_id: codeId, state: 'pending', expires_at: expiresAt },
    basis: input.request.id,
    data: {
      request_id: input.request.id,
      kind: input.request.kind,
      purpose,
      code_id: codeId,
      notice_id: notice.noticeId,
    },
  })
  return { codeId, noticeId: notice.noticeId, receipts: [receipt, ...(notice.receipt ? [notice.receipt] : [])] }
}

/** Closes the pending codes of a request (used, superseded by a new one, or void when the request ends). */
export async function closeCodesOf(
  ctx: CommandContext,
  requestId: string,
  state: 'superseded' | 'void',
): Promise<number> {
  const closed = await ctx.tx
    .updateTable('consent_codes')
    .set({ state, code_hash: null, code_salt: null, closed_at: ctx.now })
    .where('request_id', '=', requestId)
    .where('state', '=', 'pending')
    .executeTakeFirst()
  return Number(closed.numUpdatedRows)
}

export interface ConsentToRecord {
  request: RequestRecord
  party: ConsentParty
  method: ConsentMethod
  evidence: Record<string, unknown>
}

/**
 * Records one consent (audit `request.consent_recorded`). A kind with no approver (sim_swap, termination) is
 * approved by its last missing consent: the holder's word is its second pair of eyes.
 */
export async function recordConsent(
  ctx: CommandContext,
  input: ConsentToRecord,
): Promise<{ receipt: AuditReceipt; status: RequestRecord['status']; complete: boolean }> {
  const { request } = input
  await ctx.tx
    .insertInto('request_consents')
    .values({
      id: randomUUID(),
      request_id: request.id,
      party: input.party,
      method: input.method,
      recorded_at: ctx.now,
      evidence: JSON.stringify(input.evidence),
    })
    .execute()
  const complete = (await missingConsents(ctx.tx, request)).length === 0
  let status = request.status
  if (complete && status === 'pending' && REQUEST_TABLE[request.kind].approverRole === null) {
    const moved = await ctx.tx
      .updateTable('requests')
      .set({ status: 'approved', decided_at: ctx.now })
      .where('id', '=', request.id)
      .where('status', '=', 'pending')
      .executeTakeFirst()
    if (Number(moved.numUpdatedRows) === 1) status = 'approved'
  }
  const receipt = await recordAudit(ctx, {
    action: 'request.consent_recorded',
    msisdn: request.msisdn,
    before: { status: request.status },
    after: { status, consents_complete: complete },
    basis: request.id,
    data: {
      request_id: request.id,
      kind: request.kind,
      payload_sha256: request.payload_sha256,
      party: input.party,
      purpose: `${request.kind}_consent`,
      method: input.method,
      evidence: input.evidence,
    },
  })
  return { receipt, status, complete }
}

export type CodeReply =
  | { outcome: 'consent_recorded'; codeId: string; requestId: string }
  | { outcome: 'consent_already_recorded'; requestId: string }
  | { outcome: 'code_mismatch' | 'code_expired' | 'nothing_pending'; attemptsLeft: number | null }

/**
 * Matches a `YES <code>` from `msisdn` against the number's pending codes (constant time, each bound to its request).
 * Wrong codes are counted on every pending code of the number and void them at the limit; the count commits.
 */
export async function matchConsentReply(
  ctx: CommandContext,
  input: { msisdn: string; code: string; moId: string },
  kycKey: string,
  onMatch: (requestId: string, codeId: string) => Promise<AuditReceipt[]>,
): Promise<{ reply: CodeReply; receipts: AuditReceipt[] }> {
  const codes = await lockPendingCodes(ctx.tx, input.msisdn)
  const receipts: AuditReceipt[] = []
  const live = []
  for (const c of codes) {
    if (new Date(c.expires_at) > ctx.now) live.push(c)
    else
      await ctx.tx
        .updateTable('consent_codes')
        .set({ state: 'expired', code_hash: null, code_salt: null, closed_at: ctx.now })
        .where('id', '=', c.id)
        .where('state', '=', 'pending')
        .execute()
  }
  const match = live.find(
    (c) =>
      c.code_salt &&
      c.code_hash &&
      consentCodeMatches(
        kycKey,
        c.code_salt,
        c.code_hash,
        { codeId: c.id, requestId: c.request_id, purpose: c.purpose, msisdn: c.msisdn },
        input.code,
      ),
  )
  if (match) {
    await ctx.tx
      .updateTable('consent_codes')
      .set({ state: 'used', code_hash: null, code_salt: null, closed_at: ctx.now })
      .where('id', '=', match.id)
      .where('state', '=', 'pending')
      .execute()
    receipts.push(...(await onMatch(match.request_id, match.id)))
    return { reply: { outcome: 'consent_recorded', codeId: match.id, requestId: match.request_id }, receipts }
  }
  // A redelivered reply (the SMSC resends an MO it thinks was lost) finds its consent already recorded.
  const since = new Date(ctx.now.getTime() - CONSENT_CODE_MINUTES * 60_000)
  const recent = live.length === 0 ? await recentCodeConsent(ctx.tx, input.msisdn, since) : undefined
  if (recent) return { reply: { outcome: 'consent_already_recorded', requestId: recent.request_id }, receipts }

  const outcome = live.length > 0 ? 'code_mismatch' : codes.length > 0 ? 'code_expired' : 'nothing_pending'
  let attemptsLeft: number | null = null
  for (const c of live) {
    const attempts = c.attempts + 1
    const voided = attempts >= CONSENT_CODE_ATTEMPTS
    await ctx.tx
      .updateTable('consent_codes')
      .set(voided ? { attempts, state: 'void', code_hash: null, code_salt: null, closed_at: ctx.now } : { attempts })
      .where('id', '=', c.id)
      .where('state', '=', 'pending')
      .execute()
    attemptsLeft = Math.min(attemptsLeft ?? CONSENT_CODE_ATTEMPTS, CONSENT_CODE_ATTEMPTS - attempts)
  }
  if (codes.length > 0) {
    receipts.push(
      await recordAudit(ctx, {
        action: 'consent.code_refused',
        msisdn: input.msisdn,
        data: {
          mo_id: input.moId,
          reason: outcome,
          codes: codes.map((c) => ({ code_id: c.id, request_id: c.request_id })),
          attempts_left: attemptsLeft,
        },
      }),
    )
  }
  return { reply: { outcome, attemptsLeft } as CodeReply, receipts }
}
