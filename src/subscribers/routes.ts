import type { FastifyInstance } from 'fastify'
import type { App } from '../app.ts'
import { NotFoundError } from '../domain/errors.ts'
import type { Role } from '../domain/roles.ts'
import { staffOf } from '../http/auth.ts'
import { errorResponses, idParams } from '../http/schemas.ts'
import { maskMsisdn, presentSubscriber } from './presenters.ts'
import { findSubscriber, subscriberCustodies } from './queries.ts'

/**
 * Roles that see the numbers a subscriber holds or held. An agent sees them masked: the numbers of a person are
 * their details, shown to an agent only inside a customer session (DOMAIN invariant 10; that session comes later).
 */
const SEES_SUBSCRIBER_NUMBERS: readonly Role[] = ['supervisor', 'compliance_officer', 'auditor']

export async function subscriberRoutes(server: FastifyInstance, app: App) {
  server.get<{ Params: { id: string } }>(
    '/api/v1/subscribers/:id',
    {
      config: { access: { auth: 'staff', permission: 'view_subscribers' } },
      schema: {
        tags: ['subscribers'],
        summary:
          'A subscriber (masked until a customer session exists) with the numbers held; ' +
          'for a caller whose only role here is agent each MSISDN is masked to its last 3 digits',
        params: idParams,
        response: errorResponses,
      },
    },
    async (request) => {
      const s = await findSubscriber(app.db, request.params.id)
      if (!s) throw new NotFoundError('subscriber', request.params.id)
      const masked = !staffOf(request).roles.some((r) => SEES_SUBSCRIBER_NUMBERS.includes(r))
      const custodies = await subscriberCustodies(app.db, s.id)
      return {
        ...presentSubscriber(s),
        msisdns_masked: masked,
        custodies: masked ? custodies.map((c) => ({ ...c, msisdn: maskMsisdn(c.msisdn) })) : custodies,
      }
    },
  )
}
