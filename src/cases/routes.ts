// HTTP routes of cases, holds, restorations, compensation and findings. Agents (in a shop or the call centre) and
// compliance officers open complaints; compliance officers run cases; auditors read them. Restorations and hold
// releases are requests: src/requests' routes approve and execute them.
import type { FastifyInstance } from 'fastify'
import { analyseNumbers, presentNumbersAnalysis } from '../analysis/index.ts'
import type { App } from '../app.ts'
import { runCommand } from '../audit/index.ts'
import { CASE_CATEGORIES, CASE_CONCLUSIONS, CASE_STATUSES } from '../domain/cases.ts'
import { NotFoundError, ValidationError } from '../domain/errors.ts'
import { normaliseMsisdnInput } from '../domain/msisdn.ts'
import { actorOf, staffOf } from '../platform/route-access.ts'
import { errorResponses, idParams, limitQuery, msisdnParams, msisdnPattern } from '../platform/schemas.ts'
import { presentRequests } from '../requests/index.ts'
import { caseFile } from './case-file.ts'
import { type CaseUpdate, confirmCase, linkToCase, type OpenCaseInput, openCase, updateCase } from './commands.ts'
import { type OfferInput, offerCompensation, recordOfferResponse } from './compensation.ts'
import { sendComplainantCode } from './complainant.ts'
import { type FindingsInput, recordFindings } from './findings.ts'
import { placeHold, requestHoldRelease } from './holds.ts'
import { presentCase, presentCases } from './presenters.ts'
import { activeHoldsOn, caseNumbers, findCaseByRef, listCases, lockCase } from './queries.ts'
import { type RestorationInput, requestRestoration } from './restoration.ts'

const tags = ['cases']
const open = { access: { auth: 'staff', permission: 'open_cases' } } as const
const view = { access: { auth: 'staff', permission: 'view_cases' } } as const
const manage = { access: { auth: 'staff', permission: 'manage_cases' } } as const
const msisdn = { type: 'string', pattern: msisdnPattern } as const
const uuid = { type: 'string', format: 'uuid' } as const
const text = (max: number) => ({ type: 'string', minLength: 1, maxLength: max }) as const
const body = (properties: Record<string, object>, required: string[]) =>
  ({ type: 'object', properties, required, additionalProperties: false }) as const
const caseParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 64, description: 'case id or reference' } },
  required: ['id'],
} as const

export async function caseRoutes(server: FastifyInstance, app: App) {
  const number = (raw: string) => normaliseMsisdnInput(raw, app.config.country)
  const now = () => app.clock.now()
  const caseOf = async (ref: string) => {
    const c = await findCaseByRef(app.db, ref)
    if (!c) throw new NotFoundError('case', ref)
    return c
  }

  server.post<{ Body: { msisdn: string; alt_contact: string } }>(
    '/api/v1/cases/complainant-codes',
    {
      config: open,
      schema: {
        tags,
        summary: 'Send a complainant a code at the alternate contact they registered for a (former) custody',
        body: body({ msisdn, alt_contact: text(32) }, ['msisdn', 'alt_contact']),
        response: errorResponses,
      },
    },
    async (request) =>
      runCommand(app.deps, actorOf(request), (ctx) =>
        sendComplainantCode(
          ctx,
          staffOf(request),
          { msisdn: number(request.body.msisdn), alt_contact: request.body.alt_contact },
          app.config.kycKey,
        ),
      ),
  )

  server.post<{ Body: OpenCaseInput & { msisdn?: string } }>(
    '/api/v1/cases',
    {
      config: open,
      schema: {
        tags,
        summary: 'Open a complaint (the complainant proven against any custody of the number) or an investigation',
        body: body(
          {
            kind: { type: 'string', enum: ['complaint', 'investigation'], default: 'complaint' },
            category: { type: 'string', enum: [...CASE_CATEGORIES] },
            description: text(4000),
            msisdns: { type: 'array', items: msisdn, minItems: 1, maxItems: 20 },
            complainant: {
              oneOf: [
                body({ method: { const: 'id_document' }, document: text(64) }, ['method', 'document']),
                body({ method: { const: 'alt_contact_code' }, challenge_id: uuid, code: text(12) }, [
                  'method',
                  'challenge_id',
                  'code',
                ]),
              ],
            },
            contact: text(64),
          },
          ['category', 'description', 'msisdns'],
        ),
        response: errorResponses,
      },
    },
    async (request, reply) => {
      const input = { ...request.body, msisdns: request.body.msisdns.map(number) }
      const opened = await runCommand(app.deps, actorOf(request), (ctx) =>
        openCase(ctx, staffOf(request), input, app.config.kycKey),
      )
      if ('refused' in opened) throw opened.refused
      reply.code(201)
      return { ...(await presentCase(app.db, opened.case, now())), holds_placed: opened.holds }
    },
  )

  server.get<{ Querystring: { status?: string; msisdn?: string; limit: number } }>(
    '/api/v1/cases',
    {
      config: view,
      schema: {
        tags,
        summary: 'Cases, newest first, with their service-level clocks',
        querystring: {
          type: 'object',
          properties: { status: { type: 'string', enum: [...CASE_STATUSES] }, msisdn, limit: limitQuery },
          additionalProperties: false,
        },
        response: errorResponses,
      },
    },
    async (request) => {
      const q = request.query
      const rows = await listCases(app.db, { ...q, msisdn: q.msisdn ? number(q.msisdn) : undefined })
      return { items: await presentCases(app.db, rows, now()) }
    },
  )

  server.get<{ Params: { id: string } }>(
    '/api/v1/cases/:id',
    { config: view, schema: { tags, summary: 'One case in full', params: caseParams, response: errorResponses } },
    async (request) => presentCase(app.db, await caseOf(request.params.id), now()),
  )

  server.get<{ Params: { id: string } }>(
    '/api/v1/cases/:id/file',
    {
      config: view,
      schema: {
        tags,
        summary: 'The case file: each number’s history and the case’s events from the audit log, proofs checked',
        params: caseParams,
        response: errorResponses,
      },
    },
    async (request) => {
      const c = await caseOf(request.params.id)
      const file = await caseFile(app.db, c.id)
      return {
        case_id: c.id,
        reference: c.reference,
        checkpoint: file.checkpoint && {
          size: file.checkpoint.size,
          root: file.checkpoint.root.toString('base64'),
          signed_at: file.checkpoint.signed_at,
        },
        counts: file.counts,
        complete: file.complete,
        entries: file.entries.map(({ before: _b, after: _a, data: _d, ...e }) => ({
          ...e,
          link: `/api/v1/audit/proofs/inclusion?index=${e.index}`,
        })),
      }
    },
  )

  server.get<{ Params: { id: string }; Querystring: { days: number } }>(
    '/api/v1/cases/:id/analysis',
    {
      config: view,
      schema: {
        tags,
        summary:
          'Internal analysis: the staff who touched the case’s numbers, ranked by risk, each figure with its leaves',
        params: caseParams,
        querystring: {
          type: 'object',
          properties: { days: { type: 'integer', minimum: 1, maximum: 730, default: 180 } },
          additionalProperties: false,
        },
        response: errorResponses,
      },
    },
    async (request) => {
      const c = await caseOf(request.params.id)
      const analysis = await analyseNumbers(app.db, {
        msisdns: await caseNumbers(app.db, c.id),
        clock: app.clock,
        days: request.query.days,
      })
      return { case_id: c.id, reference: c.reference, ...presentNumbersAnalysis(analysis) }
    },
  )

  server.patch<{ Params: { id: string }; Body: CaseUpdate }>(
    '/api/v1/cases/:id',
    {
      config: manage,
      schema: {
        tags,
        summary: 'Take a case (owner), move it to investigating or closed, or record the first response',
        params: caseParams,
        body: {
          type: 'object',
          properties: {
            owner_id: uuid,
            status: { type: 'string', enum: ['investigating', 'closed'] },
            responded: { type: 'boolean' },
          },
          additionalProperties: false,
        },
        response: errorResponses,
      },
    },
    async (request) => {
      const c = await runCommand(app.deps, actorOf(request), (ctx) =>
        updateCase(ctx, staffOf(request), request.params.id, request.body),
      )
      return presentCase(app.db, c, now())
    },
  )

  server.post<{ Params: { id: string } }>(
    '/api/v1/cases/:id/confirm',
    {
      config: manage,
      schema: {
        tags,
        summary: 'Confirm a case: its held numbers are barred on the network (not by the one who opened it)',
        params: caseParams,
        response: errorResponses,
      },
    },
    async (request) => {
      const c = await runCommand(app.deps, actorOf(request), (ctx) =>
        confirmCase(ctx, staffOf(request), request.params.id),
      )
      return presentCase(app.db, c, now())
    },
  )

  server.post<{
    Params: { id: string }
    Body: { kind: 'staff' | 'request' | 'custody'; ref_id: string; note?: string }
  }>(
    '/api/v1/cases/:id/links',
    {
      config: manage,
      schema: {
        tags,
        summary: 'Link a staff member, request or custody to a case',
        params: caseParams,
        body: body(
          { kind: { type: 'string', enum: ['staff', 'request', 'custody'] }, ref_id: uuid, note: text(1000) },
          ['kind', 'ref_id'],
        ),
        response: errorResponses,
      },
    },
    async (request) =>
      runCommand(app.deps, actorOf(request), (ctx) =>
        linkToCase(ctx, staffOf(request), request.params.id, request.body),
      ),
  )

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
