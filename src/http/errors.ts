import type { FastifyError, FastifyInstance } from 'fastify'
import { translateDbError } from '../db/errors.ts'
import { DomainError } from '../domain/errors.ts'

interface AjvError {
  instancePath: string
  message?: string
  params?: { missingProperty?: string; additionalProperty?: string }
}

function fieldOf(e: AjvError, context: string | undefined): string {
  const path = e.instancePath.replace(/^\//, '').replaceAll('/', '.')
  const leaf = e.params?.missingProperty ?? e.params?.additionalProperty
  const field = [path, leaf].filter(Boolean).join('.')
  return field || (context ?? 'body')
}

/** One mapper: every error leaves as `{ code, message, details }`; nothing a client sends becomes a 500. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((raw: FastifyError, request, reply) => {
    const err = translateDbError(raw) as FastifyError
    if (err instanceof DomainError) {
      return reply.code(err.status).send({ code: err.code, message: err.message, details: err.details })
    }
    if (err.validation) {
      const first = err.validation[0] as AjvError
      const field = fieldOf(first, err.validationContext)
      return reply.code(400).send({
        code: 'invalid_input',
        message: `${field}: ${first.message ?? 'is not valid'}`,
        details: {
          field,
          problems: err.validation
            .slice(0, 10)
            .map((e) => ({ field: fieldOf(e as AjvError, err.validationContext), message: e.message })),
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
