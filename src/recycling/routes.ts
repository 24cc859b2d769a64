import type { FastifyInstance } from 'fastify'
import type { App } from '../app.ts'
import { runCommand } from '../audit/run-command.ts'
import { ValidationError } from '../domain/errors.ts'
import { actorOf } from '../http/auth.ts'
import { anyObject, errorResponses } from '../http/schemas.ts'
import { listRequests } from '../requests/queries.ts'
import { presentRequests } from '../requests/routes.ts'
import { listPolicyVersions, proposePolicy } from './policies.ts'

const tags = ['recycling']

export async function recyclingRoutes(server: FastifyInstance, app: App) {
  server.get(
    '/api/v1/policies',
    {
      config: { access: { auth: 'staff', permission: 'view_policies' } },
      schema: {
        tags,
        summary:
          'Recycling policy versions, newest first; `in_force` governs cycles starting now, and open proposals await a compliance officer',
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request) => {
      const now = app.clock.now()
      const versions = await listPolicyVersions(app.db)
      const inForce = versions.find((v) => v.effective_from <= now)?.version ?? 1
      const open = [
        ...(await listRequests(app.db, { kind: 'policy_change', status: 'pending', now, limit: 50 })),
        ...(await listRequests(app.db, { kind: 'policy_change', status: 'approved', now, limit: 50 })),
      ]
      return {
        in_force: inForce,
        versions: versions.map((v) => ({ ...v, in_force: v.version === inForce, upcoming: v.effective_from > now })),
        proposals: await presentRequests(app.db, open, request.actor, now),
      }
    },
  )

  server.post<{ Body: { params: Record<string, unknown>; effective_from?: string } }>(
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
        proposePolicy(ctx, { params: request.body.params, effectiveFrom }),
      )
      const [presented] = await presentRequests(app.db, [created], request.actor, app.clock.now())
      return presented
    },
  )
}
