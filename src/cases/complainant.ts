// Who complains: the subscriber of ANY custody of the number — the rightful holder is usually a former one. They
// prove it by the ID document of that custody's KYC, or by a code sent to that subscriber's alternate contact (the
// number itself may ring the taker's SIM). A failed proof is an alert naming the staff member.
import { randomUUID } from 'node:crypto'
import type { StaffActor } from '../access/index.ts'
import { constantTimeEqual } from '../access/index.ts'
import {
  type Audited,
  type AuditReceipt,
  audited,
  type CommandContext,
  raiseAlert,
  recordAudit,
} from '../audit/index.ts'
import { codeMatches, newCode, sealCode } from '../customers/index.ts'
import { DomainError, NotFoundError, ValidationError } from '../domain/errors.ts'
import { queueNotice } from '../sms/index.ts'
import { kycDocumentHash, maskContact } from '../subscribers/index.ts'
import { custodiesWithKyc } from './queries.ts'

export const COMPLAINANT_CODE_MINUTES = 15
const CODE_ATTEMPTS = 5

export type ComplainantProof =
  | { method: 'id_document'; document: string }
  | { method: 'alt_contact_code'; challenge_id: string; code: string }

export interface ProvenComplainant {
  method: 'id_document' | 'alt_contact_code'
  custodyId: string
  subscriberId: string
  language: 'km' | 'en'
  altContact: string | null
}

export class ComplainantNotProvenError extends DomainError {
  constructor(msisdn: string, reason: string, details: Record<string, unknown> = {}) {
    super(
      'complainant_not_proven',
      403,
      `The complainant is not proven to have held ${msisdn}: ${reason.replaceAll('_', ' ')}`,
      { msisdn, reason, ...details },
    )
  }
}

function failed(staff: StaffActor, msisdn: string, method: string, reason: string, details = {}): DomainError {
  return new ComplainantNotProvenError(msisdn, reason, details).withAlert({
    kind: 'complainant_auth_failed',
    severity: 'warning',
    msisdn,
    attempt: { action: 'open_case', method, reason, staff_id: staff.staffId, username: staff.username, ...details },
  })
}

/**
 * Sends a code to the alternate contact the complainant gives, if it is the alternate contact of the subscriber of
 * some custody of `msisdn` (the newest such custody). The answer is the same either way — a challenge id and a
 * masked contact — so the route tells nobody whose contact it is; a contact that matched no custody has a challenge
 * that no code opens (the attempt then leaves an alert).
 */
export async function sendComplainantCode(
  ctx: CommandContext,
  staff: StaffActor,
  input: { msisdn: string; alt_contact: string },
  kycKey: string,
): Promise<Audited<{ challenge_id: string; sent_to: string | null; expires_at: Date }>> {
  const digits = (v: string) => v.replace(/[^0-9]/g, '')
  const given = digits(input.alt_contact)
  if (given.length < 6)
    throw new ValidationError('alt_contact', 'give the alternate contact number the holder registered')
  const custody = (await custodiesWithKyc(ctx.tx, input.msisdn)).find(
    (c) => c.alt_contact && digits(c.alt_contact) === given,
  )
  const id = randomUUID()
  const expiresAt = new Date(ctx.now.getTime() + COMPLAINANT_CODE_MINUTES * 60_000)
  let noticeId: string | null = null
  const receipts: AuditReceipt[] = []
  if (custody?.alt_contact) {
    const code = newCode()
    const binding = {
      challengeId: id,
      staffId: staff.staffId,
      staffSessionId: staff.sessionId,
      subscriberId: custody.subscriber_id,
      msisdn: input.msisdn,
    }
    const { salt, hash } = sealCode(kycKey, binding, code)
    await ctx.tx
      .insertInto('complainant_codes')
      .values({
        id,
        msisdn: input.msisdn,
        custody_id: custody.id,
        subscriber_id: custody.subscriber_id,
        staff_id: staff.staffId,
        session_id: staff.sessionId,
        code_salt: salt,
        code_hash: hash,
        created_at: ctx.now,
        expires_at: expiresAt,
      })
      .execute()
    const notice = await queueNotice(ctx, {
      msisdn: input.msisdn,
      to: custody.alt_contact,
      purpose: 'complainant_code',
      dedupeKey: `complainant_code:${id}`,
      language: custody.language,
      template: 'complainant_code',
      params: { msisdn: input.msisdn, staff: staff.username, minutes: COMPLAINANT_CODE_MINUTES },
      secrets: { values: { code }, key: kycKey },
      priority: 'otp',
      expiresAt,
    })
    noticeId = notice.noticeId
    if (notice.receipt) receipts.push(notice.receipt)
  }
  receipts.unshift(
    await recordAudit(ctx, {
      action: 'case.complainant_code_sent',
      msisdn: input.msisdn,
      basis: id,
      data: { challenge_id: id, custody_id: custody?.id ?? null, notice_id: noticeId, expires_at: expiresAt },
    }),
  )
  return audited(
    { challenge_id: id, sent_to: maskContact(input.alt_contact), expires_at: expiresAt },
    receipts as [AuditReceipt, ...AuditReceipt[]],
  )
}

/**
 * Proves the complainant against a custody of `msisdn`. A wrong code counts an attempt (committed even though
 * the case is not opened: the caller returns the error after the transaction), so it is returned, not thrown.
 */
export async function proveComplainant(
  ctx: CommandContext,
  staff: StaffActor,
  msisdn: string,
  proof: ComplainantProof,
  kycKey: string,
): Promise<ProvenComplainant | { refused: DomainError; receipt: AuditReceipt }> {
  const custodies = await custodiesWithKyc(ctx.tx, msisdn)
  const proven = (c: (typeof custodies)[number], method: ProvenComplainant['method']): ProvenComplainant => ({
    method,
    custodyId: c.id,
    subscriberId: c.subscriber_id,
    language: c.language,
    altContact: c.alt_contact,
  })
  if (proof.method === 'id_document') {
    if (!proof.document?.trim()) throw new ValidationError('complainant.document', 'give the ID document number')
    const hash = kycDocumentHash(kycKey, proof.document)
    const match = custodies.find((c) => constantTimeEqual(hash, c.kyc_doc_hash))
    if (!match) throw failed(staff, msisdn, proof.method, 'document_matches_no_custody')
    return proven(match, 'id_document')
  }
  const challenge = await ctx.tx
    .selectFrom('complainant_codes')
    .selectAll()
    .where('id', '=', proof.challenge_id)
    .forUpdate()
    .executeTakeFirst()
  if (!challenge || challenge.msisdn !== msisdn || challenge.staff_id !== staff.staffId)
    throw failed(staff, msisdn, proof.method, 'unknown_challenge', { challenge_id: proof.challenge_id })
  if (challenge.used_at || challenge.expires_at <= ctx.now || challenge.attempts >= CODE_ATTEMPTS)
    throw failed(staff, msisdn, proof.method, 'code_no_longer_valid', { challenge_id: challenge.id })
  const binding = {
    challengeId: challenge.id,
    staffId: staff.staffId,
    staffSessionId: challenge.session_id,
    subscriberId: challenge.subscriber_id,
    msisdn,
  }
  if (!codeMatches(kycKey, challenge.code_salt, challenge.code_hash, binding, proof.code)) {
    const attempts = challenge.attempts + 1
    await ctx.tx.updateTable('complainant_codes').set({ attempts }).where('id', '=', challenge.id).execute()
    const refusal = failed(staff, msisdn, proof.method, 'wrong_code', {
      challenge_id: challenge.id,
      attempts_left: CODE_ATTEMPTS - attempts,
    })
    const alert = await raiseAlert(ctx, refusal.alert as NonNullable<typeof refusal.alert>)
    refusal.alert = undefined
    refusal.details.alert_id = alert.id
    const receipt = await recordAudit(ctx, {
      action: 'case.complainant_code_refused',
      msisdn,
      basis: challenge.id,
      data: { challenge_id: challenge.id, attempts, alert_id: alert.id },
    })
    return { refused: refusal, receipt }
  }
  await ctx.tx.updateTable('complainant_codes').set({ used_at: ctx.now }).where('id', '=', challenge.id).execute()
  const custody = custodies.find((c) => c.id === challenge.custody_id)
  if (!custody) throw new NotFoundError('custody', challenge.custody_id)
  return proven(custody, 'alt_contact_code')
}
