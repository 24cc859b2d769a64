import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import cookie from '@fastify/cookie'
import fastifyStatic from '@fastify/static'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify'
import { sql } from 'kysely'
import { adminRoutes } from '../access/admin-routes.ts'
import { MACHINE_SCOPES } from '../access/administration.ts'
import { accessRoutes } from '../access/routes.ts'
import { activityRoutes } from '../activity/routes.ts'
import { alertRoutes } from '../alerts/routes.ts'
import type { App } from '../app.ts'
import { auditRoutes } from '../audit/routes.ts'
import { changeRoutes } from '../changes/routes.ts'
import { customerSessionRoutes } from '../customers/routes.ts'
import { metaRoutes, VERSION } from '../demo/routes.ts'
import { numberRoutes } from '../inventory/routes.ts'
import { stockRoutes } from '../inventory/stock-routes.ts'
import { provisioningRoutes } from '../provisioning/routes.ts'
import { recyclingDecisionRoutes } from '../recycling/decision-routes.ts'
import { recyclingOverviewRoutes } from '../recycling/overview-routes.ts'
import { recyclingRoutes } from '../recycling/routes.ts'
import { reportRoutes } from '../reports/routes.ts'
import { requestRoutes } from '../requests/routes.ts'
import { smsRoutes } from '../sms/routes.ts'
import { subscriberRoutes } from '../subscribers/routes.ts'
import { type DeclaredRoute, installAuth } from './auth.ts'
import { installErrorHandling, installNotFound } from './errors.ts'
import { installMetrics } from './metrics.ts'

const CONSOLE_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url))

export interface Server {
  server: FastifyInstance
  /** Every route with its declared access rule: the access matrix test walks this. */
  routes: DeclaredRoute[]
}

export async function buildServer(app: App, options: { logRequests?: boolean } = {}): Promise<Server> {
  const server = Fastify({
    loggerInstance: (options.logRequests === false ? undefined : app.logger) as FastifyBaseLogger | undefined,
    bodyLimit: 2 * 1024 * 1024,
    trustProxy: false,
    ajv: { customOptions: { allErrors: false, coerceTypes: true, removeAdditional: false } },
    // A URL the router cannot decode (`%ZZ`) or a path parameter past 100 characters: the same error shape as the rest.
    frameworkErrors: (error, _request, reply) => {
      const clientFault = (error.statusCode ?? 500) < 500
      ;(reply as FastifyReply).code(clientFault ? 400 : 500).send({
        code: clientFault ? 'invalid_input' : 'internal_error',
        message: clientFault ? error.message : 'Something went wrong on our side; it has been logged',
        details: { field: 'url' },
      })
    },
  })
  const routes: DeclaredRoute[] = []
  server.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
  })
  await server.register(cookie)
  installErrorHandling(server)
  // Defence in depth for the console and the API: no content sniffing, no framing, no referrer leaks.
  server.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff')
    reply.header('x-frame-options', 'DENY')
    reply.header('referrer-policy', 'no-referrer')
  })
  installAuth(server, app, routes)
  await server.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'numguard',
        version: VERSION,
        description: 'Phone-number custody: inventory, sales, custody history, audit.',
      },
      components: {
        securitySchemes: {
          session: {
            type: 'http',
            scheme: 'bearer',
            description: 'Staff session token from /api/v1/auth/sign-in (or the ng_session cookie)',
          },
          client: {
            type: 'oauth2',
            flows: {
              clientCredentials: {
                tokenUrl: '/oauth/token',
                scopes: MACHINE_SCOPES,
              },
            },
          },
        },
      },
      security: [{ session: [] }],
    },
  })
  await server.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } })
  server.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...route.config, access: { auth: 'public' } }
  })

  server.get('/openapi.json', { config: { access: { auth: 'public' } }, schema: { hide: true } }, async () =>
    server.swagger(),
  )
  server.get(
    '/healthz',
    {
      config: { access: { auth: 'public' } },
      schema: { tags: ['system'], summary: 'Liveness and database reachability' },
    },
    async (_req, reply) => {
      try {
        await sql`SELECT 1`.execute(app.db)
        return { status: 'ok', database: app.database.kind, mode: app.config.mode }
      } catch {
        return reply.code(503).send({ status: 'unavailable', database: app.database.kind })
      }
    },
  )
  installMetrics(server)

  for (const plugin of [
    accessRoutes,
    adminRoutes,
    numberRoutes,
    stockRoutes,
    subscriberRoutes,
    customerSessionRoutes,
    alertRoutes,
    metaRoutes,
    activityRoutes,
    provisioningRoutes,
    requestRoutes,
    changeRoutes,
    recyclingRoutes,
    reportRoutes,
    recyclingOverviewRoutes,
    recyclingDecisionRoutes,
    auditRoutes,
    smsRoutes,
  ])
    await plugin(server, app)

  const serveConsole = existsSync(CONSOLE_DIR)
  if (serveConsole) await server.register(fastifyStatic, { root: CONSOLE_DIR, wildcard: false })
  installNotFound(server, serveConsole)
  return { server, routes }
}
