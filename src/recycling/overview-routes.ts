import type { FastifyInstance } from 'fastify'
import { can } from '../access/policies.ts'
import type { App } from '../app.ts'
import { NotFoundError } from '../domain/errors.ts'
import { normaliseMsisdnInput } from '../domain/msisdn.ts'
import { errorResponses, msisdnParams } from '../http/schemas.ts'
import { numberCycle, recyclingOverview } from './overview.ts'

const tags = ['recycling']
const view = { access: { auth: 'staff', permission: 'view_numbers' } } as const

export async function recyclingOverviewRoutes(server: FastifyInstance, app: App) {
  server.get(
    '/api/v1/recycling/overview',
    {
      config: view,
      schema: {
        tags,
        summary:
          'Prepaid numbers by recycling stage (counting, warned, suspended, waiting with why, aging), with the soonest of each',
        response: errorResponses,
      },
    },
    async () => {
      const now = app.clock.now()
      return { now, ...(await recyclingOverview(app.db, now)) }
    },
  )

  server.get<{ Params: { msisdn: string } }>(
    '/api/v1/numbers/:msisdn/recycling',
    {
      config: view,
      schema: {
        tags,
        summary: 'Where a number stands in its inactivity cycle: stage, day, next step and its date, reclaim deadline',
        params: msisdnParams,
        response: errorResponses,
      },
    },
    async (request) => {
      const msisdn = normaliseMsisdnInput(request.params.msisdn, app.config.country)
      const now = app.clock.now()
      const exists = await app.db.selectFrom('numbers').select('msisdn').where('msisdn', '=', msisdn).executeTakeFirst()
      if (!exists) throw new NotFoundError('number', msisdn)
      const cycle = await numberCycle(app.db, msisdn, now)
      return {
        msisdn,
        cycle,
        abilities: { reclaim: Boolean(cycle?.reclaimable) && can(request.actor, 'request_reclaim') },
      }
    },
  )
}
