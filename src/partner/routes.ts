// The CAMARA partner APIs under /camara, in an encapsulated plugin: CAMARA's error shape and codes here, the rest of
// the API keeps its own. Every answer (errors about a named number included) is in the partner access log before it
// leaves, and every response echoes the caller's x-correlator.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { App } from '../app.ts'
import type { PartnerOperation } from '../db/types-partner.ts'
import { actorOf } from '../platform/route-access.ts'
import { partnerAccessRoutes } from './access-log-routes.ts'
import { type AccessLogWriter, createAccessLogWriter } from './access-log-writer.ts'
import { type Checks, createChecks } from './checks.ts'
import { partnerDb } from './db.ts'
import { CamaraError, correlatorOf, installCamaraErrors, toCamaraError } from './errors.ts'
import { createQuota, type Quota } from './quota.ts'
import { NUMBER_RECYCLING_CHECK, SIM_SWAP_CHECK, SIM_SWAP_RETRIEVE_DATE } from './schemas.ts'
import { subscriptionRoutes } from './subscription-routes.ts'

export const CAMARA_PREFIX = '/camara'

interface Body {
  phoneNumber?: string
  specifiedDate?: string
  maxAge?: number
}

export interface PartnerContext {
  app: App
  checks: Checks
  quota: Quota
  accessLog: AccessLogWriter
}

/** Quota, identifier, answer, access log: the same steps for every question about one number. */
async function answer(
  ctx: PartnerContext,
  request: FastifyRequest,
  reply: FastifyReply,
  operation: PartnerOperation,
  ask: (msisdn: string, now: Date) => Promise<Record<string, unknown>>,
) {
  const actor = actorOf(request)
  const clientId = actor.kind === 'machine' ? actor.clientId : 'unknown'
  await ctx.quota.take(clientId)
  const body = (request.body ?? {}) as Body
  const msisdn = body.phoneNumber
  // 2-legged tokens never identify a number: the body must (CAMARA: 422 MISSING_IDENTIFIER).
  if (!msisdn) throw new CamaraError(422, 'MISSING_IDENTIFIER', 'phoneNumber is required with this access token')
  const now = ctx.app.clock.now()
  const { phoneNumber: _, ...question } = body
  let status = 200
  let result: Record<string, unknown>
  try {
    result = await ask(msisdn, now)
  } catch (err) {
    const camara = toCamaraError(err as never)
    if (camara.status >= 500) throw err
    status = camara.status
    result = { code: camara.code }
    await log()
    throw camara
  }
  await log()
  return reply.send(result)

  function log() {
    return ctx.accessLog.write({
      clientId,
      msisdn: msisdn as string,
      operation,
      question,
      status,
      answer: result,
      correlator: correlatorOf(request.headers) ?? null,
      askedAt: now,
    })
  }
}

export async function partnerRoutes(server: FastifyInstance, app: App): Promise<void> {
  const db = partnerDb(app.db)
  // The checks' statements are prepared once per connection on PostgreSQL (a bank calls them on every login).
  const prepared = app.database.kind === 'postgres'
  const ctx: PartnerContext = {
    app,
    checks: createChecks(db, { prepared }),
    quota: createQuota(db, app.clock),
    accessLog: createAccessLogWriter(db, { prepared }),
  }
  // Fastify closes after the requests in flight have answered; their rows are written by then, this is the backstop.
  server.addHook('onClose', () => ctx.accessLog.close())
  await partnerAccessRoutes(server, app)
  await server.register(
    async (scope) => {
      installCamaraErrors(scope)
      scope.addHook('onSend', async (request, reply) => {
        const correlator = correlatorOf(request.headers)
        if (correlator) reply.header('x-correlator', correlator)
      })

      scope.post(
        '/number-recycling/v0.2/check',
        { schema: NUMBER_RECYCLING_CHECK, config: { access: { auth: 'machine', scope: 'number-recycling:check' } } },
        (request, reply) =>
          answer(ctx, request, reply, 'number_recycling_check', (msisdn, now) =>
            ctx.checks.numberRecycled(msisdn, (request.body as Body).specifiedDate as string, now),
          ),
      )
      scope.post(
        '/sim-swap/v2/retrieve-date',
        {
          schema: SIM_SWAP_RETRIEVE_DATE,
          config: { access: { auth: 'machine', scope: 'sim-swap:retrieve-date', orScopes: ['sim-swap'] } },
        },
        (request, reply) =>
          answer(ctx, request, reply, 'sim_swap_retrieve_date', (msisdn, now) => ctx.checks.simSwapDate(msisdn, now)),
      )
      scope.post(
        '/sim-swap/v2/check',
        {
          schema: SIM_SWAP_CHECK,
          config: { access: { auth: 'machine', scope: 'sim-swap:check', orScopes: ['sim-swap'] } },
        },
        (request, reply) =>
          answer(ctx, request, reply, 'sim_swap_check', (msisdn, now) =>
            ctx.checks.simSwapCheck(msisdn, (request.body as Body).maxAge, now),
          ),
      )
      await subscriptionRoutes(scope, app)
    },
    { prefix: CAMARA_PREFIX },
  )
}
