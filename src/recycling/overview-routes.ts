import type { FastifyInstance } from 'fastify'
import { can } from '../access/index.ts'
import type { App } from '../app.ts'
import { NotFoundError } from '../domain/errors.ts'
import { normaliseMsisdnInput } from '../domain/msisdn.ts'
import { numberAccountView } from '../inventory/index.ts'
import { errorResponses, msisdnParams } from '../platform/schemas.ts'
import { decisionAbilities } from './decision-policies.ts'
import { decisionView } from './decision-view.ts'
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
        description:
          'Invariant 10: which number is where in its holder’s inactivity cycle is that holder’s account. The lists ' +
          'of numbers go to supervisors, inventory managers, compliance officers and auditors (`view_recycling_lists`); ' +
          'anyone else (an agent) gets the counts and waiting reasons, `lists: null` and `lists_withheld` saying why.',
        response: errorResponses,
      },
    },
    async (request) => {
      const now = app.clock.now()
      const lists = can(request.actor, 'view_recycling_lists')
      return {
        now,
        ...(await recyclingOverview(app.db, now, { lists })),
        lists_withheld: lists
          ? null
          : {
              reason: 'account_data',
              message:
                'Which numbers are where in their cycle is their holders’ account: the lists are shown to supervisors, ' +
                'inventory managers, compliance officers and auditors. Open a number to see its own cycle after ' +
                'verifying the customer.',
            },
      }
    },
  )

  server.get<{ Params: { msisdn: string } }>(
    '/api/v1/numbers/:msisdn/recycling',
    {
      config: view,
      schema: {
        tags,
        summary:
          'Where a number stands in its inactivity cycle: stage, day, next step and its date, reclaim deadline, why a ' +
          'withdrawal waits and what a person may decide about it',
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
      // Why a withdrawal waits and what a person may decide about it: the holder's account too (invariant 10).
      const decisions = cycle && !withheld ? await decisionView(app.db, cycle.custody_id, now) : null
      return {
        msisdn,
        cycle: withheld ? null : cycle,
        withheld,
        decisions,
        abilities: {
          reclaim: Boolean(cycle?.reclaimable) && can(request.actor, 'request_reclaim'),
          ...decisionAbilities(request.actor, {
            usageDecisionOpen: decisions?.usage_decision_open ?? false,
            replaceableWarnings: decisions?.warnings.filter((w) => w.replaceable).length ?? 0,
          }),
        },
      }
    },
  )
}
