// Compliance searches the partner access log: which partner asked what about a number, when, and what it was told.
import type { FastifyInstance } from 'fastify'
import type { App } from '../app.ts'
import { partnerDb } from './db.ts'

interface Query {
  msisdn?: string
  client_id?: string
  from?: string
  to?: string
  limit?: number
}

export async function partnerAccessRoutes(server: FastifyInstance, app: App): Promise<void> {
  const db = partnerDb(app.db)
  server.get(
    '/api/v1/partner-access',
    {
      config: { access: { auth: 'staff', permission: 'view_partner_access' } },
      schema: {
        tags: ['partners'],
        summary: 'Search the partner access log (CAMARA questions and answers), newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            msisdn: { type: 'string', pattern: '^\\+[1-9][0-9]{4,14}$' },
            client_id: { type: 'string', pattern: '^[a-z0-9._-]{2,64}$' },
            from: { type: 'string', format: 'date-time' },
            to: { type: 'string', format: 'date-time' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
          },
        },
      },
    },
    async (request) => {
      const q = request.query as Query
      let query = db
        .selectFrom('partner_access_log')
        .select(['id', 'client_id', 'msisdn', 'operation', 'question', 'status', 'answer', 'correlator', 'asked_at'])
      if (q.msisdn) query = query.where('msisdn', '=', q.msisdn)
      if (q.client_id) query = query.where('client_id', '=', q.client_id)
      if (q.from) query = query.where('asked_at', '>=', new Date(q.from))
      if (q.to) query = query.where('asked_at', '<', new Date(q.to))
      const rows = await query
        .orderBy('asked_at', 'desc')
        .orderBy('id', 'desc')
        .limit(q.limit ?? 100)
        .execute()
      return {
        items: rows.map((r) => ({
          id: String(r.id),
          client_id: r.client_id,
          msisdn: r.msisdn,
          operation: r.operation,
          question: r.question,
          status: r.status,
          answer: r.answer,
          correlator: r.correlator,
          asked_at: new Date(r.asked_at).toISOString(),
        })),
      }
    },
  )
}
