import type { FastifyInstance } from 'fastify'
import { can } from '../access/policies.ts'
import type { App } from '../app.ts'
import { NotFoundError } from '../domain/errors.ts'
import { normaliseMsisdnInput } from '../domain/msisdn.ts'
import { errorResponses, msisdnParams } from '../http/schemas.ts'
import { numberAccountView } from '../inventory/account-view.ts'
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
        description:
          'A held number’s cycle is its holder’s account (invariant 10): an agent without a customer session for ' +
          'the holder gets `cycle: null, withheld: true`. Ageing numbers (reclaim) are shown to everyone.',
        params: msisdnParams,
        response: errorResponses,
      },
    },
    async (request) => {
      const msisdn = normaliseMsisdnInput(request.params.msisdn, app.config.country)
      const now = app.clock.now()
      const exists = await app.db.selectFrom('numbers').select('msisdn').where('msisdn', '=', msisdn).executeTakeFirst()
      if (!exists) throw new NotFoundError('number', msisdn)
      const [cycle, view] = await Promise.all([
        numberCycle(app.db, msisdn, now),
        numberAccountView(app.db, request.actor, msisdn, now),
      ])
      // Invariant 10: a cycle (its holder's last top-up, the warnings they were sent, their account type) is the
      // account's; an ageing number's stays shown, since a reclaim by the former holder starts from it.
      const withheld = view.kind === 'restricted' && cycle !== null && cycle.stage !== 'aging'
      return {
        msisdn,
        cycle: withheld ? null : cycle,
        withheld,
        abilities: { reclaim: Boolean(cycle?.reclaimable) && can(request.actor, 'request_reclaim') },
      }
    },
  )
}
