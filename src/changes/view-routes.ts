// What staff read about a number's changes: its SIM-swap history, the holder's swap lock, and where a request's
// consents stand (recorded, outstanding, the holder's code sent / expired — never the code). Agents see the SIMs of
// a swap only inside a customer session for the holder (invariant 10); the dates are not account data.
import type { FastifyInstance } from 'fastify'
import type { App } from '../app.ts'
import { CONSENT_CODE_ATTEMPTS, consentsOf, missingConsents } from '../consent/index.ts'
import { NotFoundError } from '../domain/errors.ts'
import { normaliseMsisdnInput } from '../domain/msisdn.ts'
import { numberAccountView, seesCustody } from '../inventory/index.ts'
import { errorResponses, idParams, msisdnParams } from '../platform/schemas.ts'
import { findRequest } from '../requests/index.ts'
import { simSwapHistory } from './swap-history.ts'
import { swapLockOf } from './swap-lock.ts'

const tags = ['changes']
const view = { access: { auth: 'staff', permission: 'view_numbers' } } as const

export async function changeViewRoutes(server: FastifyInstance, app: App) {
  const msisdnOf = (raw: string) => normaliseMsisdnInput(raw, app.config.country)

  server.get<{ Params: { msisdn: string } }>(
    '/api/v1/numbers/:msisdn/sim-swaps',
    {
      config: view,
      schema: {
        tags,
        summary: 'The number’s SIM-swap history, newest first (SIMs withheld outside the caller’s account view)',
        params: msisdnParams,
        response: errorResponses,
      },
    },
    async (request) => {
      const msisdn = msisdnOf(request.params.msisdn)
      const number = await app.db.selectFrom('numbers').select('msisdn').where('msisdn', '=', msisdn).executeTakeFirst()
      if (!number) throw new NotFoundError('number', msisdn)
      const [history, account] = await Promise.all([
        simSwapHistory(app.db, msisdn),
        numberAccountView(app.db, request.actor, msisdn, app.clock.now()),
      ])
      return {
        items: history.map(({ custody_id, ...s }) =>
          seesCustody(account, custody_id) ? s : { ...s, old_iccid: null, new_iccid: null, withheld: true },
        ),
      }
    },
  )

  server.get<{ Params: { msisdn: string } }>(
    '/api/v1/numbers/:msisdn/swap-lock',
    {
      config: view,
      schema: {
        tags,
        summary: 'Whether the holder has locked SIM swaps',
        params: msisdnParams,
        response: errorResponses,
      },
    },
    async (request) => {
      const msisdn = msisdnOf(request.params.msisdn)
      const custody = await app.db
        .selectFrom('custodies')
        .select('id')
        .where('msisdn', '=', msisdn)
        .where('ended_at', 'is', null)
        .executeTakeFirst()
      if (!custody) throw new NotFoundError('held number', msisdn)
      return { msisdn, ...(await swapLockOf(app.db, custody.id, app.clock.now())) }
    },
  )

  server.get<{ Params: { id: string } }>(
    '/api/v1/requests/:id/consents',
    {
      config: { access: { auth: 'staff', permission: 'view_requests' } },
      schema: {
        tags,
        summary: 'A request’s consents: recorded, outstanding, and the state of the holder’s code (never the code)',
        params: idParams,
        response: errorResponses,
      },
    },
    async (request) => {
      const row = await findRequest(app.db, request.params.id)
      if (!row) throw new NotFoundError('request', request.params.id)
      const [recorded, outstanding, code] = await Promise.all([
        consentsOf(app.db, [row.id]),
        missingConsents(app.db, row),
        app.db
          .selectFrom('consent_codes')
          .select(['state', 'attempts', 'created_at', 'expires_at', 'closed_at'])
          .where('request_id', '=', row.id)
          .orderBy('created_at', 'desc')
          .limit(1)
          .executeTakeFirst(),
      ])
      const now = app.clock.now()
      return {
        request_id: row.id,
        recorded: recorded.map((c) => ({ party: c.party, method: c.method, recorded_at: c.recorded_at })),
        outstanding,
        holder_code: code
          ? {
              // A pending code past its time reads as expired before anything has marked it so.
              state: code.state === 'pending' && new Date(code.expires_at) <= now ? 'expired' : code.state,
              sent_at: code.created_at,
              expires_at: code.expires_at,
              attempts_left: Math.max(0, CONSENT_CODE_ATTEMPTS - code.attempts),
            }
          : null,
      }
    },
  )
}
