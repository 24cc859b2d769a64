import type { FastifyInstance } from 'fastify'
import type { App } from '../app.ts'
import { NotFoundError } from '../domain/errors.ts'
import { errorResponses, idParams } from '../http/schemas.ts'
import { presentSubscriber } from './presenters.ts'
import { findSubscriber, subscriberCustodies } from './queries.ts'

export async function subscriberRoutes(server: FastifyInstance, app: App) {
  server.get<{ Params: { id: string } }>(
    '/api/v1/subscribers/:id',
    {
      config: { access: { auth: 'staff', permission: 'view_subscribers' } },
      schema: {
        tags: ['subscribers'],
        summary: 'A subscriber (masked until a customer session exists) with the numbers held',
        params: idParams,
        response: errorResponses,
      },
    },
    async (request) => {
      const s = await findSubscriber(app.db, request.params.id)
      if (!s) throw new NotFoundError('subscriber', request.params.id)
      return { ...presentSubscriber(s), custodies: await subscriberCustodies(app.db, s.id) }
    },
  )
}
