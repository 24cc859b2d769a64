import type { FastifyInstance } from 'fastify'
import type { App } from '../app.ts'
import { runCommand } from '../audit/index.ts'
import { ValidationError } from '../domain/errors.ts'
import { defaultMarket, parseMarket } from '../domain/markets.ts'
import { actorOf } from '../platform/route-access.ts'
import { anyObject, errorResponses } from '../platform/schemas.ts'
import { listRequests, presentRequests } from '../requests/index.ts'
import { listPolicyVersions, proposePolicy } from './policies.ts'

const tags = ['recycling']

export async function recyclingRoutes(server: FastifyInstance, app: App) {
  server.get<{ Querystring: { market?: string } }>(
    '/api/v1/policies',
    {
      config: { access: { auth: 'staff', permission: 'view_policies' } },
      schema: {
        tags,
        summary:
          'A market’s recycling policy versions, newest first (the operator’s country unless `market` names another); `in_force` governs cycles starting now, and open proposals await a compliance officer',
        querystring: {
          type: 'object',
          properties: { market: { type: 'string', maxLength: 2 } },
          additionalProperties: false,
        },
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request) => {
      const now = app.clock.now()
      const market = parseMarket(request.query.market ?? defaultMarket(app.config.country))
      const versions = await listPolicyVersions(app.db, market)
      const inForce = versions.find((v) => v.effective_from <= now)?.version ?? versions.at(-1)?.version
      const open = [
        ...(await listRequests(app.db, { kind: 'policy_change', status: 'pending', now, limit: 50 })),
        ...(await listRequests(app.db, { kind: 'policy_change', status: 'approved', now, limit: 50 })),
      ]
      return {
        market,
        in_force: inForce,
        versions: versions.map((v) => ({ ...v, in_force: v.version === inForce, upcoming: v.effective_from > now })),
        proposals: await presentRequests(app.db, open, request.actor, now),
      }
    },
  )

  server.post<{ Body: { market?: string; params: Record<string, unknown>; effective_from?: string } }>(
    '/api/v1/policies',
    {
      config: { access: { auth: 'staff', permission: 'propose_policy' } },
      schema: {
        tags,
        summary:
          'Propose a new policy version (what is left out keeps the latest version’s value): a policy_change request for a compliance officer',
        body: {
          type: 'object',
          properties: {
            market: { type: 'string', maxLength: 2 },
            params: { type: 'object', additionalProperties: true },
            effective_from: { type: 'string', format: 'date-time' },
          },
          required: ['params'],
          additionalProperties: false,
        },
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request) => {
      const effectiveFrom = request.body.effective_from ? new Date(request.body.effective_from) : undefined
      if (effectiveFrom && Number.isNaN(effectiveFrom.getTime())) {
        throw new ValidationError('effective_from', 'effective_from must be a date-time such as 2026-06-01T00:00:00Z')
      }
      const created = await runCommand(app.deps, actorOf(request), (ctx) =>
        proposePolicy(ctx, {
          market: parseMarket(request.body.market ?? defaultMarket(app.config.country)),
          params: request.body.params,
          effectiveFrom,
        }),
      )
      const [presented] = await presentRequests(app.db, [created], request.actor, app.clock.now())
      return presented
    },
  )
}
