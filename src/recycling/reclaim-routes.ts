// The reclaim route (issue 10): filed here, in recycling, because a reclaim is a recycling step; the request it files
// is presented the way every request is (src/requests).
import type { FastifyInstance } from 'fastify'
import type { App } from '../app.ts'
import { runCommand } from '../audit/index.ts'
import type { Actor } from '../domain/actor.ts'
import { NotFoundError } from '../domain/errors.ts'
import { normaliseMsisdnInput } from '../domain/msisdn.ts'
import { actorOf, staffOf } from '../platform/route-access.ts'
import { errorResponses, msisdnParams } from '../platform/schemas.ts'
import { findRequest, presentRequests } from '../requests/index.ts'
import { requestReclaim } from './reclaim.ts'

const tags = ['requests']

export async function reclaimRoutes(server: FastifyInstance, app: App) {
  const one = async (id: string, actor: Actor | undefined) => {
    const row = await findRequest(app.db, id)
    if (!row) throw new NotFoundError('request', id)
    const [presented] = await presentRequests(app.db, [row], actor, app.clock.now())
    return presented
  }

  server.post<{ Params: { msisdn: string }; Body: { kyc_doc_number: string; iccid?: string } }>(
    '/api/v1/numbers/:msisdn/reclaim',
    {
      config: { access: { auth: 'staff', permission: 'request_reclaim' } },
      schema: {
        tags,
        summary: 'File a reclaim for the former holder of an ageing number (in a shop, on their ID document)',
        description:
          'The document number must match the former holder’s KYC hash (403 `kyc_mismatch` and a risk alert ' +
          'otherwise). The former SIM is bound again when free; otherwise give `iccid`, a SIM of your shop.',
        params: msisdnParams,
        body: {
          type: 'object',
          properties: {
            kyc_doc_number: { type: 'string', minLength: 1, maxLength: 60 },
            iccid: { type: 'string', pattern: '^89[0-9]{16,18}$' },
          },
          required: ['kyc_doc_number'],
          additionalProperties: false,
        },
        response: errorResponses,
      },
    },
    async (request) => {
      const msisdn = normaliseMsisdnInput(request.params.msisdn, app.config.country)
      const { kyc_doc_number: kycDocNumber, iccid } = request.body
      const created = await runCommand(app.deps, actorOf(request), (ctx) =>
        requestReclaim(ctx, staffOf(request), { msisdn, kycDocNumber, iccid }, app.config.kycKey),
      )
      return one(created.id, request.actor)
    },
  )
}
