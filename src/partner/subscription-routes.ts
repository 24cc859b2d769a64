// CAMARA SIM Swap Subscriptions 0.3 under /camara/sim-swap-subscriptions/v0.3 (registered in the /camara plugin, so
// CAMARA's error shape and x-correlator apply). A partner sees and deletes only its own subscriptions.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { App } from '../app.ts'
import { audited, runCommand, unchanged } from '../audit/index.ts'
import { actorOf } from '../platform/route-access.ts'
import { partnerDb } from './db.ts'
import { CamaraError } from './errors.ts'
import { CAMARA_ERRORS, CORRELATOR_HEADERS, PHONE_NUMBER } from './schemas.ts'
import {
  createSubscription,
  endSubscription,
  findSubscription,
  presentSubscription,
  type SubscriptionRequest,
  SWAPPED,
} from './subscriptions.ts'

const BASE = '/sim-swap-subscriptions/v0.3/subscriptions'
const TAGS = ['CAMARA SIM Swap Subscriptions 0.3']
export const CREATE_SCOPE = `sim-swap-subscriptions:${SWAPPED}:create`

const SUBSCRIPTION = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    protocol: { type: 'string' },
    sink: { type: 'string' },
    types: { type: 'array', items: { type: 'string' } },
    config: {
      type: 'object',
      properties: {
        subscriptionDetail: { type: 'object', properties: { phoneNumber: { type: 'string' } } },
        subscriptionExpireTime: { type: 'string', format: 'date-time' },
        subscriptionMaxEvents: { type: 'integer' },
      },
    },
    startsAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: 'string', format: 'date-time' },
    status: { type: 'string' },
  },
} as const

const CREATE_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['sink', 'protocol', 'config', 'types'],
  properties: {
    protocol: { type: 'string', enum: ['HTTP', 'MQTT3', 'MQTT5', 'AMQP', 'NATS', 'KAFKA'] },
    sink: { type: 'string', format: 'uri', maxLength: 2000 },
    sinkCredential: {
      type: 'object',
      additionalProperties: false,
      required: ['credentialType'],
      properties: {
        credentialType: { type: 'string', enum: ['PLAIN', 'ACCESSTOKEN', 'REFRESHTOKEN'] },
        accessToken: { type: 'string', maxLength: 4000 },
        accessTokenExpiresUtc: { type: 'string', format: 'date-time' },
        accessTokenType: { type: 'string', maxLength: 40 },
      },
    },
    types: { type: 'array', minItems: 1, maxItems: 1, items: { type: 'string', enum: [SWAPPED] } },
    config: {
      type: 'object',
      additionalProperties: false,
      required: ['subscriptionDetail'],
      properties: {
        subscriptionDetail: {
          type: 'object',
          additionalProperties: false,
          properties: { phoneNumber: PHONE_NUMBER },
        },
        subscriptionExpireTime: { type: 'string', format: 'date-time' },
        subscriptionMaxEvents: { type: 'integer', minimum: 1 },
        initialEvent: { type: 'boolean' },
      },
    },
  },
} as const

const ID_PARAMS = {
  type: 'object',
  required: ['subscriptionId'],
  properties: { subscriptionId: { type: 'string', maxLength: 64 } },
} as const

const clientOf = (request: FastifyRequest) => {
  const actor = actorOf(request)
  if (actor.kind !== 'machine') throw new CamaraError(401, 'UNAUTHENTICATED', 'A partner access token is needed')
  return { actor, clientId: actor.clientId }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const idOf = (request: FastifyRequest) => {
  const id = (request.params as { subscriptionId: string }).subscriptionId
  if (!UUID.test(id)) throw new CamaraError(404, 'NOT_FOUND', 'No subscription with this id')
  return id
}

export async function subscriptionRoutes(scope: FastifyInstance, app: App): Promise<void> {
  const production = app.config.mode === 'production'
  scope.post(
    BASE,
    {
      schema: {
        tags: TAGS,
        operationId: 'createSimSwapSubscription',
        summary: 'Create a SIM swap event subscription for a phone number',
        headers: CORRELATOR_HEADERS,
        body: CREATE_BODY,
        response: { 201: { description: 'Created', ...SUBSCRIPTION }, ...CAMARA_ERRORS },
      },
      config: { access: { auth: 'machine', scope: CREATE_SCOPE } },
    },
    async (request, reply) => {
      const { actor, clientId } = clientOf(request)
      const created = await runCommand(app.deps, actor, (ctx) =>
        createSubscription(ctx, clientId, request.body as SubscriptionRequest, { production }),
      )
      return reply.code(201).send(created)
    },
  )
  scope.get(
    BASE,
    {
      schema: {
        tags: TAGS,
        operationId: 'retrieveSimSwapSubscriptionList',
        summary: 'The caller’s SIM swap subscriptions',
        headers: CORRELATOR_HEADERS,
        response: { 200: { description: 'OK', type: 'array', items: SUBSCRIPTION }, ...CAMARA_ERRORS },
      },
      config: { access: { auth: 'machine', scope: 'sim-swap-subscriptions:read' } },
    },
    async (request) => {
      const { clientId } = clientOf(request)
      const rows = await partnerDb(app.db)
        .selectFrom('partner_subscriptions')
        .selectAll()
        .where('client_id', '=', clientId)
        .where('status', 'in', ['ACTIVE', 'INACTIVE'])
        .orderBy('created_at')
        .limit(1000)
        .execute()
      return rows.map(presentSubscription)
    },
  )
  scope.get(
    `${BASE}/:subscriptionId`,
    {
      schema: {
        tags: TAGS,
        operationId: 'retrieveSimSwapSubscription',
        summary: 'One of the caller’s SIM swap subscriptions',
        headers: CORRELATOR_HEADERS,
        params: ID_PARAMS,
        response: { 200: { description: 'OK', ...SUBSCRIPTION }, ...CAMARA_ERRORS },
      },
      config: { access: { auth: 'machine', scope: 'sim-swap-subscriptions:read' } },
    },
    async (request) => presentSubscription(await findSubscription(app.db, clientOf(request).clientId, idOf(request))),
  )
  scope.delete(
    `${BASE}/:subscriptionId`,
    {
      schema: {
        tags: TAGS,
        operationId: 'deleteSimSwapSubscription',
        summary: 'Delete one of the caller’s SIM swap subscriptions (its subscription-ended event follows)',
        headers: CORRELATOR_HEADERS,
        params: ID_PARAMS,
        response: { 204: { description: 'Deleted', type: 'null' }, ...CAMARA_ERRORS },
      },
      config: { access: { auth: 'machine', scope: 'sim-swap-subscriptions:delete' } },
    },
    async (request, reply) => {
      const { actor, clientId } = clientOf(request)
      const id = idOf(request)
      await runCommand(app.deps, actor, async (ctx) => {
        await findSubscription(ctx.tx, clientId, id)
        const receipt = await endSubscription(ctx, id, 'SUBSCRIPTION_DELETED')
        return receipt ? audited(null, [receipt]) : unchanged(null)
      })
      return reply.code(204).send()
    },
  )
}
