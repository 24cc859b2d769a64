import type { FastifyInstance } from 'fastify'
import type { App } from '../app.ts'
import { NotFoundError } from '../domain/errors.ts'
import { normaliseMsisdnInput } from '../domain/msisdn.ts'
import { errorResponses, limitQuery, msisdnParams } from '../platform/schemas.ts'
import { numberMoMessages, numberNotices, presentMo, presentNotices, withholdMo, withholdNotice } from '../sms/index.ts'
import { numberAccountView, seesCustody, seesMoment } from './account-view.ts'
import { findNumber } from './queries.ts'

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
          'final delivery receipt; `unknown` means a part may or may not have left (never resent). Invariant 10: ' +
          'an agent sees the body, address, language and custody of a notice (and the text of a reply) only inside ' +
          'a customer session for the holder it concerned (`withheld: true` otherwise); supervisors, compliance ' +
          'officers and auditors see them all.',
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
      const [listing, replies, view] = await Promise.all([
        numberNotices(app.db, msisdn, request.query.limit),
        numberMoMessages(app.db, msisdn, request.query.limit),
        numberAccountView(app.db, request.actor, msisdn, app.clock.now()),
      ])
      // Invariant 10: a notice is the account's of the custody it was sent for, a reply of the custody it came in.
      return {
        msisdn,
        account_view: view.kind,
        notices: presentNotices(listing).map((n) =>
          seesCustody(view, n.custody_id) ? { ...n, withheld: false } : withholdNotice(n),
        ),
        replies: replies.map((m) =>
          seesMoment(view, m.received_at) ? { ...presentMo(m), withheld: false } : withholdMo(presentMo(m)),
        ),
      }
    },
  )
}
