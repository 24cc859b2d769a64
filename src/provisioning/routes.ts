import type { FastifyInstance } from 'fastify'
import type { App } from '../app.ts'
import { runCommand } from '../audit/index.ts'
import { ConflictError, NotFoundError } from '../domain/errors.ts'
import { actorOf } from '../platform/route-access.ts'
import { anyObject, errorResponses, idParams, limitQuery } from '../platform/schemas.ts'
import {
  ackProvisioning,
  BACKLOG_THRESHOLD_MS,
  claimProvisioning,
  DEFAULT_LEASE_SECONDS,
  MAX_ATTEMPTS,
  nackProvisioning,
  requeueProvisioning,
} from './commands.ts'
import { presentEvent } from './presenters.ts'
import { listUnacked, outboxStatus } from './queries.ts'

const tags = ['provisioning']
const consumer = { access: { auth: 'machine', scope: 'provisioning' } } as const
const view = { access: { auth: 'staff', permission: 'view_provisioning' } } as const
const idList = { type: 'array', items: { type: 'string', format: 'uuid' }, minItems: 1, maxItems: 500 } as const

export async function provisioningRoutes(server: FastifyInstance, app: App) {
  server.post<{ Body: { limit?: number; lease_seconds?: number } }>(
    '/api/v1/provisioning/claim',
    {
      config: consumer,
      schema: {
        tags,
        summary:
          'Lease the next provisioning events (in order per number; one unacknowledged event per number at a time)',
        body: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
            lease_seconds: { type: 'integer', minimum: 10, maximum: 3600, default: DEFAULT_LEASE_SECONDS },
          },
          additionalProperties: false,
        },
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request) => {
      const body = request.body ?? {}
      const events = await runCommand(app.deps, actorOf(request), (ctx) =>
        claimProvisioning(ctx, { limit: body.limit ?? 50, leaseSeconds: body.lease_seconds }),
      )
      return { items: events.map(presentEvent) }
    },
  )

  server.post<{ Params: { id: string } }>(
    '/api/v1/provisioning/events/:id/ack',
    {
      config: consumer,
      schema: {
        tags,
        summary: 'Acknowledge an event this client claimed (applied by the network); acknowledging twice is fine',
        params: idParams,
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request) => {
      const [out] = await runCommand(app.deps, actorOf(request), (ctx) => ackProvisioning(ctx, [request.params.id]))
      if (out.outcome === 'not_found') throw new NotFoundError('provisioning event', out.id)
      if (out.outcome === 'not_claimed')
        throw new ConflictError('not_claimed', 'This client does not hold this event: claim it first', { id: out.id })
      return out
    },
  )

  server.post<{ Body: { ids: string[] } }>(
    '/api/v1/provisioning/ack',
    {
      config: consumer,
      schema: {
        tags,
        summary: 'Acknowledge several claimed events at once (one audit record); each id gets its outcome',
        body: { type: 'object', properties: { ids: idList }, required: ['ids'], additionalProperties: false },
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request) => ({
      items: await runCommand(app.deps, actorOf(request), (ctx) =>
        ackProvisioning(ctx, [...new Set(request.body.ids)]),
      ),
    }),
  )

  server.post<{ Params: { id: string }; Body: { error: string } }>(
    '/api/v1/provisioning/events/:id/nack',
    {
      config: consumer,
      schema: {
        tags,
        summary: `Report that applying an event failed: it is retried with exponential backoff, and dead after ${MAX_ATTEMPTS} attempts`,
        params: idParams,
        body: {
          type: 'object',
          properties: { error: { type: 'string', minLength: 1, maxLength: 2000 } },
          required: ['error'],
          additionalProperties: false,
        },
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request) =>
      runCommand(app.deps, actorOf(request), (ctx) =>
        nackProvisioning(ctx, { id: request.params.id, error: request.body.error }),
      ),
  )

  server.get(
    '/api/v1/provisioning/status',
    { config: view, schema: { tags, summary: 'Outbox health: pending, in flight, backing off, dead, oldest age' } },
    async () => {
      const now = app.clock.now()
      const s = await outboxStatus(app.db, now)
      const age = s.oldest_pending_at ? Math.floor((now.getTime() - s.oldest_pending_at.getTime()) / 1000) : null
      return {
        ...s,
        oldest_pending_at: s.oldest_pending_at?.toISOString() ?? null,
        oldest_pending_age_seconds: age,
        backlog: age !== null && age * 1000 > BACKLOG_THRESHOLD_MS,
        backlog_threshold_seconds: BACKLOG_THRESHOLD_MS / 1000,
        max_attempts: MAX_ATTEMPTS,
      }
    },
  )

  server.get<{ Querystring: { state: 'pending' | 'dead'; limit: number } }>(
    '/api/v1/provisioning/events',
    {
      config: view,
      schema: {
        tags,
        summary: 'Unacknowledged events, oldest first',
        querystring: {
          type: 'object',
          properties: { state: { type: 'string', enum: ['pending', 'dead'], default: 'pending' }, limit: limitQuery },
          additionalProperties: false,
        },
      },
    },
    async (request) => ({
      items: (await listUnacked(app.db, request.query.state, request.query.limit)).map(presentEvent),
    }),
  )

  server.post<{ Params: { id: string } }>(
    '/api/v1/provisioning/events/:id/requeue',
    {
      config: { access: { auth: 'staff', permission: 'requeue_provisioning' } },
      schema: {
        tags,
        summary: 'Put a dead event back in the queue with fresh attempts',
        params: idParams,
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request) => runCommand(app.deps, actorOf(request), (ctx) => requeueProvisioning(ctx, request.params.id)),
  )
}
