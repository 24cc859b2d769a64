// The JSON-schema pieces and route configs the case routes share.
import { msisdnPattern } from '../platform/schemas.ts'

export const tags = ['cases']
export const open = { access: { auth: 'staff', permission: 'open_cases' } } as const
export const view = { access: { auth: 'staff', permission: 'view_cases' } } as const
export const manage = { access: { auth: 'staff', permission: 'manage_cases' } } as const
export const msisdn = { type: 'string', pattern: msisdnPattern } as const
export const uuid = { type: 'string', format: 'uuid' } as const
export const text = (max: number) => ({ type: 'string', minLength: 1, maxLength: max }) as const
export const body = (properties: Record<string, object>, required: string[]) =>
  ({ type: 'object', properties, required, additionalProperties: false }) as const
export const caseParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 64, description: 'case id or reference' } },
  required: ['id'],
} as const
