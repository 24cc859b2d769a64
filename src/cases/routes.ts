// HTTP routes of cases: the complainant's proof, opening, reading (the case, its file, its analysis), taking,
// confirming and linking. Agents (in a shop or the call centre) and compliance officers open complaints; compliance
// officers run cases; auditors read them. What a case does (holds, restoration, offers, findings): action-routes.ts.
import type { FastifyInstance } from 'fastify'
import { analyseNumbers, presentNumbersAnalysis } from '../analysis/index.ts'
import type { App } from '../app.ts'
import { runCommand } from '../audit/index.ts'
import { CASE_CATEGORIES, CASE_STATUSES } from '../domain/cases.ts'
import { NotFoundError } from '../domain/errors.ts'
import { normaliseMsisdnInput } from '../domain/msisdn.ts'
import { actorOf, staffOf } from '../platform/route-access.ts'
import { errorResponses, limitQuery } from '../platform/schemas.ts'
import { caseActionRoutes } from './action-routes.ts'
import { caseFile } from './case-file.ts'
import { type CaseUpdate, confirmCase, linkToCase, type OpenCaseInput, openCase, updateCase } from './commands.ts'
import { sendComplainantCode } from './complainant.ts'
import { presentCase, presentCases } from './presenters.ts'
import { caseNumbers, findCaseByRef, listCases } from './queries.ts'
import { body, caseParams, manage, msisdn, open, tags, text, uuid, view } from './route-schemas.ts'

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

  await caseActionRoutes(server, app)
}
