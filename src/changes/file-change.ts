// Filing a change on a held number, the way every kind of this feature does it: the request (four eyes, from
// src/requests), the consents checked in the shop, the holder's one-time code by SMS when the kind needs their word,
// and the notice DOMAIN's table owes at request time. One transaction: all of it exists, or none.
import type { StaffActor } from '../access/index.ts'
import { type Audited, type AuditReceipt, audited, type CommandContext } from '../audit/index.ts'
import { issueConsentCode, missingConsents, recordConsent } from '../consent/index.ts'
import {
  type ConsentParty,
  type NoticeTarget,
  needsHolderCodeConsent,
  REQUEST_TABLE,
  type RequestKind,
} from '../domain/requests.ts'
import { createRequest, findRequest, RequestNotExecutableError, type RequestRecord } from '../requests/index.ts'
import { consentAction } from './consent-texts.ts'
import { type Holding, type NoticeText, noticeOfChange } from './holding.ts'

export interface ChangeFiling {
  kind: RequestKind
  holding: Holding
  payload: Record<string, unknown>
  /** ID checks already done in the shop, recorded as consents. */
  idChecks?: { party: ConsentParty; evidence: Record<string, unknown> }[]
  /** The notice at request time (DOMAIN's table says to whom). */
  notice?: { en: string; km: string } | Record<NoticeTarget, NoticeText>
  withoutWait?: boolean
}

export interface FiledChange {
  request: RequestRecord
  consent_code_sent: boolean
  notice_ids: string[]
}

export async function fileChange(
  ctx: CommandContext,
  agent: StaffActor,
  input: ChangeFiling,
  kycKey: string,
): Promise<Audited<FiledChange>> {
  const { holding, kind } = input
  const created = await createRequest(ctx, {
    kind,
    msisdn: holding.msisdn,
    payload: input.payload,
    withoutWait: input.withoutWait,
  })
  const receipts: AuditReceipt[] = [...created.receipts]
  for (const check of input.idChecks ?? []) {
    const recorded = await recordConsent(ctx, {
      request: created.result,
      party: check.party,
      method: 'id_check',
      evidence: { staff_id: agent.staffId, shop_id: agent.shopId, ...check.evidence },
    })
    receipts.push(recorded.receipt)
  }
  let codeSent = false
  if (needsHolderCodeConsent(kind)) {
    const code = await issueConsentCode(
      ctx,
      {
        request: created.result,
        action: consentAction(kind, input.payload),
        language: holding.language,
        custodyId: holding.custody_id,
      },
      kycKey,
    )
    receipts.push(...code.receipts)
    codeSent = true
  }
  const targets = REQUEST_TABLE[kind].noticeAtRequest
  const notice = input.notice
    ? await noticeOfChange(ctx, holding, {
        requestId: created.result.id,
        purpose: `${kind}_requested`,
        targets,
        text: input.notice,
      })
    : { noticeIds: [], receipts: [] }
  receipts.push(...notice.receipts)
  const request = (await findRequest(ctx.tx, created.result.id)) as RequestRecord
  return audited(
    { request, consent_code_sent: codeSent, notice_ids: notice.noticeIds },
    receipts as [AuditReceipt, ...AuditReceipt[]],
  )
}

/** The executor hook of every kind here: nothing executes without the consents DOMAIN's table asks of it. */
export async function requireConsents(ctx: CommandContext, request: RequestRecord): Promise<void> {
  const missing = await missingConsents(ctx.tx, request)
  if (missing.length === 0) return
  const who = missing.map((m) => `${m.party.replace('_', ' ')} (${m.method === 'mo_code' ? 'SMS reply' : 'ID check'})`)
  throw new RequestNotExecutableError(
    'consent_not_recorded',
    `Request ${request.id} cannot execute: no consent recorded from ${who.join(', ')}`,
    { request_id: request.id, kind: request.kind, missing },
  ).withAlert({
    kind: 'execution_without_consent',
    severity: 'risk',
    msisdn: request.msisdn,
    attempt: {
      action: 'execute_request',
      request_id: request.id,
      kind: request.kind,
      missing,
      requested_by: request.requested_by,
      assigned_to: request.assigned_to,
    },
  })
}
