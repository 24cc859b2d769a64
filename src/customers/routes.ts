import type { FastifyInstance } from 'fastify'
import type { App } from '../app.ts'
import { runCommand } from '../audit/index.ts'
import { ValidationError } from '../domain/errors.ts'
import { normaliseMsisdnInput } from '../domain/msisdn.ts'
import { actorOf, staffOf } from '../platform/route-access.ts'
import { anyObject, errorResponses, errorSchema, idParams, limitQuery, msisdnPattern } from '../platform/schemas.ts'
import { closeCustomerSession } from './close.ts'
import { type StartCustomerSession, startCustomerSession } from './commands.ts'
import { releaseCustomerAuthLock } from './locks.ts'
import { settle } from './outcome.ts'
import { presentCustomerSession, presentLock } from './presenters.ts'
import { listLocks, listOwnCustomerSessions } from './queries.ts'
import { CODE_ATTEMPTS, CODE_TTL_MINUTES, FAILURES_BEFORE_LOCK, LOCK_HOURS, SESSION_MINUTES } from './rules.ts'
import { verifyCustomerCode } from './verify.ts'

const tags = ['customer sessions']
const agentOnly = { access: { auth: 'staff', permission: 'open_customer_sessions' } } as const
const responses = { 200: anyObject, ...errorResponses, 429: errorSchema } as const

export async function customerSessionRoutes(server: FastifyInstance, app: App) {
  server.post<{ Body: StartCustomerSession }>(
    '/api/v1/customer-sessions',
    {
      config: agentOnly,
      schema: {
        tags,
        summary: 'Authenticate the holder of a number to open their account: send a code, or check their ID document',
        description:
          `\`sms_code\`: a 6-digit code goes by SMS to the number, bound to you and this account, valid ` +
          `${CODE_TTL_MINUTES} minutes, ${CODE_ATTEMPTS} tries; the answer is the challenge to verify. ` +
          '`id_document`: the number of the document the customer presents, checked against the KYC hash ' +
          '(refused for 30 days after a KYC identity change). The session lasts ' +
          `${SESSION_MINUTES} minutes and only in your sign-in. ${FAILURES_BEFORE_LOCK} failures on one number in ` +
          `24 hours lock you out of that number for ${LOCK_HOURS} hours (429 \`customer_auth_locked\`) and raise ` +
          'a risk alert; the holder and other agents are not affected.',
        body: {
          type: 'object',
          properties: {
            msisdn: { type: 'string', pattern: msisdnPattern },
            method: { type: 'string', enum: ['sms_code', 'id_document'] },
            document: { type: 'string', minLength: 1, maxLength: 60 },
          },
          required: ['msisdn', 'method'],
          additionalProperties: false,
        },
        response: responses,
      },
    },
    async (request) => {
      const { method, document } = request.body
      if (method === 'sms_code' && document !== undefined)
        throw new ValidationError('document', 'a document is checked only with method id_document')
      const msisdn = normaliseMsisdnInput(request.body.msisdn, app.config.country)
      const out = await runCommand(app.deps, actorOf(request), (ctx) =>
        startCustomerSession(ctx, staffOf(request), { msisdn, method, document }, app.config.kycKey),
      )
      return settle(out)
    },
  )

  server.post<{ Params: { id: string }; Body: { code: string } }>(
    '/api/v1/customer-sessions/:id/verify',
    {
      config: agentOnly,
      schema: {
        tags,
        summary: 'Type the code the customer reads from their phone: the customer session opens',
        params: idParams,
        body: {
          type: 'object',
          properties: { code: { type: 'string', pattern: '^[0-9]{6}$', description: 'the 6 digits of the SMS' } },
          required: ['code'],
          additionalProperties: false,
        },
        response: responses,
      },
    },
    async (request) => {
      const out = await runCommand(app.deps, actorOf(request), (ctx) =>
        verifyCustomerCode(ctx, staffOf(request), request.params.id, request.body.code, app.config.kycKey),
      )
      return settle(out)
    },
  )

  server.delete<{ Params: { id: string } }>(
    '/api/v1/customer-sessions/:id',
    {
      config: agentOnly,
      schema: {
        tags,
        summary: 'Close your customer session (or a pending code)',
        params: idParams,
        response: responses,
      },
    },
    async (request) =>
      runCommand(app.deps, actorOf(request), (ctx) => closeCustomerSession(ctx, staffOf(request), request.params.id)),
  )

  server.get(
    '/api/v1/customer-sessions',
    {
      config: agentOnly,
      schema: {
        tags,
        summary: 'Your open customer sessions and pending codes in this sign-in',
        response: errorResponses,
      },
    },
    async (request) => {
      const agent = staffOf(request)
      const now = app.clock.now()
      const rows = await listOwnCustomerSessions(app.db, agent.staffId, agent.sessionId, now)
      return { items: rows.map((r) => presentCustomerSession(r, now)) }
    },
  )

  server.get<{ Querystring: { active?: boolean; msisdn?: string; limit: number } }>(
    '/api/v1/customer-auth-locks',
    {
      config: { access: { auth: 'staff', permission: 'view_customer_auth_locks' } },
      schema: {
        tags,
        summary: 'Agents locked out of a number after failed customer authentications (newest first)',
        querystring: {
          type: 'object',
          properties: {
            active: { type: 'boolean', default: true },
            msisdn: { type: 'string', pattern: msisdnPattern },
            limit: limitQuery,
          },
          additionalProperties: false,
        },
        response: errorResponses,
      },
    },
    async (request) => {
      const now = app.clock.now()
      const q = request.query
      const rows = await listLocks(app.db, {
        now,
        active: q.active ?? true,
        msisdn: q.msisdn ? normaliseMsisdnInput(q.msisdn, app.config.country) : undefined,
        limit: q.limit,
      })
      return { items: rows.map((l) => presentLock(l, now)) }
    },
  )

  server.post<{ Params: { id: string }; Body: { reason: string } }>(
    '/api/v1/customer-auth-locks/:id/release',
    {
      config: { access: { auth: 'staff', permission: 'release_customer_auth_locks' } },
      schema: {
        tags,
        summary:
          'Release an agent’s lockout on a number before it runs out (a supervisor of another shop, or compliance)',
        params: idParams,
        body: {
          type: 'object',
          properties: { reason: { type: 'string', minLength: 3, maxLength: 500 } },
          required: ['reason'],
          additionalProperties: false,
        },
        response: responses,
      },
    },
    async (request) =>
      runCommand(app.deps, actorOf(request), (ctx) =>
        releaseCustomerAuthLock(ctx, staffOf(request), request.params.id, request.body.reason.trim()),
      ),
  )
}
