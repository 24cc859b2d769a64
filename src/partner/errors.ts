// CAMARA's error shape `{ status, code, message }` and its codes, for everything under /camara; the rest of the API
// keeps `{ code, message, details }` (src/http/errors.ts). Installed on the encapsulated /camara plugin only.
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify'
import { translateDbError } from '../db/errors.ts'
import { DomainError } from '../domain/errors.ts'

export type CamaraCode =
  | 'INVALID_ARGUMENT'
  | 'OUT_OF_RANGE'
  | 'INVALID_PROTOCOL'
  | 'INVALID_CREDENTIAL'
  | 'INVALID_TOKEN'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'IDENTIFIER_NOT_FOUND'
  | 'MISSING_IDENTIFIER'
  | 'SERVICE_NOT_APPLICABLE'
  | 'CONFLICT'
  | 'TOO_MANY_REQUESTS'
  | 'QUOTA_EXCEEDED'
  | 'INTERNAL'
  | 'UNAVAILABLE'

export class CamaraError extends Error {
  readonly status: number
  readonly code: CamaraCode
  /** Seconds to wait, sent as Retry-After (TOO_MANY_REQUESTS). */
  readonly retryAfter?: number

  constructor(status: number, code: CamaraCode, message: string, retryAfter?: number) {
    super(message)
    this.name = 'CamaraError'
    this.status = status
    this.code = code
    this.retryAfter = retryAfter
  }
}

export const XCORRELATOR_PATTERN = '^[a-zA-Z0-9-_:;.\\/<>{}]{0,256}$'
const XCORRELATOR = new RegExp(XCORRELATOR_PATTERN)

/** The caller's x-correlator when it is well formed (an ill-formed one is refused by the route's header schema). */
export function correlatorOf(headers: Record<string, unknown>): string | undefined {
  const value = headers['x-correlator']
  return typeof value === 'string' && XCORRELATOR.test(value) ? value : undefined
}

const BY_STATUS: Record<number, CamaraCode> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  429: 'TOO_MANY_REQUESTS',
  503: 'UNAVAILABLE',
}

interface AjvError {
  instancePath: string
  keyword?: string
  message?: string
  params?: { missingProperty?: string; additionalProperty?: string; limit?: number }
}

/** A schema violation in CAMARA's terms: a bound of a number is OUT_OF_RANGE, anything else INVALID_ARGUMENT. */
function fromValidation(e: AjvError, context: string | undefined): CamaraError {
  const path = [e.instancePath.replace(/^\//, '').replaceAll('/', '.'), e.params?.missingProperty]
    .filter(Boolean)
    .join('.')
  const field = path || context || 'body'
  if (e.keyword === 'minimum' || e.keyword === 'maximum')
    return new CamaraError(400, 'OUT_OF_RANGE', `${field} must be ${e.message?.replace(/^must be /, '')}`)
  if (e.keyword === 'additionalProperties')
    return new CamaraError(400, 'INVALID_ARGUMENT', `${e.params?.additionalProperty} is not a property of this request`)
  if (e.keyword === 'required') return new CamaraError(400, 'INVALID_ARGUMENT', `${field} is required`)
  return new CamaraError(400, 'INVALID_ARGUMENT', `${field} ${e.message ?? 'is not valid'}`)
}

export function toCamaraError(raw: FastifyError): CamaraError {
  if (raw instanceof CamaraError) return raw
  const err = translateDbError(raw) as FastifyError
  if (err.validation?.[0]) return fromValidation(err.validation[0] as AjvError, err.validationContext)
  if (err instanceof DomainError) {
    const code = BY_STATUS[err.status] ?? 'INTERNAL'
    return new CamaraError(err.status, code, err.message)
  }
  const status = err.statusCode ?? 500
  if (status >= 400 && status < 500 && status !== 429)
    // Malformed JSON, an empty body, a wrong content type, a body too large: the request is not one we take.
    return new CamaraError(400, 'INVALID_ARGUMENT', `The request is not valid: ${err.message}`)
  if (status === 429) return new CamaraError(429, 'TOO_MANY_REQUESTS', err.message)
  return new CamaraError(500, 'INTERNAL', 'Something went wrong on our side; it has been logged')
}

export function sendCamaraError(reply: FastifyReply, error: CamaraError) {
  if (error.retryAfter) reply.header('retry-after', String(error.retryAfter))
  return reply
    .code(error.status)
    .type('application/json')
    .send({ status: error.status, code: error.code, message: error.message })
}

/** Every error under /camara leaves in CAMARA's shape; an unknown path there is NOT_FOUND in the same shape. */
export function installCamaraErrors(scope: FastifyInstance): void {
  scope.setErrorHandler((raw: FastifyError, request, reply) => {
    const error = toCamaraError(raw)
    if (error.status >= 500) request.log.error({ err: raw }, 'camara: unhandled error')
    return sendCamaraError(reply, error)
  })
  scope.setNotFoundHandler((request, reply) =>
    sendCamaraError(
      reply,
      new CamaraError(404, 'NOT_FOUND', `No operation ${request.method} ${request.url.split('?')[0]}`),
    ),
  )
}
