import type { FastifyInstance } from 'fastify'
import type { App } from '../app.ts'
import { NotFoundError } from '../domain/errors.ts'
import { normaliseMsisdnInput } from '../domain/msisdn.ts'
import { errorResponses, limitQuery, msisdnParams } from '../http/schemas.ts'
import { findNumber } from '../inventory/queries.ts'
import { presentMo, presentNotices } from './presenters.ts'
import { numberMoMessages, numberNotices } from './queries.ts'

export async function smsRoutes(server: FastifyInstance, app: App) {
  server.get<{ Params: { msisdn: string }; Querystring: { limit: number } }>(
    '/api/v1/numbers/:msisdn/notices',
    {
      config: { access: { auth: 'staff', permission: 'view_numbers' } },
      schema: {
        tags: ['numbers'],
        summary: 'SMS notices about a number, with their parts, receipts and evidence, and the replies it sent',
        description:
          'Bodies as stored (one-time codes masked). A notice is evidence (`evidenced`) only when every part has a ' +
          'final delivery receipt; `unknown` means a part may or may not have left (never resent).',
        params: msisdnParams,
        querystring: {
          type: 'object',
          properties: { limit: limitQuery },
          additionalProperties: false,
        },
        response: errorResponses,
      },
    },
    async (request) => {
      const msisdn = normaliseMsisdnInput(request.params.msisdn, app.config.country)
      if (!(await findNumber(app.db, msisdn))) throw new NotFoundError('number', msisdn)
      const [listing, replies] = await Promise.all([
        numberNotices(app.db, msisdn, request.query.limit),
        numberMoMessages(app.db, msisdn, request.query.limit),
      ])
      return { msisdn, notices: presentNotices(listing), replies: replies.map(presentMo) }
    },
  )
}
