// Where DOMAIN says a person decides a waiting withdrawal: the usage veto (compliance) and a replacement for a
// warning that ended failed or unknown (supervisor or compliance). Each decision is one audited command.
import type { FastifyInstance } from 'fastify'
import type { App } from '../app.ts'
import { runCommand } from '../audit/index.ts'
import { normaliseMsisdnInput } from '../domain/msisdn.ts'
import { actorOf } from '../platform/route-access.ts'
import { anyObject, errorResponses, msisdnParams } from '../platform/schemas.ts'
import { decideUsageVeto, USAGE_DECISIONS, type UsageDecision } from './decisions.ts'
import { rewarnHolder } from './replacements.ts'

const tags = ['recycling']
const reason = {
  type: 'string',
  minLength: 10,
  maxLength: 1000,
  description: 'Why, in the decider’s words (at least 10 characters); kept in the audit record',
} as const

export async function recyclingDecisionRoutes(server: FastifyInstance, app: App) {
  server.post<{ Params: { msisdn: string }; Body: { decision: UsageDecision; reason: string } }>(
    '/api/v1/numbers/:msisdn/recycling/decision',
    {
      config: { access: { auth: 'staff', permission: 'decide_usage_veto' } },
      schema: {
        tags,
        summary:
          'Decide a withdrawal waiting on the usage veto: keep the holder (new cycle now) or withdraw despite usage',
        description:
          '`keep` starts a new inactivity cycle for the holder now, as a qualifying event would. ' +
          '`withdraw_despite_usage` lets the next sweep withdraw despite usage seen so far, for this cycle only; ' +
          'it is refused (409 `override_needs_evidence`) while any warning lacks its evidence, and the sweep still ' +
          'waits for a healthy charging feed and the 5-day evidence floor (invariant 4). 409 `not_waiting_on_usage` ' +
          'when the withdrawal is not waiting on the usage veto.',
        params: msisdnParams,
        body: {
          type: 'object',
          properties: { decision: { type: 'string', enum: [...USAGE_DECISIONS] }, reason },
          required: ['decision', 'reason'],
          additionalProperties: false,
        },
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request) => {
      const msisdn = normaliseMsisdnInput(request.params.msisdn, app.config.country)
      return runCommand(app.deps, actorOf(request), (ctx) =>
        decideUsageVeto(ctx, { msisdn, decision: request.body.decision, reason: request.body.reason }),
      )
    },
  )

  server.post<{ Params: { msisdn: string }; Body: { stage?: number; reason: string } }>(
    '/api/v1/numbers/:msisdn/recycling/rewarn',
    {
      config: { access: { auth: 'staff', permission: 'replace_warnings' } },
      schema: {
        tags,
        summary: 'Queue a replacement for a warning of the current cycle that ended failed or unknown',
        description:
          'A warning that ended `failed` or `unknown` is never evidence, so the withdrawal would wait forever. The ' +
          'sweep replaces `failed` ones by itself (twice per warning); an `unknown` one may have been delivered, so a ' +
          'person decides. The replacement tells the holder a withdrawal date at least 5 days ahead, and the ' +
          'withdrawal counts its evidence instead of the failed one. 409 `no_warning_to_replace` otherwise.',
        params: msisdnParams,
        body: {
          type: 'object',
          properties: { stage: { type: 'integer', minimum: 1, maximum: 20 }, reason },
          required: ['reason'],
          additionalProperties: false,
        },
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request) => {
      const msisdn = normaliseMsisdnInput(request.params.msisdn, app.config.country)
      return runCommand(app.deps, actorOf(request), (ctx) =>
        rewarnHolder(ctx, { msisdn, stage: request.body.stage, reason: request.body.reason }),
      )
    },
  )
}
