import type { FastifyInstance } from 'fastify'
import type { App } from '../app.ts'
import { NotFoundError } from '../domain/errors.ts'
import { normaliseMsisdnInput } from '../domain/msisdn.ts'
import { anyObject, errorResponses, idParams, msisdnParams } from '../platform/schemas.ts'
import { presentNumbersAnalysis, presentStaffSignals } from './presenters.ts'
import { DEFAULT_ANALYSIS_DAYS, MAX_ANALYSIS_DAYS } from './settings.ts'
import { analyseNumbers, staffSignals } from './signals.ts'

// Who may read the analysis: those who read the audit log its figures link to (compliance officers, auditors).
const read = { access: { auth: 'staff', permission: 'view_audit' } } as const
const tags = ['analysis']
const ok = { 200: anyObject, ...errorResponses }
const daysQuery = {
  type: 'object',
  properties: { days: { type: 'integer', minimum: 1, maximum: MAX_ANALYSIS_DAYS, default: DEFAULT_ANALYSIS_DAYS } },
  additionalProperties: false,
} as const

export async function analysisRoutes(server: FastifyInstance, app: App) {
  server.get<{ Params: { msisdn: string }; Querystring: { days: number } }>(
    '/api/v1/analysis/numbers/:msisdn',
    {
      config: read,
      schema: {
        tags,
        summary: 'The staff who touched a number in the last `days`, ranked by risk, each figure with its leaves',
        params: msisdnParams,
        querystring: daysQuery,
        response: ok,
      },
    },
    async (request) => {
      const msisdn = normaliseMsisdnInput(request.params.msisdn, app.config.country)
      const number = await app.db.selectFrom('numbers').select('msisdn').where('msisdn', '=', msisdn).executeTakeFirst()
      if (!number) throw new NotFoundError('number', msisdn)
      return presentNumbersAnalysis(
        await analyseNumbers(app.db, { msisdns: [msisdn], clock: app.clock, days: request.query.days }),
      )
    },
  )

  server.get<{ Params: { id: string }; Querystring: { days: number } }>(
    '/api/v1/staff/:id/signals',
    {
      config: read,
      schema: {
        tags,
        summary: "A staff member's risk signals over every number in the last `days`, each figure with its leaves",
        params: idParams,
        querystring: daysQuery,
        response: ok,
      },
    },
    async (request) => {
      const answer = await staffSignals(app.db, request.params.id, { clock: app.clock, days: request.query.days })
      if (!answer) throw new NotFoundError('staff member', request.params.id)
      return presentStaffSignals(answer)
    },
  )
}
