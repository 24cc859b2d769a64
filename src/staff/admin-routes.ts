import type { FastifyInstance } from 'fastify'
import { presentStaffForAdmin, STAFF_ADMIN_COLUMNS } from '../access/index.ts'
import type { App } from '../app.ts'
import { runCommand } from '../audit/index.ts'
import { ROLES } from '../domain/roles.ts'
import { actorOf } from '../platform/route-access.ts'
import { anyObject, errorResponses, limitQuery } from '../platform/schemas.ts'
import {
  ACCOUNT_ID_PATTERN,
  createMachineClient,
  createShop,
  createStaff,
  MACHINE_SCOPE_NAMES,
  MAX_NAME_LENGTH,
  MIN_PASSWORD_LENGTH,
  type NewMachineClient,
  type NewShop,
  type NewStaff,
  SHOP_ID_PATTERN,
} from './administration.ts'
import { staffRoutes } from './staff-routes.ts'

const tags = ['administration']
const view = { access: { auth: 'staff', permission: 'view_staff' } } as const
const manage = { access: { auth: 'staff', permission: 'manage_staff' } } as const
const name = { type: 'string', minLength: 1, maxLength: MAX_NAME_LENGTH } as const
const listQuery = {
  type: 'object',
  properties: { limit: { ...limitQuery, default: 500 } },
  additionalProperties: false,
} as const
const created = { 201: anyObject, ...errorResponses } as const

/** A machine client as it leaves the server: never its secret hash. */
function presentMachineClient(c: { id: string; name: string; scopes: string[]; status: string; created_at: unknown }) {
  return { id: c.id, name: c.name, scopes: c.scopes, status: c.status, created_at: c.created_at }
}

export async function adminRoutes(server: FastifyInstance, app: App) {
  server.get<{ Querystring: { limit: number } }>(
    '/api/v1/staff',
    { config: view, schema: { tags, summary: 'Staff accounts', querystring: listQuery } },
    async (request) => {
      const now = app.clock.now()
      const rows = await app.db
        .selectFrom('staff')
        .select(STAFF_ADMIN_COLUMNS)
        .orderBy('username')
        .limit(request.query.limit)
        .execute()
      return { items: rows.map((s) => presentStaffForAdmin(s, request.actor, now)) }
    },
  )

  server.post<{ Body: NewStaff }>(
    '/api/v1/staff',
    {
      config: manage,
      schema: {
        tags,
        summary:
          'Create a staff account without roles: the roles asked for become a role_grant request a compliance officer approves',
        description:
          'The response carries `role_grant_request` (its id, status and assigned approver). An admin holds no role that ' +
          'acts on numbers; agents and supervisors need a shop. Once executed, the new account cannot approve for 7 days.',
        body: {
          type: 'object',
          properties: {
            username: { type: 'string', pattern: ACCOUNT_ID_PATTERN },
            display_name: name,
            roles: { type: 'array', items: { type: 'string', enum: [...ROLES] }, uniqueItems: true },
            shop_id: { type: ['string', 'null'], pattern: SHOP_ID_PATTERN },
            password: { type: 'string', minLength: MIN_PASSWORD_LENGTH, maxLength: 256 },
          },
          required: ['username', 'display_name', 'password'],
          additionalProperties: false,
        },
        response: created,
      },
    },
    async (request, reply) =>
      reply.code(201).send(await runCommand(app.deps, actorOf(request), (ctx) => createStaff(ctx, request.body))),
  )

  await staffRoutes(server, app)

  server.post<{ Body: NewShop }>(
    '/api/v1/shops',
    {
      config: manage,
      schema: {
        tags,
        summary: 'Create a shop',
        body: {
          type: 'object',
          properties: { id: { type: 'string', pattern: SHOP_ID_PATTERN }, name },
          required: ['id', 'name'],
          additionalProperties: false,
        },
        response: created,
      },
    },
    async (request, reply) =>
      reply.code(201).send(await runCommand(app.deps, actorOf(request), (ctx) => createShop(ctx, request.body))),
  )

  server.get<{ Querystring: { limit: number } }>(
    '/api/v1/machine-clients',
    { config: view, schema: { tags, summary: 'Machine clients and their scopes', querystring: listQuery } },
    async (request) => ({
      items: (
        await app.db
          .selectFrom('machine_clients')
          .select(['id', 'name', 'scopes', 'status', 'created_at'])
          .orderBy('id')
          .limit(request.query.limit)
          .execute()
      ).map(presentMachineClient),
    }),
  )

  server.post<{ Body: NewMachineClient }>(
    '/api/v1/machine-clients',
    {
      config: manage,
      schema: {
        tags,
        summary: 'Register a machine client: the response carries its client_secret, shown this once and never again',
        body: {
          type: 'object',
          properties: {
            id: { type: 'string', pattern: ACCOUNT_ID_PATTERN },
            name,
            scopes: {
              type: 'array',
              items: { type: 'string', enum: MACHINE_SCOPE_NAMES },
              minItems: 1,
              uniqueItems: true,
            },
          },
          required: ['id', 'name', 'scopes'],
          additionalProperties: false,
        },
        response: created,
      },
    },
    async (request, reply) => {
      const client = await runCommand(app.deps, actorOf(request), (ctx) => createMachineClient(ctx, request.body))
      return reply.code(201).header('cache-control', 'no-store').send(client)
    },
  )
}
