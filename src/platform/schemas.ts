// Shared JSON-schema pieces: they validate requests and describe them in /openapi.json.

export const errorSchema = {
  type: 'object',
  properties: {
    code: { type: 'string' },
    message: { type: 'string' },
    details: { type: 'object', additionalProperties: true },
  },
  required: ['code', 'message', 'details'],
} as const

export const errorResponses = {
  400: errorSchema,
  401: errorSchema,
  403: errorSchema,
  404: errorSchema,
  409: errorSchema,
} as const

export const msisdnPattern = '^\\+?[0-9]{6,15}$'

export const msisdnParams = {
  type: 'object',
  properties: { msisdn: { type: 'string', pattern: msisdnPattern, description: 'E.164 number, e.g. +85512000001' } },
  required: ['msisdn'],
} as const

export const idParams = {
  type: 'object',
  properties: { id: { type: 'string', format: 'uuid' } },
  required: ['id'],
} as const

export const limitQuery = { type: 'integer', minimum: 1, maximum: 500, default: 50 } as const

export const anyObject = { type: 'object', additionalProperties: true } as const
