// Staff accounts after creation: one account, suspension (compliance), and role grants and credential resets as
// requests (admin asks, a compliance officer approves through /api/v1/requests/:id/approve).
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { hashPassword, presentStaffForAdmin, STAFF_ADMIN_COLUMNS } from '../access/index.ts'
import type { App } from '../app.ts'
import { audited, runCommand } from '../audit/index.ts'
import type { Actor } from '../domain/actor.ts'
import { ConflictError, NotFoundError } from '../domain/errors.ts'
import { ROLES } from '../domain/roles.ts'
import { actorOf } from '../platform/route-access.ts'
import { anyObject, errorResponses, idParams } from '../platform/schemas.ts'
import { executeRequest, findRequest, presentRequests } from '../requests/index.ts'
import { provideNewPasswordHash, requestCredentialReset, requestRoleGrant } from './staff-requests.ts'
import { SHOP_ID_PATTERN } from './staff-rules.ts'
import { suspendStaff } from './suspension.ts'

const tags = ['administration']
const reason = { type: 'string', minLength: 3, maxLength: 500 } as const
const ok = { 200: anyObject, ...errorResponses } as const

export async function staffRoutes(server: FastifyInstance, app: App) {
  const presentOne = async (id: string, request: { actor?: Actor }) => {
    const row = await findRequest(app.db, id)
    if (!row) throw new NotFoundError('request', id)
    const [presented] = await presentRequests(app.db, [row], request.actor, app.clock.now())
    return presented
  }

  server.get<{ Params: { id: string } }>(
    '/api/v1/staff/:id',
    {
      config: { access: { auth: 'staff', permission: 'view_staff' } },
      schema: { tags, summary: 'One staff account, with what you may do about it', params: idParams, response: ok },
    },
    async (request) => {
      const row = await app.db
        .selectFrom('staff')
        .select(STAFF_ADMIN_COLUMNS)
        .where('id', '=', request.params.id)
        .executeTakeFirst()
      if (!row) throw new NotFoundError('staff member', request.params.id)
      return presentStaffForAdmin(row, request.actor, app.clock.now())
    },
  )

  server.post<{ Params: { id: string }; Body: { reason: string } }>(
    '/api/v1/staff/:id/suspend',
    {
      config: { access: { auth: 'staff', permission: 'suspend_staff' } },
      schema: {
        tags,
        summary: 'Suspend a staff member at once: sessions end, their open requests are cancelled, approvals voided',
        description:
          'One transaction with the `staff.suspended` audit record and a `staff_suspended` alert naming them. Pending ' +
          'requests assigned to them go to another eligible approver. Suspension is final in this release.',
        params: idParams,
        body: { type: 'object', properties: { reason }, required: ['reason'], additionalProperties: false },
        response: ok,
      },
    },
    async (request) =>
      runCommand(app.deps, actorOf(request), (ctx) => suspendStaff(ctx, request.params.id, request.body)),
  )

  server.post<{ Params: { id: string }; Body: { roles: string[]; shop_id?: string | null; reason?: string } }>(
    '/api/v1/staff/:id/role-grants',
    {
      config: { access: { auth: 'staff', permission: 'manage_staff' } },
      schema: {
        tags,
        summary:
          'Ask for a staff member’s roles (the whole set) and shop: a role_grant request a compliance officer approves',
        description:
          'Execute it after approval with POST /api/v1/requests/{id}/execute. Whoever gains a role cannot approve ' +
          'anything for 7 days.',
        params: idParams,
        body: {
          type: 'object',
          properties: {
            roles: { type: 'array', items: { type: 'string', enum: [...ROLES] }, minItems: 1, uniqueItems: true },
            shop_id: { type: ['string', 'null'], pattern: SHOP_ID_PATTERN },
            reason,
          },
          required: ['roles'],
          additionalProperties: false,
        },
        response: ok,
      },
    },
    async (request) => {
      const { roles, shop_id: shopId, reason: why } = request.body
      const created = await runCommand(app.deps, actorOf(request), (ctx) =>
        requestRoleGrant(ctx, { staffId: request.params.id, roles, shopId, reason: why }),
      )
      return presentOne(created.id, request)
    },
  )

  server.post<{ Params: { id: string }; Body: { reason: string } }>(
    '/api/v1/staff/:id/credential-resets',
    {
      config: { access: { auth: 'staff', permission: 'manage_staff' } },
      schema: {
        tags,
        summary: 'Ask for a staff member’s password to be replaced and MFA cleared: a credential_reset request',
        description:
          'A compliance officer approves; then POST /api/v1/staff/credential-resets/{id}/execute shows the new ' +
          'password once. The staff member enrols MFA again at next sign-in and cannot approve for 7 days.',
        params: idParams,
        body: { type: 'object', properties: { reason }, required: ['reason'], additionalProperties: false },
        response: ok,
      },
    },
    async (request) => {
      const created = await runCommand(app.deps, actorOf(request), (ctx) =>
        requestCredentialReset(ctx, { staffId: request.params.id, reason: request.body.reason }),
      )
      return presentOne(created.id, request)
    },
  )

  server.post<{ Params: { id: string } }>(
    '/api/v1/staff/credential-resets/:id/execute',
    {
      config: { access: { auth: 'staff', permission: 'manage_staff' } },
      schema: {
        tags,
        summary: 'Execute your approved credential reset: the response carries the new password, shown this once',
        params: idParams,
        response: ok,
      },
    },
    async (request, reply) => {
      const found = await findRequest(app.db, request.params.id)
      if (!found) throw new NotFoundError('request', request.params.id)
      if (found.kind !== 'credential_reset')
        throw new ConflictError('not_a_credential_reset', `Request ${found.id} is a ${found.kind} request`, {
          request_id: found.id,
          kind: found.kind,
        })
      // 18 random bytes: 24 base64url characters, past MIN_PASSWORD_LENGTH; hashed before the transaction opens.
      const password = randomBytes(18).toString('base64url')
      const passwordHash = await hashPassword(password)
      await runCommand(app.deps, actorOf(request), async (ctx) => {
        provideNewPasswordHash(ctx, passwordHash)
        const executed = await executeRequest(ctx, request.params.id)
        return audited(executed.result.request.id, executed.receipts)
      })
      reply.header('cache-control', 'no-store')
      return { request: await presentOne(request.params.id, request), temporary_password: password }
    },
  )
}
