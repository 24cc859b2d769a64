import type { FastifyInstance } from 'fastify'
import type { App } from '../app.ts'
import { DomainError, ValidationError } from '../domain/errors.ts'
import { clientInfo, SESSION_COOKIE, staffOf } from '../http/auth.ts'
import { anyObject, errorResponses, idParams } from '../http/schemas.ts'
import { issueMachineToken } from './machine-tokens.ts'
import { listOwnSessions, presentStaff, revokeSession } from './sessions.ts'
import { signIn } from './sign-in.ts'

const staffOnly = { access: { auth: 'staff' } } as const

export async function accessRoutes(server: FastifyInstance, app: App) {
  server.post<{ Body: { username: string; password: string } }>(
    '/api/v1/auth/sign-in',
    {
      config: { access: { auth: 'public' } },
      schema: {
        tags: ['access'],
        summary: 'Sign in as a staff member: sets an HTTP-only session cookie and returns a bearer token',
        body: {
          type: 'object',
          properties: {
            username: { type: 'string', minLength: 1, maxLength: 64 },
            password: { type: 'string', minLength: 1, maxLength: 256 },
          },
          required: ['username', 'password'],
          additionalProperties: false,
        },
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request, reply) => {
      const out = await signIn(app.deps, {
        ...request.body,
        client: clientInfo(request),
        ttlHours: app.config.sessionTtlHours,
      })
      reply.setCookie(SESSION_COOKIE, out.token, {
        httpOnly: true,
        sameSite: 'strict',
        secure: app.config.mode === 'production',
        path: '/',
        // A lifetime, not a date: the browser judges it by its own clock, which a demo clock may be ahead of.
        maxAge: app.config.sessionTtlHours * 3600,
      })
      return out
    },
  )

  server.post(
    '/api/v1/auth/sign-out',
    { config: staffOnly, schema: { tags: ['access'], summary: 'End this session' } },
    async (request, reply) => {
      const actor = staffOf(request)
      await revokeSession(app.deps, actor, actor.sessionId, 'session.signed_out')
      reply.clearCookie(SESSION_COOKIE, { path: '/' })
      return reply.code(204).send()
    },
  )

  server.get(
    '/api/v1/auth/me',
    { config: staffOnly, schema: { tags: ['access'], summary: 'Who is signed in' } },
    async (request) => {
      const actor = staffOf(request)
      const staff = await app.db
        .selectFrom('staff')
        .selectAll()
        .where('id', '=', actor.staffId)
        .executeTakeFirstOrThrow()
      return { staff: presentStaff(staff), session: { id: actor.sessionId } }
    },
  )

  server.get(
    '/api/v1/sessions',
    { config: staffOnly, schema: { tags: ['access'], summary: 'Your sessions' } },
    async (request) => ({
      items: await listOwnSessions(app.db, staffOf(request).staffId),
    }),
  )

  server.delete<{ Params: { id: string } }>(
    '/api/v1/sessions/:id',
    {
      config: staffOnly,
      schema: { tags: ['access'], summary: 'Revoke one of your sessions', params: idParams, response: errorResponses },
    },
    async (request, reply) => {
      await revokeSession(app.deps, staffOf(request), request.params.id, 'session.revoked')
      return reply.code(204).send()
    },
  )

  // OAuth2 client credentials (RFC 6749 §4.4) for the charging system, provisioning and partners.
  server.post<{ Body: Record<string, string> }>(
    '/oauth/token',
    {
      config: { access: { auth: 'public' } },
      schema: {
        tags: ['access'],
        summary:
          'Client-credentials token for machine clients (form or JSON body; client secret in the body or HTTP Basic)',
        body: {
          type: 'object',
          properties: {
            grant_type: { type: 'string', maxLength: 64 },
            client_id: { type: 'string', maxLength: 64 },
            client_secret: { type: 'string', maxLength: 256 },
            scope: { type: 'string', maxLength: 512 },
          },
          required: ['grant_type'],
        },
      },
    },
    async (request, reply) => {
      const basic = request.headers.authorization?.startsWith('Basic ')
        ? Buffer.from(request.headers.authorization.slice(6), 'base64').toString().split(':')
        : []
      const clientId = request.body.client_id ?? basic[0]
      const secret = request.body.client_secret ?? basic.slice(1).join(':')
      try {
        if (request.body.grant_type !== 'client_credentials') {
          throw new DomainError('unsupported_grant_type', 400, 'Only grant_type=client_credentials is supported')
        }
        if (!clientId || !secret) throw new ValidationError('client_id', 'client_id and client_secret are required')
        reply.header('cache-control', 'no-store')
        return await issueMachineToken(app.deps, clientId, secret, request.body.scope)
      } catch (err) {
        // OAuth clients read `error`; everyone else reads `code`.
        if (err instanceof DomainError) {
          return reply.code(err.status).send({
            error: err.code,
            error_description: err.message,
            code: err.code,
            message: err.message,
            details: err.details,
          })
        }
        throw err
      }
    },
  )
}
