// Opening and closing customer sessions. An agent opens one by authenticating the customer: a one-time code sent by
// SMS to the number (then verified in verify.ts), or the customer's ID document checked against the KYC hash.
import { randomUUID } from 'node:crypto'
import type { StaffActor } from '../access/index.ts'
import { constantTimeEqual } from '../access/index.ts'
import { type Audited, type AuditReceipt, audited, type CommandContext, recordAudit } from '../audit/index.ts'
import type { CustomerAuthMethod } from '../db/types-customers.ts'
import { type DomainError, NotFoundError, ValidationError } from '../domain/errors.ts'
import { queueNotice } from '../sms/index.ts'
import { kycDocumentHash } from '../subscribers/index.ts'
import { supersedePendingCodes } from './close.ts'
import { newCode, sealCode } from './codes.ts'
import {
  CustomerAuthFailedError,
  CustomerAuthLockedError,
  CustomerCodeLimitError,
  IdAuthenticationRefusedError,
  NoHolderError,
} from './errors.ts'
import { recordFailedAuthentication } from './failures.ts'
import { type Outcome, refused, succeeded } from './outcome.ts'
import { type CustomerSessionRow, presentCustomerSession } from './presenters.ts'
import { activeLock, countCodesSince, findHolding, lockAgentNumber, staffForNotice } from './queries.ts'
import {
  CODE_TTL_MINUTES,
  CODES_PER_DAY,
  idAuthenticationRefusedUntil,
  plusHours,
  plusMinutes,
  SESSION_MINUTES,
} from './rules.ts'

export interface StartCustomerSession {
  msisdn: string
  method: CustomerAuthMethod
  /** The number of the ID document the customer presents (method id_document). */
  document?: string
}

export type PresentedCustomerSession = ReturnType<typeof presentCustomerSession>

/** What an attempt on an agent × number is refused with while that agent is locked out of it; the alert names them. */
export function lockedOut(msisdn: string, lockedUntil: Date, now: Date, attempt: Record<string, unknown>): DomainError {
  return new CustomerAuthLockedError(msisdn, lockedUntil, now).withAlert({
    kind: 'customer_auth_attempt_while_locked',
    severity: 'warning',
    msisdn,
    attempt: { ...attempt, locked_until: lockedUntil.toISOString() },
  })
}

/**
 * Starts authenticating the holder of `msisdn` for `agent`: sends a code (the session awaits it) or checks the ID
 * document (the session opens at once, or the failure is counted). Refusals that count are returned, not thrown.
 */
export async function startCustomerSession(
  ctx: CommandContext,
  agent: StaffActor,
  input: StartCustomerSession,
  kycKey: string,
): Promise<Audited<Outcome<PresentedCustomerSession>>> {
  const { msisdn, method } = input
  await lockAgentNumber(ctx.tx, agent.staffId, msisdn)
  const holding = await findHolding(ctx.tx, msisdn)
  if (!holding) throw new NotFoundError('number', msisdn)
  const attempt = { action: `customer_session.${method}`, method }
  if (!holding.custody_id || !holding.subscriber_id)
    throw new NoHolderError(msisdn, holding.state).withAlert({
      kind: 'customer_auth_refused',
      severity: 'info',
      msisdn,
      attempt: { ...attempt, reason: 'no_holder', state: holding.state },
    })
  const lock = await activeLock(ctx.tx, agent.staffId, msisdn, ctx.now)
  if (lock) throw lockedOut(msisdn, new Date(lock.locked_until), ctx.now, attempt)
  const who = { custodyId: holding.custody_id, subscriberId: holding.subscriber_id }

  if (method === 'id_document') {
    const document = input.document ?? ''
    if (!document.trim())
      throw new ValidationError('document', 'give the number of the ID document the customer presents')
    const refusedUntil = idAuthenticationRefusedUntil(holding.kyc_changed_at, ctx.now)
    if (refusedUntil)
      throw new IdAuthenticationRefusedError(msisdn, refusedUntil).withAlert({
        kind: 'customer_auth_refused',
        severity: 'warning',
        msisdn,
        attempt: { ...attempt, reason: 'kyc_changed_recently', until: refusedUntil.toISOString() },
      })
    if (!constantTimeEqual(kycDocumentHash(kycKey, document), holding.kyc_doc_hash ?? '')) {
      const failure = await recordFailedAuthentication(ctx, {
        staffId: agent.staffId,
        msisdn,
        subscriberId: who.subscriberId,
        customerSessionId: null,
        method,
        reason: 'document_mismatch',
      })
      const error = new CustomerAuthFailedError('document_mismatch', {
        msisdn,
        attempts_left: failure.attemptsLeft,
        ...(failure.lockedUntil ? { locked_until: failure.lockedUntil.toISOString() } : {}),
      })
      return audited(refused(error, failure.alertIds), failure.receipts)
    }
    const row = await insertSession(ctx, agent, msisdn, who, {
      method,
      state: 'open',
      opened_at: ctx.now,
      expires_at: plusMinutes(ctx.now, SESSION_MINUTES),
    })
    const receipt = await recordOpened(ctx, row)
    return audited(succeeded(presentCustomerSession(row, ctx.now)), [receipt])
  }

  const sent = await countCodesSince(ctx.tx, agent.staffId, msisdn, plusHours(ctx.now, -24))
  if (sent >= CODES_PER_DAY)
    throw new CustomerCodeLimitError(msisdn, CODES_PER_DAY).withAlert({
      kind: 'customer_auth_refused',
      severity: 'warning',
      msisdn,
      attempt: { ...attempt, reason: 'code_limit', codes_sent_24h: sent },
    })
  const receipts: AuditReceipt[] = await supersedePendingCodes(ctx, agent.staffId, msisdn)
  const id = randomUUID()
  const code = newCode()
  const binding = { challengeId: id, staffId: agent.staffId, staffSessionId: agent.sessionId, msisdn, ...who }
  const { salt, hash } = sealCode(kycKey, binding, code)
  const codeExpiresAt = plusMinutes(ctx.now, CODE_TTL_MINUTES)
  const staff = await staffForNotice(ctx.tx, agent.staffId)
  const language = holding.language ?? 'km'
  const notice = await queueNotice(ctx, {
    msisdn,
    purpose: 'customer_session_code',
    dedupeKey: `customer_session:${id}`,
    language,
    template: 'customer_session_code',
    params: {
      staff: staff.display_name,
      place: staff.shop_name ?? staff.shop_id ?? (language === 'km' ? 'សេវាបម្រើអតិថិជន' : 'customer care'),
      msisdn,
      minutes: CODE_TTL_MINUTES,
    },
    secrets: { values: { code }, key: kycKey },
    priority: 'otp',
    custodyId: who.custodyId,
    expiresAt: codeExpiresAt,
  })
  if (notice.receipt) receipts.push(notice.receipt)
  const row = await insertSession(ctx, agent, msisdn, who, {
    id,
    method,
    state: 'awaiting_code',
    code_salt: salt,
    code_hash: hash,
    code_expires_at: codeExpiresAt,
    notice_id: notice.noticeId,
  })
  const sentReceipt = await recordAudit(ctx, {
    action: 'customer_session.code_sent',
    msisdn,
    after: { customer_session_id: id, state: 'awaiting_code', code_expires_at: codeExpiresAt },
    data: {
      customer_session_id: id,
      staff_id: agent.staffId,
      staff_session_id: agent.sessionId,
      subscriber_id: who.subscriberId,
      custody_id: who.custodyId,
      notice_id: notice.noticeId,
    },
  })
  return audited(succeeded(presentCustomerSession(row, ctx.now)), [sentReceipt, ...receipts])
}

type NewSessionFields = Partial<
  Pick<CustomerSessionRow, 'id' | 'opened_at' | 'expires_at' | 'code_expires_at' | 'notice_id'>
> &
  Pick<CustomerSessionRow, 'method' | 'state'> & { code_salt?: Buffer; code_hash?: Buffer }

async function insertSession(
  ctx: CommandContext,
  agent: StaffActor,
  msisdn: string,
  who: { custodyId: string; subscriberId: string },
  fields: NewSessionFields,
) {
  return ctx.tx
    .insertInto('customer_sessions')
    .values({
      id: fields.id ?? randomUUID(),
      staff_id: agent.staffId,
      staff_session_id: agent.sessionId,
      subscriber_id: who.subscriberId,
      msisdn,
      custody_id: who.custodyId,
      created_at: ctx.now,
      ...fields,
      method: fields.method as CustomerAuthMethod,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
}

/** The record every opening leaves: method, agent, subscriber, number (invariant 10). */
export function recordOpened(ctx: CommandContext, row: CustomerSessionRow) {
  return recordAudit(ctx, {
    action: 'customer_session.opened',
    msisdn: row.msisdn,
    before: row.method === 'sms_code' ? { state: 'awaiting_code' } : null,
    after: { customer_session_id: row.id, state: 'open', expires_at: row.expires_at },
    data: {
      customer_session_id: row.id,
      method: row.method,
      staff_id: row.staff_id,
      subscriber_id: row.subscriber_id,
    },
  })
}
