import type { FastifyInstance, FastifyReply } from 'fastify'
import type { App } from '../app.ts'
import { DomainError, ValidationError } from '../domain/errors.ts'
import { mfaRequiredFor } from '../domain/roles.ts'
import { clientInfo, SESSION_COOKIE, staffOf } from '../platform/route-access.ts'
import { anyObject, errorResponses, idParams } from '../platform/schemas.ts'
import { issueMachineToken } from './machine-tokens.ts'
import { completeMfa, startOptionalEnrolment } from './mfa.ts'
import { demoCode } from './mfa-demo.ts'
import { mfaSettingsOf } from './mfa-secrets.ts'
import { listOwnSessions, presentStaff, revokeSession } from './sessions.ts'
import { MFA_STEP_MINUTES, type SignInResult, signIn } from './sign-in.ts'

/** A throttled sign-in or token request says when to come back in the standard header too. */
function retryAfter(reply: FastifyReply, err: DomainError): void {
  const seconds = err.details.retry_after_seconds
  if (err.status === 429 && typeof seconds === 'number') reply.header('retry-after', String(seconds))
}
const throwWithRetryAfter =
  (reply: FastifyReply) =>
  (err: unknown): never => {
    if (err instanceof DomainError) retryAfter(reply, err)
    throw err
  }

const staffOnly = { access: { auth: 'staff' } } as const
/** The routes that finish or abandon a sign-in also take a session still waiting for its TOTP code. */
const signingIn = { access: { auth: 'staff', allowPendingMfa: true } } as const

export async function accessRoutes(server: FastifyInstance, app: App) {
  const setSessionCookie = (reply: FastifyReply, out: SignInResult) =>
    reply.setCookie(SESSION_COOKIE, out.token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: app.config.mode === 'production',
      path: '/',
      // A lifetime, not a date: the browser judges it by its own clock, which a demo clock may be ahead of.
      maxAge: out.status === 'signed_in' ? app.config.sessionTtlHours * 3600 : MFA_STEP_MINUTES * 60,
    })

  server.post<{ Body: { username: string; password: string } }>(
    '/api/v1/auth/sign-in',
    {
      config: { access: { auth: 'public' } },
      schema: {
        tags: ['access'],
        summary: 'Sign in as a staff member: sets an HTTP-only session cookie and returns a bearer token',
        description:
          '`status` says what comes next: `signed_in`; `mfa_required` (send the authenticator code to ' +
          'POST /api/v1/auth/mfa with this token); or `mfa_enrolment_required` (first sign-in of a role that needs MFA: ' +
          '`enrolment` carries the secret and its otpauth:// URI; confirm with a code at POST /api/v1/auth/mfa). Until ' +
          'then the session can do nothing else.',
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
        mfa: mfaSettingsOf(app),
      }).catch(throwWithRetryAfter(reply))
      setSessionCookie(reply, out)
      reply.header('cache-control', 'no-store')
      return out
    },
  )

  server.post<{ Body: { code: string } }>(
    '/api/v1/auth/mfa',
    {
      config: signingIn,
      schema: {
        tags: ['access'],
        summary: 'Finish signing in with the 6-digit code of your authenticator app (also confirms an enrolment)',
        description:
          'A wrong code counts against the same sign-in attempts as a wrong password (a replayed one is refused but not ' +
          'counted). On success the ' +
          'session is signed in under a new token (returned, and set as the cookie); the old one stops working.',
        body: {
          type: 'object',
          properties: { code: { type: 'string', pattern: '^\\s*[0-9]{3}\\s?[0-9]{3}\\s*$' } },
          required: ['code'],
          additionalProperties: false,
        },
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request, reply) => {
      const out = await completeMfa(app.deps, staffOf(request), {
        code: request.body.code,
        client: clientInfo(request),
        ttlHours: app.config.sessionTtlHours,
        mfa: mfaSettingsOf(app),
      }).catch(throwWithRetryAfter(reply))
      setSessionCookie(reply, out)
      reply.header('cache-control', 'no-store')
      return out
    },
  )

  // Demo mode only: a demo account's code, computed from its published DEMO secret, so the demo works without a phone.
  if (app.config.mode === 'demo') {
    server.get(
      '/api/v1/auth/mfa/demo-code',
      {
        config: signingIn,
        schema: {
          tags: ['access'],
          summary: 'Demo mode only: the current TOTP code of a demo account (its DEMO secret is published anyway)',
          response: { 200: anyObject, ...errorResponses },
        },
      },
      async (request, reply) => {
        reply.header('cache-control', 'no-store')
        return demoCode(app, staffOf(request).staffId)
      },
    )
  }

  server.post(
    '/api/v1/auth/mfa/enrolment',
    {
      config: staffOnly,
      schema: {
        tags: ['access'],
        summary: 'Enrol an authenticator app although your role does not require it: returns the secret to confirm',
        description: 'Confirm with a code at POST /api/v1/auth/mfa; from then on every sign-in asks for a code.',
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store')
      return startOptionalEnrolment(app.deps, staffOf(request), mfaSettingsOf(app))
    },
  )

  server.post(
    '/api/v1/auth/sign-out',
    { config: signingIn, schema: { tags: ['access'], summary: 'End this session' } },
    async (request, reply) => {
      const actor = staffOf(request)
      await revokeSession(app.deps, actor, actor.sessionId, 'session.signed_out')
      reply.clearCookie(SESSION_COOKIE, { path: '/' })
      return reply.code(204).send()
    },
  )

  server.get(
    '/api/v1/auth/me',
    {
      config: signingIn,
      schema: { tags: ['access'], summary: 'Who is signed in, and whether the session still waits for its MFA code' },
    },
    async (request) => {
      const actor = staffOf(request)
      const staff = await app.db
        .selectFrom('staff')
        .selectAll()
        .where('id', '=', actor.staffId)
        .executeTakeFirstOrThrow()
      const session = await app.db
        .selectFrom('sessions')
        .select(['id', 'expires_at', 'mfa'])
        .where('id', '=', actor.sessionId)
        .executeTakeFirstOrThrow()
      return {
        staff: presentStaff(staff),
        session: { id: session.id, expires_at: session.expires_at, mfa: session.mfa },
        mfa_required: mfaRequiredFor(staff.roles),
      }
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
        return await issueMachineToken(app.deps, clientId, secret, request.body.scope, clientInfo(request).ip)
      } catch (err) {
        // OAuth clients read `error`; everyone else reads `code`.
        if (err instanceof DomainError) {
          retryAfter(reply, err)
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
