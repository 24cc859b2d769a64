/** A KYC document number as typed (normalised and checked by the command). */
export const kycDocNumberSchema = { type: 'string', minLength: 4, maxLength: 60 } as const

export const newSubscriberSchema = {
  type: 'object',
  properties: {
    party_kind: { type: 'string', enum: ['person', 'organisation'] },
    account_type: { type: 'string', enum: ['prepaid', 'postpaid'] },
    name: { type: 'string', minLength: 1, maxLength: 200, pattern: '\\S' },
    kyc_doc_kind: { type: 'string', enum: ['national_id', 'passport', 'business_registration', 'other'] },
    kyc_doc_number: kycDocNumberSchema,
    language: { type: 'string', enum: ['km', 'en'] },
    alt_contact: { type: 'string', maxLength: 100 },
  },
  required: ['party_kind', 'account_type', 'name', 'kyc_doc_kind', 'kyc_doc_number', 'language'],
  additionalProperties: false,
} as const
