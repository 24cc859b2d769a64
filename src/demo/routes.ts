import type { FastifyInstance } from 'fastify'
import type { App } from '../app.ts'
import { parseDuration } from '../domain/clock.ts'
import { ValidationError } from '../domain/errors.ts'
import { actorOf } from '../http/auth.ts'
import { errorResponses } from '../http/schemas.ts'
import { advanceDemoClock } from './clock.ts'

export const VERSION = '0.1.0'

export async function metaRoutes(server: FastifyInstance, app: App) {
  server.get(
    '/api/v1/meta',
    { config: { access: { auth: 'public' } }, schema: { tags: ['system'], summary: 'Mode, clock and version' } },
    async () => ({
      mode: app.config.mode,
      now: app.clock.now(),
      clock_movable: Boolean(app.movableClock),
      database: app.database.kind,
      version: VERSION,
    }),
  )

  // Demo-only: never registered in production, so there it is a 404 like any unknown route.
  if (!app.movableClock) return
  server.post<{ Body: { by: string } }>(
    '/api/v1/demo/clock/advance',
    {
      config: { access: { auth: 'staff', permission: 'advance_clock' } },
      schema: {
        tags: ['demo'],
        summary: 'Move the demo clock forward (e.g. "30d", "12h"); the worker then catches up',
        body: {
          type: 'object',
          properties: { by: { type: 'string', maxLength: 12 } },
          required: ['by'],
          additionalProperties: false,
        },
        response: errorResponses,
      },
    },
    async (request) => {
      const ms = parseDuration(request.body.by)
      if (!ms || ms > 400 * 86_400_000)
        throw new ValidationError('by', 'by must be a duration such as 30d, 12h, 45m (at most 400d)')
      return advanceDemoClock(app, actorOf(request), ms)
    },
  )
}
