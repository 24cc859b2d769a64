// Who holds a number now, read and locked the way every change of custody or SIM starts; the holder's ID check;
// the notices a change owes the holder (DOMAIN: "SMS to the number (and alternate contact) at request").
import type { StaffActor } from '../access/index.ts'
import { constantTimeEqual } from '../access/index.ts'
import type { AuditReceipt, CommandContext } from '../audit/index.ts'
import { ConflictError, DomainError, NotFoundError } from '../domain/errors.ts'
import type { NoticeTarget } from '../domain/requests.ts'
import { type NoticeTemplate, queueNotice, type TemplateParams } from '../sms/index.ts'
import { kycDocumentHash } from '../subscribers/index.ts'

export interface Holding {
  msisdn: string
  state: string
  custody_id: string
  subscriber_id: string
  language: 'km' | 'en'
  alt_contact: string | null
  party_kind: 'person' | 'organisation'
  kyc_doc_hash: string
  iccid: string | null
}

/** Locks the number row and reads its open custody, holder and current SIM; refuses a number nobody holds. */
export async function lockHolding(ctx: CommandContext, msisdn: string, action: string): Promise<Holding> {
  const number = await ctx.tx
    .selectFrom('numbers')
    .select(['msisdn', 'state'])
    .where('msisdn', '=', msisdn)
    .forUpdate()
    .executeTakeFirst()
  if (!number) throw new NotFoundError('number', msisdn)
  const row = await ctx.tx
    .selectFrom('custodies as c')
    .innerJoin('subscribers as s', 's.id', 'c.subscriber_id')
    .leftJoin('sim_bindings as b', (j) => j.onRef('b.custody_id', '=', 'c.id').on('b.ended_at', 'is', null))
    .select(['c.id as custody_id', 'c.subscriber_id', 's.language', 's.alt_contact', 's.party_kind'])
    .select(['s.kyc_doc_hash', 'b.iccid'])
    .where('c.msisdn', '=', msisdn)
    .where('c.ended_at', 'is', null)
    .executeTakeFirst()
  if (!row || (number.state !== 'active' && number.state !== 'suspended')) {
    throw new ConflictError(
      'number_not_held',
      `${msisdn} is ${number.state}: nobody holds it, so it cannot be ${action}`,
      {
        msisdn,
        state: number.state,
      },
    )
  }
  return { msisdn, state: number.state, ...row, iccid: row.iccid ?? null }
}

/** The ID check in a shop: the presented document must be the holder's (keyed hash); a mismatch is a risk alert. */
export function checkHolderDocument(
  agent: StaffActor,
  holding: { msisdn: string; kyc_doc_hash: string; subscriber_id: string },
  presented: string | undefined,
  kycKey: string,
  action: string,
): void {
  if (presented && constantTimeEqual(kycDocumentHash(kycKey, presented), holding.kyc_doc_hash)) return
  throw new DomainError(
    'kyc_mismatch',
    403,
    'The identity document does not match the holder: this change is made only on the holder’s own document',
    { msisdn: holding.msisdn },
  ).withAlert({
    kind: 'kyc_mismatch',
    severity: 'risk',
    msisdn: holding.msisdn,
    attempt: { action, subscriber_id: holding.subscriber_id, staff_id: agent.staffId, username: agent.username },
  })
}

/** A SIM of the agent's shop that is still unused, locked for the rest of the transaction. */
export async function lockShopSim(ctx: CommandContext, iccid: string, shopId: string | null): Promise<void> {
  const sim = await ctx.tx
    .selectFrom('sims')
    .select(['iccid', 'state', 'shop_id'])
    .where('iccid', '=', iccid)
    .forUpdate()
    .executeTakeFirst()
  if (!sim) throw new NotFoundError('SIM', iccid)
  if (sim.state !== 'allocated' || !shopId || sim.shop_id !== shopId) {
    throw new ConflictError('sim_not_available', `SIM ${iccid} is not an unused SIM of the requesting shop`, {
      iccid,
      state: sim.state,
      field: 'iccid',
    })
  }
}

/** A notice written by a template of src/sms/templates.ts (GSM-7 length rules and both languages live there). */
export interface NoticeText {
  template: NoticeTemplate
  params: TemplateParams
}

function noticeText(
  text: { en: string; km: string } | Record<NoticeTarget, NoticeText>,
  target: NoticeTarget,
  language: Holding['language'],
): NoticeText {
  if ('en' in text) return { template: 'notice', params: { text: text[language] } }
  return text[target]
}

/** Queues the notice a change owes at request time, to the number and (where DOMAIN says) the alternate contact. */
export async function noticeOfChange(
  ctx: CommandContext,
  holding: Pick<Holding, 'msisdn' | 'language' | 'alt_contact' | 'custody_id'>,
  input: {
    requestId: string
    purpose: string
    targets: readonly NoticeTarget[]
    /** Free text in both languages (the `notice` template), or a template of src/sms/templates.ts per target. */
    text: { en: string; km: string } | Record<NoticeTarget, NoticeText>
  },
): Promise<{ noticeIds: string[]; receipts: AuditReceipt[] }> {
  const noticeIds: string[] = []
  const receipts: AuditReceipt[] = []
  for (const target of input.targets) {
    const to = target === 'alt_contact' ? holding.alt_contact : holding.msisdn
    if (!to) continue
    const queued = await queueNotice(ctx, {
      msisdn: holding.msisdn,
      to: target === 'alt_contact' ? to : undefined,
      purpose: input.purpose,
      dedupeKey: `${input.purpose}:${input.requestId}:${target}`,
      language: holding.language,
      ...noticeText(input.text, target, holding.language),
      // A holder hears of a change to their number at once, whatever the hour: it is their chance to stop it.
      respectSendWindow: false,
      custodyId: holding.custody_id,
    })
    noticeIds.push(queued.noticeId)
    if (queued.receipt) receipts.push(queued.receipt)
  }
  return { noticeIds, receipts }
}

/** `2026-03-03 10:00` in the operator's time zone, for notices. */
export function operatorTime(at: Date, timeZone = 'Asia/Phnom_Penh'): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at)
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? ''
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`
}
