import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { App } from '../app.ts'
import { audited, recordAudit, runCommand } from '../audit/index.ts'
import { NotFoundError, ValidationError } from '../domain/errors.ts'
import { defaultMarket } from '../domain/markets.ts'
import { actorOf } from '../platform/route-access.ts'
import { anyObject, errorResponses, idParams, limitQuery } from '../platform/schemas.ts'
import { feedHealth } from './health.ts'
import { ingestActivity } from './ingest.ts'
import { presentBatch, presentSource } from './presenters.ts'
import { findBatch, listBatches, listSources } from './queries.ts'
import { MAX_BATCH_EVENTS, SOURCE_PATTERN } from './validate.ts'

const tags = ['activity']
const view = { access: { auth: 'staff', permission: 'view_activity' } } as const
/** 10,000 events of a few hundred bytes each, with room to spare; the server's default limit is 2 MB. */
const BATCH_BODY_LIMIT = 16 * 1024 * 1024
const inputHashes = new WeakMap<FastifyRequest, string>()

interface BatchBody {
  source?: string
  events: unknown[]
}

export async function activityRoutes(server: FastifyInstance, app: App) {
  // Its own scope: the JSON parser here also hashes the body exactly as received, for the batch's audit record.
  await server.register(async (scope) => {
    scope.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit: BATCH_BODY_LIMIT },
      (request, body, done) => {
        inputHashes.set(
          request,
          createHash('sha256')
            .update(body as Buffer)
            .digest('hex'),
        )
        try {
          done(null, JSON.parse((body as Buffer).toString('utf8')))
        } catch {
          done(new ValidationError('body', 'the body is not valid JSON'), undefined)
        }
      },
    )
    scope.post<{ Body: BatchBody }>(
      '/api/v1/activity',
      {
        config: { access: { auth: 'machine', scope: 'activity:ingest' } },
        bodyLimit: BATCH_BODY_LIMIT,
        schema: {
          tags,
          summary:
            'Ingest up to 10,000 charging events (top-up, payment, usage); each row that is not plainly accepted is reported',
          description:
            'Idempotent on (source, external_id): a replayed batch reports duplicates and changes nothing. One bad row never ' +
            'refuses the batch; only a malformed envelope is a 400. An empty batch with a `source` is a heartbeat: it keeps ' +
            'the source counted as alive for feed health.',
          body: {
            type: 'object',
            properties: {
              source: { type: 'string', description: 'default source of events that name none; alone, a heartbeat' },
              events: {
                type: 'array',
                maxItems: MAX_BATCH_EVENTS,
                // Rows are checked one by one by the handler (a bad row is reported, not a 400), so no schema here.
                items: {
                  description:
                    '{ msisdn (E.164 or national), kind: topup | payment | usage, amount (decimal string or number; ' +
                    'required above 0 for topup and payment), currency? (ISO 4217), occurred_at (ISO 8601 with a time ' +
                    'zone), source? (else the batch source), external_id (unique per source) }',
                },
              },
            },
            required: ['events'],
            additionalProperties: false,
          },
          response: { 200: anyObject, ...errorResponses },
        },
      },
      async (request) => {
        const inputSha256 = inputHashes.get(request)
        if (!inputSha256) throw new ValidationError('content-type', 'send the batch as application/json')
        return runCommand(app.deps, actorOf(request), (ctx) =>
          ingestActivity(ctx, {
            events: request.body.events,
            source: request.body.source,
            inputSha256,
            claimedInput: claimedInput(request),
            country: app.config.country,
          }),
        )
      },
    )
  })

  server.get(
    '/api/v1/activity/sources',
    { config: view, schema: { tags, summary: 'Charging sources and feed health (withdrawals pause while unhealthy)' } },
    async () => {
      const now = app.clock.now()
      const silenceHours = await currentSilenceHours(app)
      const [sources, health] = await Promise.all([listSources(app.db), feedHealth(app.db, now, silenceHours)])
      return {
        healthy: health.healthy,
        silence_hours: silenceHours,
        items: sources.map((s) => presentSource(s, now, silenceHours)),
      }
    },
  )

  server.post<{ Params: { source: string } }>(
    '/api/v1/activity/sources/:source/retire',
    {
      config: { access: { auth: 'staff', permission: 'retire_activity_source' } },
      schema: {
        tags,
        summary: 'Retire a charging source: it stops counting for feed health until it sends again',
        params: { type: 'object', properties: { source: { type: 'string', maxLength: 64 } }, required: ['source'] },
        response: errorResponses,
      },
    },
    async (request) => {
      const { source } = request.params
      if (!SOURCE_PATTERN.test(source)) throw new NotFoundError('activity source', source)
      return runCommand(app.deps, actorOf(request), async (ctx) => {
        const row = await ctx.tx
          .updateTable('activity_sources')
          .set({ retired_at: ctx.now })
          .where('source', '=', source)
          .where('retired_at', 'is', null)
          .returning(['source', 'last_received_at'])
          .executeTakeFirst()
        if (!row) throw new NotFoundError('active activity source', source)
        const receipt = await recordAudit(ctx, {
          action: 'activity.source_retired',
          before: { source, last_received_at: row.last_received_at },
          after: { source, retired_at: ctx.now.toISOString() },
        })
        return audited({ source, retired_at: ctx.now.toISOString() }, [receipt])
      })
    },
  )

  server.get<{ Querystring: { limit: number; before?: string } }>(
    '/api/v1/activity/batches',
    {
      config: view,
      schema: {
        tags,
        summary: 'Ingested batches, newest first (page with `before` = the last received_at)',
        querystring: {
          type: 'object',
          properties: { limit: limitQuery, before: { type: 'string', format: 'date-time' } },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const { limit, before } = request.query
      const rows = await listBatches(app.db, limit, before ? new Date(before) : undefined)
      return { items: rows.map((r) => presentBatch(r)) }
    },
  )

  server.get<{ Params: { id: string } }>(
    '/api/v1/activity/batches/:id',
    {
      config: view,
      schema: { tags, summary: 'One batch with every row it refused', params: idParams, response: errorResponses },
    },
    async (request) => {
      const row = await findBatch(app.db, request.params.id)
      if (!row) throw new NotFoundError('activity batch', request.params.id)
      return { ...presentBatch(row), rejections: row.rejections }
    },
  )
}

/** The CLI names the file and the lines a chunk came from; recorded as claimed, since nothing can verify it. */
function claimedInput(request: FastifyRequest): Record<string, unknown> | undefined {
  const header = request.headers['x-numguard-input']
  if (typeof header !== 'string' || header.length > 600) return undefined
  try {
    const parsed = JSON.parse(header)
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : undefined
  } catch {
    return undefined
  }
}

async function currentSilenceHours(app: App): Promise<number> {
  const row = await app.db
    .selectFrom('recycling_policies')
    .select('params')
    // The feed is the operator's, one for every market: its home market's policy says how long it may be silent.
    .where('market', '=', defaultMarket(app.config.country))
    .where('effective_from', '<=', app.clock.now())
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst()
  const hours = (row?.params as { feed_silence_hours?: unknown } | undefined)?.feed_silence_hours
  return typeof hours === 'number' && hours > 0 ? hours : 6
}
