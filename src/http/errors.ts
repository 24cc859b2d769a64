import type { FastifyError, FastifyInstance } from 'fastify'
import { alertRefusal, owesAlert } from '../alerts/index.ts'
import type { CommandDeps } from '../audit/index.ts'
import { DatabaseUnavailableError, translateDbError } from '../db/errors.ts'
import { DomainError } from '../domain/errors.ts'

interface AjvError {
  instancePath: string
  keyword?: string
  message?: string
  params?: { missingProperty?: string; additionalProperty?: string; allowedValues?: unknown[]; type?: string }
}

function fieldOf(e: AjvError, context: string | undefined): string {
  const path = e.instancePath.replace(/^\//, '').replaceAll('/', '.')
  const leaf = e.params?.missingProperty ?? e.params?.additionalProperty
  const field = [path, leaf].filter(Boolean).join('.')
  return field || (context ?? 'body')
}

/** What a well-formed value of a patterned field looks like, for the message a person reads. */
const FORMATS: Record<string, string> = {
  msisdn: 'a phone number such as +85512345678',
  after: 'a phone number such as +85512345678',
  prefix: 'digits, optionally after a +',
  iccid: 'an ICCID: 18 to 20 digits starting 89',
  name: 'some text',
  id: 'lower-case letters, digits and dashes',
  username: 'lower-case letters, digits, dots, dashes or underscores',
}

/** A schema violation in words a person understands, never the schema's own wording. */
function describe(e: AjvError, field: string): string {
  const leaf = field.split('.').at(-1) ?? field
  switch (e.keyword) {
    case 'required':
      return `${field} is required`
    case 'additionalProperties':
      return `${field} is not something this request takes`
    case 'enum':
      return `${field} must be one of: ${(e.params?.allowedValues ?? []).join(', ')}`
    case 'pattern':
      return `${field} must be ${FORMATS[leaf] ?? 'in the documented format'}`
    case 'type':
      return `${field} must be ${e.params?.type === 'object' ? 'an object' : `a ${e.params?.type}`}`
    default:
      return `${field} ${(e.message ?? 'is not valid').replace(/^must NOT/, 'must not')}`
  }
}

/** One mapper: every error leaves as `{ code, message, details }`; nothing a client sends becomes a 500. */
export function installErrorHandling(app: FastifyInstance, deps?: CommandDeps): void {
  app.setErrorHandler(async (raw: FastifyError, request, reply) => {
    const err = translateDbError(raw) as FastifyError
    if (err instanceof DatabaseUnavailableError) {
      // The database is away: the client may send the same request again; the operator sees why in the log.
      request.log.warn({ err: err.cause ?? raw }, 'database unavailable')
      reply.header('retry-after', String(err.retryAfterSeconds))
    }
    if (err instanceof DomainError) {
      // Invariant 8: a 403 to a known staff member or client that left no alert yet (the access hook, route code)
      // leaves one now, in its own transaction; the answer still goes out if the alert cannot be written.
      if (deps && owesAlert(err, request.actor)) {
        const call = { method: request.method, route: request.routeOptions.url ?? request.url.split('?')[0] }
        await alertRefusal(deps, request.actor, err, {
          ...call,
          params: request.params as Record<string, unknown>,
        }).catch((alertErr) => request.log.error({ err: alertErr }, 'could not write the alert of a refusal'))
      }
      return reply.code(err.status).send({ code: err.code, message: err.message, details: err.details })
    }
    if (err.validation) {
      const first = err.validation[0] as AjvError
      const field = fieldOf(first, err.validationContext)
      return reply.code(400).send({
        code: 'invalid_input',
        message: describe(first, field),
        details: {
          field,
          problems: err.validation.slice(0, 10).map((e) => {
            const f = fieldOf(e as AjvError, err.validationContext)
            return { field: f, message: describe(e as AjvError, f) }
          }),
        },
      })
    }
    const status = err.statusCode ?? 500
    if (status === 415 || (status >= 400 && status < 413) || status === 414) {
      return reply.code(400).send({
        code: 'invalid_input',
        message: err.message,
        details: { field: status === 415 ? 'content-type' : 'body' },
      })
    }
    if (status >= 413 && status < 500) {
      return reply
        .code(status)
        .send({ code: status === 413 ? 'payload_too_large' : 'request_refused', message: err.message, details: {} })
    }
    request.log.error({ err: raw }, 'unhandled error')
    return reply.code(500).send({
      code: 'internal_error',
      message: 'Something went wrong on our side; it has been logged',
      details: { request_id: request.id },
    })
  })
}

/** Unknown routes are a 404 in the same shape; with a console, a browser's deep link gets the console's page. */
export function installNotFound(app: FastifyInstance, serveConsole: boolean): void {
  app.setNotFoundHandler((request, reply) => {
    if (
      serveConsole &&
      request.method === 'GET' &&
      !request.url.startsWith('/api') &&
      request.headers.accept?.includes('text/html')
    ) {
      return reply.sendFile('index.html')
    }
    return reply
      .code(404)
      .send({ code: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}`, details: {} })
  })
}
