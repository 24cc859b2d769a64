import type { FastifyInstance } from 'fastify'
import { can } from '../access/index.ts'
import type { App } from '../app.ts'
import { runCommand } from '../audit/index.ts'
import { NotFoundError, ValidationError } from '../domain/errors.ts'
import { isMsisdnLike, normaliseMsisdnInput, normaliseMsisdnPrefix } from '../domain/msisdn.ts'
import { actorOf, staffOf } from '../platform/route-access.ts'
import { anyObject, errorResponses, limitQuery, msisdnParams, msisdnPattern } from '../platform/schemas.ts'
import { findSubscriber } from '../subscribers/index.ts'
import { numberAccountView, presentAccountView, seesCustody } from './account-view.ts'
import { presentBinding, presentCustody, presentHistory, presentNumber } from './presenters.ts'
import { countNumbers, findNumber, listNumbers, numberBindings, numberCustodies, numberHistory } from './queries.ts'
import { releaseNumber, reserveNumber } from './reservations.ts'
import { type SaleInput, sellNumber } from './sales.ts'
import { kycDocNumberSchema, newSubscriberSchema } from './schemas.ts'
import { simInView } from './sim-in-view.ts'

const view = { access: { auth: 'staff', permission: 'view_numbers' } } as const
const tags = ['numbers']

export async function numberRoutes(server: FastifyInstance, app: App) {
  server.get<{ Querystring: { state?: string; category?: string; prefix?: string; after?: string; limit: number } }>(
    '/api/v1/numbers',
    {
      config: view,
      schema: {
        tags,
        summary: 'List numbers in MSISDN order (keyset paging with `after`)',
        querystring: {
          type: 'object',
          properties: {
            state: {
              type: 'string',
              enum: ['available', 'reserved', 'active', 'suspended', 'aging', 'retired', 'ported_out'],
            },
            category: { type: 'string', enum: ['standard', 'golden'] },
            prefix: { type: 'string', pattern: '^\\+?[0-9]{1,15}$' },
            after: { type: 'string', pattern: msisdnPattern },
            limit: limitQuery,
          },
          additionalProperties: false,
        },
        response: errorResponses,
      },
    },
    async (request) => {
      const q = request.query
      const rows = await listNumbers(app.db, {
        ...q,
        prefix: q.prefix ? normaliseMsisdnPrefix(q.prefix, app.config.country) : undefined,
        after: q.after ? normaliseMsisdnInput(q.after, app.config.country) : undefined,
      })
      const now = app.clock.now()
      return {
        items: rows.map((n) => presentNumber(n, request.actor, now)),
        next_after: rows.length === q.limit ? rows.at(-1)?.msisdn : null,
      }
    },
  )

  server.get<{ Params: { msisdn: string } }>(
    '/api/v1/numbers/:msisdn',
    {
      config: view,
      schema: {
        tags,
        summary: 'A number with its custody and SIM history and its audit trail',
        description:
          'The account behind the number (`account.view`) is shown as the caller may see it (invariant 10). ' +
          '`work` (supervisors, compliance officers, auditors): holders masked as on the subscriber page, ICCIDs ' +
          'and the trail in full. `holder` (an agent inside a customer session for the current holder): that ' +
          'holder in full, former holders as custody periods only. `restricted` (an agent without that session, ' +
          'an inventory manager): the number, its state and whether it is held; no custodies, SIMs or holders, and ' +
          'audit records reduced to what they did to the number (`details_withheld`). `account.verify_customer` ' +
          'says a customer session (POST /api/v1/customer-sessions) would show more.',
        params: msisdnParams,
        response: errorResponses,
      },
    },
    async (request) => {
      const msisdn = normaliseMsisdnInput(request.params.msisdn, app.config.country)
      const n = await findNumber(app.db, msisdn)
      if (!n) throw new NotFoundError('number', msisdn)
      const now = app.clock.now()
      const [custodies, bindings, history, account] = await Promise.all([
        numberCustodies(app.db, msisdn),
        numberBindings(app.db, msisdn),
        numberHistory(app.db, msisdn),
        numberAccountView(app.db, request.actor, msisdn, now),
      ])
      const held = custodies.some((c) => c.ended_at === null)
      const shown = account.kind === 'restricted' ? [] : custodies.map((c) => presentCustody(c, account))
      const number = presentNumber(n, request.actor, now)
      const accountPart = presentAccountView(
        account,
        { held, everHeld: custodies.length > 0 },
        can(request.actor, 'open_customer_sessions'),
      )
      return {
        ...number,
        abilities: {
          ...number.abilities,
          verify_customer: accountPart.verify_customer,
          view_account: account.kind !== 'restricted',
        },
        range: { id: n.range_id, first: n.first_msisdn, last: n.last_msisdn },
        reservation: n.state === 'reserved' ? { by: n.reserved_by, until: n.reserved_until } : null,
        account: accountPart,
        current_custody: shown.find((c) => c.ended_at === null) ?? null,
        custodies: shown,
        sim_bindings: bindings.filter((b) => seesCustody(account, b.custody_id)).map(presentBinding),
        history: history.map((h) => presentHistory(h, account)),
      }
    },
  )

  server.post<{ Params: { msisdn: string } }>(
    '/api/v1/numbers/:msisdn/reserve',
    {
      config: { access: { auth: 'staff', permission: 'reserve_number' } },
      schema: { tags, summary: 'Lease a number for a sale', params: msisdnParams, response: errorResponses },
    },
    async (request) =>
      runCommand(app.deps, actorOf(request), (ctx) =>
        reserveNumber(
          ctx,
          staffOf(request),
          normaliseMsisdnInput(request.params.msisdn, app.config.country),
          app.config.reservationMinutes,
        ),
      ),
  )

  server.post<{ Params: { msisdn: string } }>(
    '/api/v1/numbers/:msisdn/release',
    {
      config: { access: { auth: 'staff', permission: 'reserve_number' } },
      schema: { tags, summary: 'Release your reservation', params: msisdnParams, response: errorResponses },
    },
    async (request) =>
      runCommand(app.deps, actorOf(request), (ctx) =>
        releaseNumber(ctx, staffOf(request), normaliseMsisdnInput(request.params.msisdn, app.config.country)),
      ),
  )

  server.post<{
    Params: { msisdn: string }
    Body: { iccid: string; subscriber_id?: string; kyc_doc_number?: string; subscriber?: SaleInput['subscriber'] }
  }>(
    '/api/v1/numbers/:msisdn/sell',
    {
      config: { access: { auth: 'staff', permission: 'sell_number' } },
      schema: {
        tags,
        summary: 'Sell an available (or your reserved) number with a SIM of your shop',
        description:
          'To an existing subscriber (`subscriber_id` with the `kyc_doc_number` of the document the customer ' +
          'presents: a mismatch is 403 `kyc_mismatch` and a risk alert), or to a new one (`subscriber`).',
        params: msisdnParams,
        body: {
          type: 'object',
          properties: {
            iccid: { type: 'string', pattern: '^89[0-9]{16,18}$' },
            subscriber_id: { type: 'string', format: 'uuid' },
            kyc_doc_number: {
              ...kycDocNumberSchema,
              description: 'Required with `subscriber_id`: the number of the identity document the customer presents',
            },
            subscriber: newSubscriberSchema,
          },
          required: ['iccid'],
          additionalProperties: false,
        },
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request) => {
      const { iccid, subscriber_id: subscriberId, kyc_doc_number: kycDocNumber, subscriber } = request.body
      if (!subscriberId === !subscriber)
        throw new ValidationError('subscriber', 'give either subscriber_id or subscriber, not both or neither')
      if (subscriberId && kycDocNumber === undefined)
        throw new ValidationError('kyc_doc_number', 'selling to an existing subscriber needs their kyc_doc_number')
      if (subscriber && kycDocNumber !== undefined)
        throw new ValidationError(
          'kyc_doc_number',
          'a new subscriber carries its document in subscriber.kyc_doc_number',
        )
      const msisdn = normaliseMsisdnInput(request.params.msisdn, app.config.country)
      return runCommand(app.deps, actorOf(request), (ctx) =>
        sellNumber(ctx, staffOf(request), { msisdn, iccid, subscriberId, kycDocNumber, subscriber }, app.config.kycKey),
      )
    },
  )

  server.get(
    '/api/v1/stats/numbers',
    { config: view, schema: { tags, summary: 'Numbers by state and category' } },
    async () => {
      const rows = await countNumbers(app.db)
      const byState: Record<string, number> = {}
      const byCategory: Record<string, number> = {}
      for (const r of rows) {
        byState[r.state] = (byState[r.state] ?? 0) + r.n
        byCategory[r.category] = (byCategory[r.category] ?? 0) + r.n
      }
      return { by_state: byState, by_category: byCategory, total: rows.reduce((s, r) => s + r.n, 0) }
    },
  )

  server.get<{ Querystring: { q: string } }>(
    '/api/v1/lookup',
    {
      config: view,
      schema: {
        tags,
        summary: 'Find what an MSISDN, an ICCID or a subscriber id names',
        querystring: {
          type: 'object',
          properties: { q: { type: 'string', minLength: 1, maxLength: 64 } },
          required: ['q'],
        },
        response: errorResponses,
      },
    },
    async (request) => {
      const raw = request.query.q.trim()
      // Spaces and dashes are noise in an MSISDN or ICCID, but part of a subscriber id: match that on the raw text.
      const q = raw.replace(/[\s-]/g, '')
      if (/^89\d{16,18}$/.test(q) && (await simInView(app.db, request.actor, q, app.clock.now())))
        return { kind: 'sim', id: q }
      const msisdn = normaliseMsisdnInput(q, app.config.country)
      if (isMsisdnLike(msisdn) && (await findNumber(app.db, msisdn))) return { kind: 'number', id: msisdn }
      const id = raw.toLowerCase()
      if (
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id) &&
        (await findSubscriber(app.db, id))
      )
        return { kind: 'subscriber', id }
      throw new NotFoundError('number, SIM or subscriber', q)
    },
  )
}
