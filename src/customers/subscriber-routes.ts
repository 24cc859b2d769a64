import type { FastifyInstance } from 'fastify'
import type { App } from '../app.ts'
import { NotFoundError } from '../domain/errors.ts'
import { staffOf } from '../platform/route-access.ts'
import { errorResponses, idParams } from '../platform/schemas.ts'
import { findSubscriber, presentSubscriber, subscriberCustodies, subscriberSims } from '../subscribers/index.ts'
import { subscriberViewFor } from './access.ts'

export async function subscriberRoutes(server: FastifyInstance, app: App) {
  server.get<{ Params: { id: string } }>(
    '/api/v1/subscribers/:id',
    {
      config: { access: { auth: 'staff', permission: 'view_subscribers' } },
      schema: {
        tags: ['subscribers'],
        summary: 'A subscriber with the numbers held; an agent only inside a customer session',
        description:
          'An agent sees a subscriber only inside a customer session opened by authenticating the customer ' +
          '(POST /api/v1/customer-sessions): name, contact, document digits, numbers and SIMs in full. Without ' +
          'one the answer is 403 `customer_session_required` (and an info alert names the agent). Supervisors, ' +
          'compliance officers and auditors see what their work needs: the name and contact masked, the last 4 ' +
          'characters of the ID document and the numbers in full.',
        params: idParams,
        response: errorResponses,
      },
    },
    async (request) => {
      const s = await findSubscriber(app.db, request.params.id)
      if (!s) throw new NotFoundError('subscriber', request.params.id)
      const view = await subscriberViewFor(app.deps, staffOf(request), s.id)
      const [custodies, sims] = await Promise.all([
        subscriberCustodies(app.db, s.id),
        view.kind === 'full' ? subscriberSims(app.db, s.id) : Promise.resolve(null),
      ])
      return {
        ...presentSubscriber(s, view.kind),
        view: view.kind,
        customer_session:
          view.kind === 'full' ? { id: view.customerSessionId, expires_at: view.expiresAt.toISOString() } : null,
        // Kept for older consoles: numbers are never masked any more, since an agent without a session sees nothing.
        msisdns_masked: false,
        custodies,
        sims,
      }
    },
  )
}
