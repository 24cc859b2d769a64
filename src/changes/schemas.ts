// Request bodies of the change routes (JSON Schema for Fastify: bad input is a 400 naming the field).
const iccid = { type: 'string', pattern: '^89[0-9]{16,18}$' } as const
const doc = { type: 'string', minLength: 1, maxLength: 60 } as const
const docKind = { type: 'string', enum: ['national_id', 'passport', 'business_registration', 'other'] } as const

export const transferBody = {
  type: 'object',
  properties: {
    iccid,
    new_subscriber_id: { type: 'string', pattern: '^[0-9a-fA-F-]{36}$' },
    new_holder_doc_number: doc,
    new_subscriber: {
      type: 'object',
      properties: {
        party_kind: { type: 'string', enum: ['person', 'organisation'] },
        account_type: { type: 'string', enum: ['prepaid', 'postpaid'] },
        name: { type: 'string', minLength: 1, maxLength: 200 },
        kyc_doc_kind: docKind,
        kyc_doc_number: doc,
        language: { type: 'string', enum: ['km', 'en'] },
        alt_contact: { type: 'string', pattern: '^\\+?[0-9]{6,20}$' },
      },
      required: ['party_kind', 'account_type', 'name', 'kyc_doc_kind', 'kyc_doc_number', 'language'],
      additionalProperties: false,
    },
  },
  required: ['iccid'],
  additionalProperties: false,
} as const

export const swapBody = {
  type: 'object',
  properties: { iccid, kyc_doc_number: doc },
  required: ['iccid'],
  additionalProperties: false,
} as const

export const lostSwapBody = { ...swapBody, required: ['iccid', 'kyc_doc_number'] } as const

export const emptyBody = { type: 'object', properties: {}, additionalProperties: false } as const

export const kycChangeBody = {
  type: 'object',
  properties: { kyc_doc_kind: docKind, kyc_doc_number: doc, name: { type: 'string', minLength: 1, maxLength: 200 } },
  required: ['kyc_doc_kind', 'kyc_doc_number'],
  additionalProperties: false,
} as const

export const legalOrderBody = {
  type: 'object',
  properties: {
    order_reference: { type: 'string', minLength: 1, maxLength: 200 },
    order_sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    forbids_notice: { type: 'boolean' },
  },
  required: ['order_reference', 'order_sha256', 'forbids_notice'],
  additionalProperties: false,
} as const

export const swapLockBody = {
  type: 'object',
  properties: { action: { type: 'string', enum: ['lock', 'unlock'] }, kyc_doc_number: doc },
  required: ['action', 'kyc_doc_number'],
  additionalProperties: false,
} as const

export const consentCodeBody = {
  type: 'object',
  properties: { code: { type: 'string', minLength: 1, maxLength: 20 } },
  required: ['code'],
  additionalProperties: true,
} as const
