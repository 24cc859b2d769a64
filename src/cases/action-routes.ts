// HTTP routes of what a case does: holds and their release, the restoration, compensation offers and findings.
// Restorations and hold releases are requests: src/requests' routes approve and execute them.
import type { FastifyInstance } from 'fastify'
import type { App } from '../app.ts'
import { runCommand } from '../audit/index.ts'
import { CASE_CONCLUSIONS } from '../domain/cases.ts'
import { NotFoundError, ValidationError } from '../domain/errors.ts'
import { normaliseMsisdnInput } from '../domain/msisdn.ts'
import { actorOf, staffOf } from '../platform/route-access.ts'
import { errorResponses, idParams, msisdnParams } from '../platform/schemas.ts'
import { presentRequests } from '../requests/index.ts'
import { openCase } from './commands.ts'
import { type OfferInput, offerCompensation, recordOfferResponse } from './compensation.ts'
import { type FindingsInput, recordFindings } from './findings.ts'
import { placeHold, requestHoldRelease } from './holds.ts'
import { presentCase } from './presenters.ts'
import { activeHoldsOn, lockCase } from './queries.ts'
import { type RestorationInput, requestRestoration } from './restoration.ts'
import { body, caseParams, manage, msisdn, tags, text, uuid } from './route-schemas.ts'

export async function caseActionRoutes(server: FastifyInstance, app: App) {
  const number = (raw: string) => normaliseMsisdnInput(raw, app.config.country)
  const now = () => app.clock.now()

  server.post<{ Params: { id: string }; Body: { msisdn: string; reason: string } }>(
    '/api/v1/cases/:id/holds',
    {
      config: manage,
      schema: {
        tags,
        summary: 'Place a protective hold on a number for this case',
        params: caseParams,
        body: body({ msisdn, reason: text(1000) }, ['msisdn', 'reason']),
        response: errorResponses,
      },
    },
    async (request, reply) => {
      const held = await runCommand(app.deps, actorOf(request), async (ctx) => {
        const c = await lockCase(ctx.tx, request.params.id)
        if (!c) throw new NotFoundError('case', request.params.id)
        return placeHold(ctx, staffOf(request), c, number(request.body.msisdn), request.body.reason)
      })
      reply.code(201)
      return held
    },
  )

  server.post<{ Body: { msisdn: string; reason: string } }>(
    '/api/v1/holds',
    {
      config: manage,
      schema: {
        tags,
        summary: 'Hold any number: opens an investigation with the hold, in one transaction',
        body: body({ msisdn, reason: text(1000) }, ['msisdn', 'reason']),
        response: errorResponses,
      },
    },
    async (request, reply) => {
      const input = {
        kind: 'investigation' as const,
        category: 'other' as const,
        description: request.body.reason,
        msisdns: [number(request.body.msisdn)],
        hold: true,
      }
      const opened = await runCommand(app.deps, actorOf(request), (ctx) =>
        openCase(ctx, staffOf(request), input, app.config.kycKey),
      )
      if ('refused' in opened) throw opened.refused
      reply.code(201)
      return { ...(await presentCase(app.db, opened.case, now())), holds_placed: opened.holds }
    },
  )

  server.get<{ Params: { msisdn: string } }>(
    '/api/v1/numbers/:msisdn/holds',
    {
      config: { access: { auth: 'staff', permission: 'view_numbers' } },
      schema: {
        tags,
        summary: 'Whether a number is on hold, and for which case (its custody and SIM do not change meanwhile)',
        params: msisdnParams,
        response: errorResponses,
      },
    },
    async (request) => {
      const holds = await activeHoldsOn(app.db, number(request.params.msisdn))
      return {
        held: holds.length > 0,
        items: holds.map((h) => ({
          id: h.id,
          case_id: h.case_id,
          case_reference: h.reference,
          placed_at: h.placed_at,
          barred_on_network: h.confirmed_at !== null,
        })),
      }
    },
  )

  server.post<{ Params: { id: string }; Body: { reason: string } }>(
    '/api/v1/holds/:id/release',
    {
      config: manage,
      schema: {
        tags,
        summary: 'File the release of a hold (a hold_release request another compliance officer approves)',
        params: idParams,
        body: body({ reason: text(1000) }, ['reason']),
        response: errorResponses,
      },
    },
    async (request, reply) => {
      const filed = await runCommand(app.deps, actorOf(request), (ctx) =>
        requestHoldRelease(ctx, request.params.id, request.body.reason),
      )
      reply.code(201)
      const [presented] = await presentRequests(app.db, [filed], request.actor, now())
      return presented
    },
  )

  server.post<{ Params: { id: string }; Body: RestorationInput }>(
    '/api/v1/cases/:id/restoration',
    {
      config: manage,
      schema: {
        tags,
        summary: 'File a restoration to the former holder whose custody the case names (another officer approves)',
        params: caseParams,
        body: body({ msisdn, rightful_custody_id: uuid, iccid: text(22), shop_id: text(64) }, [
          'msisdn',
          'rightful_custody_id',
          'iccid',
          'shop_id',
        ]),
        response: errorResponses,
      },
    },
    async (request, reply) => {
      const filed = await runCommand(app.deps, actorOf(request), (ctx) =>
        requestRestoration(ctx, staffOf(request), request.params.id, {
          ...request.body,
          msisdn: number(request.body.msisdn),
        }),
      )
      reply.code(201)
      const [presented] = await presentRequests(app.db, [filed], request.actor, now())
      return presented
    },
  )

  server.post<{
    Params: { id: string }
    Body: { kind: 'money' | 'service_credit'; amount?: number; currency?: string; credit?: string }
  }>(
    '/api/v1/cases/:id/offers',
    {
      config: manage,
      schema: {
        tags,
        summary: 'Record a compensation offer: an amount in a currency, or a service credit',
        params: caseParams,
        body: body(
          {
            kind: { type: 'string', enum: ['money', 'service_credit'] },
            amount: { type: 'number', exclusiveMinimum: 0, maximum: 1e9 },
            currency: { type: 'string', pattern: '^[A-Za-z]{3}$' },
            credit: text(500),
          },
          ['kind'],
        ),
        response: errorResponses,
      },
    },
    async (request, reply) => {
      const b = request.body
      let input: OfferInput
      if (b.kind === 'money') {
        if (b.amount === undefined || !b.currency || b.credit !== undefined)
          throw new ValidationError('amount', 'a money offer gives amount and currency (and no credit)')
        input = { kind: 'money', amount: b.amount, currency: b.currency }
      } else {
        if (!b.credit || b.amount !== undefined || b.currency !== undefined)
          throw new ValidationError('credit', 'a service credit says what is credited (and no amount)')
        input = { kind: 'service_credit', credit: b.credit }
      }
      const offer = await runCommand(app.deps, actorOf(request), (ctx) =>
        offerCompensation(ctx, staffOf(request), request.params.id, input),
      )
      reply.code(201)
      return offer
    },
  )

  server.post<{ Params: { id: string }; Body: { response: 'accepted' | 'declined' | 'no_answer' } }>(
    '/api/v1/offers/:id/response',
    {
      config: manage,
      schema: {
        tags,
        summary: 'Record the complainant’s answer to a compensation offer (once)',
        params: idParams,
        body: body({ response: { type: 'string', enum: ['accepted', 'declined', 'no_answer'] } }, ['response']),
        response: errorResponses,
      },
    },
    async (request) =>
      runCommand(app.deps, actorOf(request), (ctx) =>
        recordOfferResponse(ctx, staffOf(request), request.params.id, request.body.response),
      ),
  )

  server.post<{ Params: { id: string }; Body: FindingsInput }>(
    '/api/v1/cases/:id/findings',
    {
      config: manage,
      schema: {
        tags,
        summary: 'Record findings and conclusion; link and suspend the staff they name, and the measures taken',
        params: caseParams,
        body: body(
          {
            conclusion: { type: 'string', enum: [...CASE_CONCLUSIONS] },
            findings: text(8000),
            staff: {
              type: 'array',
              maxItems: 20,
              items: body({ staff_id: uuid, suspend: { type: 'boolean' }, note: text(1000) }, ['staff_id']),
            },
            measures: {
              type: 'array',
              maxItems: 20,
              items: body(
                {
                  kind: { type: 'string', enum: ['staff_retrained', 'process_change', 'other'] },
                  description: text(2000),
                  staff_id: uuid,
                },
                ['kind', 'description'],
              ),
            },
          },
          ['conclusion', 'findings'],
        ),
        response: errorResponses,
      },
    },
    async (request) => {
      const c = await runCommand(app.deps, actorOf(request), (ctx) =>
        recordFindings(ctx, staffOf(request), request.params.id, request.body),
      )
      return { ...(await presentCase(app.db, c, now())), measures_taken: c.measures }
    },
  )
}
