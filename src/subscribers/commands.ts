import { randomUUID } from 'node:crypto'
import { keyedHash } from '../access/index.ts'
import { type AuditReceipt, type CommandContext, recordAudit } from '../audit/index.ts'
import { ValidationError } from '../domain/errors.ts'

export interface NewSubscriber {
  party_kind: 'person' | 'organisation'
  account_type: 'prepaid' | 'postpaid'
  name: string
  kyc_doc_kind: 'national_id' | 'passport' | 'business_registration' | 'other'
  kyc_doc_number: string
  language: 'km' | 'en'
  alt_contact?: string | null
}

/** Document numbers compare without spaces, dashes or case. */
export function normaliseDocumentNumber(doc: string): string {
  return doc.replace(/[\s-]/g, '').toUpperCase()
}

export function kycDocumentHash(kycKey: string, doc: string): string {
  return keyedHash(kycKey, normaliseDocumentNumber(doc))
}

/** Registers a subscriber; the document number is kept only as a keyed hash and its last 4 characters. */
export async function createSubscriber(
  ctx: CommandContext,
  input: NewSubscriber,
  kycKey: string,
): Promise<{ id: string; receipt: AuditReceipt }> {
  const doc = normaliseDocumentNumber(input.kyc_doc_number)
  if (!/^[A-Z0-9]{4,40}$/.test(doc)) {
    throw new ValidationError('subscriber.kyc_doc_number', 'the document number must be 4 to 40 letters or digits')
  }
  const id = randomUUID()
  await ctx.tx
    .insertInto('subscribers')
    .values({
      id,
      party_kind: input.party_kind,
      account_type: input.account_type,
      name: input.name.trim(),
      kyc_doc_kind: input.kyc_doc_kind,
      kyc_doc_hash: kycDocumentHash(kycKey, doc),
      kyc_doc_last4: doc.slice(-4),
      language: input.language,
      alt_contact: input.alt_contact ?? null,
      created_at: ctx.now,
    })
    .execute()
  // Personal data is never in clear in the log: the leaf commits to it (salted SHA-256, erasable after retention).
  const receipt = await recordAudit(ctx, {
    action: 'subscriber.created',
    after: {
      subscriber_id: id,
      party_kind: input.party_kind,
      account_type: input.account_type,
      language: input.language,
    },
    personal: { name: input.name.trim(), kyc_doc_last4: doc.slice(-4), alt_contact: input.alt_contact ?? null },
  })
  return { id, receipt }
}
