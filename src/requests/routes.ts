import type { FastifyInstance } from 'fastify'
import type { App } from '../app.ts'
import { runCommand } from '../audit/index.ts'
import { needsCustomerSession } from '../customers/index.ts'
import type { Actor } from '../domain/actor.ts'
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.ts'
import { normaliseMsisdnInput } from '../domain/msisdn.ts'
import {
  REQUEST_KINDS,
  REQUEST_STATUSES,
  REQUEST_TABLE,
  type RequestKind,
  type RequestStatus,
} from '../domain/requests.ts'
import { actorOf, staffOf } from '../platform/route-access.ts'
import { anyObject, errorResponses, idParams, limitQuery, msisdnParams, msisdnPattern } from '../platform/schemas.ts'
import { cancelRequest } from './closing.ts'
import { approveRequest, createRequest, rejectRequest } from './commands.ts'
import { executeRequest } from './execute.ts'
import { executorFor } from './executors.ts'
import { presentRequests } from './presenters.ts'
import { findRequest, listRequests } from './queries.ts'
import { kindsReadableWithoutSession } from './visibility.ts'

// Other features present requests the same way (changes, staff, policies).
export { presentRequests }

const tags = ['requests']
const view = { access: { auth: 'staff', permission: 'view_requests' } } as const
const decide = { access: { auth: 'staff', permission: 'decide_requests' } } as const
const reasonBody = {
  type: 'object',
  properties: { reason: { type: 'string', minLength: 3, maxLength: 500 } },
  required: ['reason'],
  additionalProperties: false,
} as const

export async function requestRoutes(server: FastifyInstance, app: App) {
  const one = async (id: string, actor: Actor | undefined) => {
    const row = await findRequest(app.db, id)
    if (!row) throw new NotFoundError('request', id)
    const [presented] = await presentRequests(app.db, [row], actor, app.clock.now())
    return presented
  }

  server.post<{ Body: { kind: RequestKind; msisdn?: string; payload: Record<string, unknown> } }>(
    '/api/v1/requests',
    {
      config: { access: { auth: 'staff', permission: 'create_requests' } },
      schema: {
        tags,
        summary: 'Create a request of a kind this release can execute (reclaim has its own route, with its ID check)',
        body: {
          type: 'object',
          properties: {
            kind: { type: 'string', enum: [...REQUEST_KINDS] },
            msisdn: { type: 'string', pattern: msisdnPattern },
            payload: { type: 'object', additionalProperties: true },
          },
          required: ['kind', 'payload'],
          additionalProperties: false,
        },
        response: { 200: anyObject, ...errorResponses },
      },
    },
    async (request) => {
      const { kind, payload } = request.body
      const registration = executorFor(kind)
      if (registration?.dedicatedRoute)
        throw new ValidationError(
          'kind',
          `a ${REQUEST_TABLE[kind].label.toLowerCase()} is filed with ${registration.dedicatedRoute}`,
        )
      // Who may file a kind is answered first (with its alert, by createRequest), whether this release runs it or not.
      const actor = actorOf(request)
      const mayFile = actor.kind === 'staff' && actor.roles.some((r) => REQUEST_TABLE[kind].requesterRoles.includes(r))
      if (!registration && mayFile)
        throw new ConflictError(
          'kind_not_supported',
          `This release cannot execute a ${REQUEST_TABLE[kind].label.toLowerCase()} yet`,
          { kind },
        )
      const msisdn = request.body.msisdn ? normaliseMsisdnInput(request.body.msisdn, app.config.country) : null
      const created = await runCommand(app.deps, actor, (ctx) => createRequest(ctx, { kind, msisdn, payload }))
      return one(created.id, request.actor)
    },
  )

  server.get<{
    Querystring: {
      status?: RequestStatus
      assigned_to_me?: boolean
      mine?: boolean
      kind?: RequestKind
      msisdn?: string
      limit: number
    }
  }>(
    '/api/v1/requests',
    {
      config: view,
      schema: {
        tags,
        summary: 'Requests, newest first: `assigned_to_me` is a supervisor’s inbox, `mine` what the caller asked',
        description:
          'Invariant 10: supervisors, compliance officers and auditors list every request. Anyone else (an agent, ' +
          'an inventory manager, an admin) lists the requests they filed or must decide, those on a number whose ' +
          'holder they have a customer session for (filed while that holder held it), and number-less requests ' +
          'their role reads (policy changes; staff requests with `view_staff`). A payload the caller may not read ' +
          'comes as `payload: null` with `payload_withheld` (why, and whether verifying the customer would show it).',
        querystring: {
          type: 'object',
          properties: {
            status: { type: 'string', enum: [...REQUEST_STATUSES] },
            assigned_to_me: { type: 'boolean' },
            mine: { type: 'boolean' },
            kind: { type: 'string', enum: [...REQUEST_KINDS] },
            msisdn: { type: 'string', pattern: msisdnPattern },
            limit: limitQuery,
          },
          additionalProperties: false,
        },
        response: errorResponses,
      },
    },
    async (request) => {
      const q = request.query
      const actor = staffOf(request)
      const me = actor.staffId
      const now = app.clock.now()
      const working = !needsCustomerSession(actor)
      const rows = await listRequests(app.db, {
        status: q.status,
        assignedTo: q.assigned_to_me ? me : undefined,
        requestedBy: q.mine ? me : undefined,
        kind: q.kind,
        msisdn: q.msisdn ? normaliseMsisdnInput(q.msisdn, app.config.country) : undefined,
        visibleTo: working ? undefined : { actor, readableKinds: kindsReadableWithoutSession(actor) },
        now,
        limit: q.limit,
      })
      return { items: await presentRequests(app.db, rows, request.actor, now) }
    },
  )

  server.get<{ Params: { id: string } }>(
    '/api/v1/requests/:id',
    {
      config: view,
      schema: {
        tags,
        summary: 'One request with its approvals (its payload withheld outside the caller’s view, as in the list)',
        params: idParams,
        response: errorResponses,
      },
    },
    async (request) => one(request.params.id, request.actor),
  )

  server.get<{ Params: { msisdn: string } }>(
    '/api/v1/numbers/:msisdn/requests',
    {
      config: view,
      schema: {
        tags,
        summary: 'The requests on a number, open ones first',
        description:
          'All of them, so that whoever works the number sees what is open on it; payloads (and outcomes) are ' +
          'withheld as in `GET /api/v1/requests` unless the caller filed the request or is inside a customer ' +
          'session for the holder who held the number when it was filed.',
        params: msisdnParams,
        response: errorResponses,
      },
    },
    async (request) => {
      const msisdn = normaliseMsisdnInput(request.params.msisdn, app.config.country)
      const now = app.clock.now()
      const rows = await listRequests(app.db, { msisdn, now, limit: 50 })
      const items = await presentRequests(app.db, rows, request.actor, now)
      const open = (s: string) => s === 'pending' || s === 'approved'
      return { items: [...items.filter((r) => open(r.status)), ...items.filter((r) => !open(r.status))] }
    },
  )

  server.post<{ Params: { id: string }; Body: { payload_sha256: string } }>(
    '/api/v1/requests/:id/approve',
    {
      config: decide,
      schema: {
        tags,
        summary: 'Approve a request assigned to you, signing the payload SHA-256 you were shown',
        params: idParams,
        body: {
          type: 'object',
          properties: { payload_sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
          required: ['payload_sha256'],
          additionalProperties: false,
        },
        response: errorResponses,
      },
    },
    async (request) => {
      const { id } = request.params
      await runCommand(app.deps, actorOf(request), (ctx) =>
        approveRequest(ctx, id, { payloadSha256: request.body.payload_sha256 }),
      )
      return one(id, request.actor)
    },
  )

  server.post<{ Params: { id: string }; Body: { reason: string } }>(
    '/api/v1/requests/:id/reject',
    {
      config: decide,
      schema: {
        tags,
        summary: 'Reject a request assigned to you',
        params: idParams,
        body: reasonBody,
        response: errorResponses,
      },
    },
    async (request) => {
      const { id } = request.params
      await runCommand(app.deps, actorOf(request), (ctx) => rejectRequest(ctx, id, { reason: request.body.reason }))
      return one(id, request.actor)
    },
  )

  server.post<{ Params: { id: string }; Body: { reason: string } }>(
    '/api/v1/requests/:id/cancel',
    {
      config: view,
      schema: {
        tags,
        summary: 'Withdraw your own open request',
        params: idParams,
        body: reasonBody,
        response: errorResponses,
      },
    },
    async (request) => {
      const { id } = request.params
      await runCommand(app.deps, actorOf(request), (ctx) => cancelRequest(ctx, id, { reason: request.body.reason }))
      return one(id, request.actor)
    },
  )

  server.post<{ Params: { id: string } }>(
    '/api/v1/requests/:id/execute',
    {
      config: { access: { auth: 'staff', permission: 'create_requests' } },
      schema: {
        tags,
        summary: 'Execute your approved request (approvals are checked again)',
        params: idParams,
        response: errorResponses,
      },
    },
    async (request) => {
      const { id } = request.params
      await runCommand(app.deps, actorOf(request), (ctx) => executeRequest(ctx, id))
      return one(id, request.actor)
    },
  )
}
