import type { FastifyInstance } from 'fastify'
import type { App } from '../app.ts'
import { errorResponses, limitQuery, msisdnPattern, msisdnFromParam } from '../http/schemas.ts'
import { listAlerts } from './queries.ts'

export async function alertRoutes(server: FastifyInstance, app: App) {
  server.get<{ Querystring: { msisdn?: string; severity?: string; kind?: string; before?: string; limit: number } }>(
    '/api/v1/alerts',
    {
      config: { access: { auth: 'staff', permission: 'view_alerts' } },
      schema: {
        tags: ['alerts'],
        summary: 'Alerts, newest first: refused attempts and suspicious events, each naming who tried',
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
      const items = await listAlerts(app.db, {
        ...q,
        msisdn: q.msisdn ? msisdnFromParam(q.msisdn) : undefined,
        before: q.before ? new Date(q.before) : undefined,
      })
      return { items }
    },
  )
}
