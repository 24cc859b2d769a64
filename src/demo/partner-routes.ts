// Demo mode only (never registered in production): what the console's Partner page needs to act as the demo bank.
// The demo partner's credentials (the ones `npm start` prints) and a sink inside numguard that receives the CloudEvents
// of the demo partner's subscriptions from the outbox, so a swap shows up on the page as it would at the bank.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { App } from '../app.ts'
import { UnauthenticatedError } from '../domain/errors.ts'
import { DEMO_MACHINE_CLIENTS } from './seed-accounts.ts'

export const DEMO_SINK_PATH = '/api/v1/demo/partner-sink'
const KEPT_EVENTS = 200
/** The sink token lives as long as the process; CAMARA wants an expiry with it (accessTokenExpiresUtc): a year on. */
const SINK_TOKEN_DAYS = 365

interface ReceivedEvent {
  id: string
  type: string
  time: string | null
  data: unknown
  received_at: string
  /** How many times this event id arrived (delivery is at least once). */
  deliveries: number
}

export async function demoPartnerRoutes(server: FastifyInstance, app: App): Promise<void> {
  if (app.config.mode !== 'demo') return
  const partner = DEMO_MACHINE_CLIENTS.find((c) => c.purpose)
  if (!partner) return
  // The bearer token the outbox must present at the sink: the page gives it as the subscription's sinkCredential.
  const sinkToken = randomBytes(24).toString('base64url')
  const received: ReceivedEvent[] = []

  server.get(
    '/api/v1/demo/partner',
    {
      config: { access: { auth: 'staff', permission: 'demo_phone' } },
      schema: { tags: ['demo'], summary: 'The demo partner client and the sink its subscriptions can use' },
    },
    async (request) => ({
      client_id: partner.clientId,
      client_secret: partner.secret,
      scopes: partner.scopes,
      purpose: partner.purpose,
      sink: `${request.protocol}://${request.host}${DEMO_SINK_PATH}`,
      sink_token: sinkToken,
      sink_token_expires_at: new Date(app.clock.now().getTime() + SINK_TOKEN_DAYS * 86_400_000).toISOString(),
    }),
  )

  server.get(
    '/api/v1/demo/partner-events',
    {
      config: { access: { auth: 'staff', permission: 'demo_phone' } },
      schema: { tags: ['demo'], summary: 'The CloudEvents the demo sink received, newest first' },
    },
    async () => ({ items: [...received].reverse() }),
  )

  await server.register(async (scope) => {
    scope.addContentTypeParser(
      'application/cloudevents+json',
      { parseAs: 'string' },
      scope.getDefaultJsonParser('error', 'error'),
    )
    scope.post(
      DEMO_SINK_PATH,
      {
        // The sink authenticates its caller itself, as a partner's would: the subscription's sink token.
        config: { access: { auth: 'public' } },
        schema: {
          tags: ['demo'],
          summary: 'Demo partner sink: receives CloudEvents from the outbox',
          body: {
            type: 'object',
            required: ['id', 'type'],
            properties: { id: { type: 'string' }, type: { type: 'string' } },
          },
        },
      },
      async (request, reply) => {
        const given = Buffer.from(request.headers.authorization ?? '')
        const wanted = Buffer.from(`Bearer ${sinkToken}`)
        if (given.length !== wanted.length || !timingSafeEqual(given, wanted))
          throw new UnauthenticatedError('This sink takes the token given as the subscription sinkCredential')
        const event = request.body as { id: string; type: string; time?: string; data?: unknown }
        const seen = received.find((e) => e.id === event.id)
        if (seen) seen.deliveries += 1
        else {
          received.push({
            id: event.id,
            type: event.type,
            time: event.time ?? null,
            data: event.data ?? null,
            received_at: app.clock.now().toISOString(),
            deliveries: 1,
          })
          if (received.length > KEPT_EVENTS) received.shift()
        }
        return reply.code(204).send()
      },
    )
  })
}
