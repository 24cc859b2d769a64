import type { FastifyInstance } from 'fastify'
import type { App } from '../app.ts'
import { ValidationError } from '../domain/errors.ts'
import { normaliseMsisdnInput } from '../domain/msisdn.ts'
import { errorResponses, limitQuery, msisdnPattern } from '../platform/schemas.ts'
import { presentAlert } from './presenters.ts'
import { listAlerts } from './queries.ts'

export async function alertRoutes(server: FastifyInstance, app: App) {
  server.get<{ Querystring: { msisdn?: string; severity?: string; kind?: string; before?: string; limit: number } }>(
    '/api/v1/alerts',
    {
      config: { access: { auth: 'staff', permission: 'view_alerts' } },
      schema: {
        tags: ['alerts'],
        summary: 'Alerts, newest first: refused attempts and suspicious events, each naming who tried',
        description:
          'Every 403 to a known staff member or machine client leaves one. Identical alerts (same kind, person and ' +
          'subject) within 10 minutes of the first are counted on it: `repeats`, `last_seen_at`.',
        querystring: {
          type: 'object',
          properties: {
            msisdn: { type: 'string', pattern: msisdnPattern },
            severity: { type: 'string', enum: ['info', 'warning', 'risk'] },
            kind: { type: 'string', maxLength: 64 },
            before: { type: 'string', format: 'date-time' },
            limit: limitQuery,
          },
          additionalProperties: false,
        },
        response: errorResponses,
      },
    },
    async (request) => {
      const q = request.query
      // The date-time format admits a leap second (23:59:60), which JavaScript's Date cannot hold.
      const before = q.before ? new Date(q.before) : undefined
      if (before && !(before.getUTCFullYear() >= 1 && before.getUTCFullYear() <= 9999)) {
        throw new ValidationError('before', 'before must be a date-time such as 2026-03-01T00:00:00Z')
      }
      const items = await listAlerts(app.db, {
        ...q,
        msisdn: q.msisdn ? normaliseMsisdnInput(q.msisdn, app.config.country) : undefined,
        before,
      })
      return { items: items.map(presentAlert) }
    },
  )
}
