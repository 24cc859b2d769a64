import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import cookie from '@fastify/cookie'
import fastifyStatic from '@fastify/static'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, LogController } from 'fastify'
import type { Registry } from 'prom-client'
import { accessRoutes, FORM_ROUTES, installAuth, requireJsonBodies } from '../access/index.ts'
import { activityRoutes } from '../activity/index.ts'
import { alertRoutes } from '../alerts/index.ts'
import { analysisRoutes } from '../analysis/index.ts'
import type { App } from '../app.ts'
import { auditRoutes } from '../audit/index.ts'
import { caseRoutes } from '../cases/index.ts'
import { changeRoutes } from '../changes/index.ts'
import { customerSessionRoutes, subscriberRoutes } from '../customers/index.ts'
import { demoPartnerRoutes, metaRoutes, VERSION } from '../demo/index.ts'
import { ValidationError } from '../domain/errors.ts'
import { numberRoutes, smsRoutes, stockRoutes } from '../inventory/index.ts'
import { correlatorOf, partnerRoutes } from '../partner/index.ts'
import type { DeclaredRoute } from '../platform/route-access.ts'
import { provisioningRoutes } from '../provisioning/index.ts'
import { reclaimRoutes, recyclingDecisionRoutes, recyclingOverviewRoutes, recyclingRoutes } from '../recycling/index.ts'
import { reportRoutes } from '../reports/index.ts'
import { requestRoutes } from '../requests/index.ts'
import { adminRoutes, MACHINE_SCOPES } from '../staff/index.ts'
import { wireFeatures } from '../wiring.ts'
import { installErrorHandling, installNotFound } from './errors.ts'
import { installHealth } from './health.ts'
import { DEFAULT_BODY_LIMIT, installBodyLimits, serverTimeouts } from './limits.ts'
import { clientErrorHandler, installRequestLogging, logResponse, serverLogger } from './logging.ts'
import { installMetrics } from './metrics.ts'
import { installSecurityHeaders } from './security-headers.ts'

const CONSOLE_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url))

export interface Server {
  server: FastifyInstance
  /** Every route with its declared access rule: the access matrix test walks this. */
  routes: DeclaredRoute[]
  /** The metrics registry, for a separate operations listener (src/http/metrics-exposure.ts). */
  metrics: Registry
}

export async function buildServer(app: App, options: { logRequests?: boolean } = {}): Promise<Server> {
  wireFeatures()
  const server = Fastify({
    loggerInstance: (options.logRequests === false ? undefined : serverLogger(app.logger)) as
      | FastifyBaseLogger
      | undefined,
    // One line per response from our own hook (src/http/logging.ts), framework refusals included.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: DEFAULT_BODY_LIMIT,
    ...serverTimeouts(app.config.http),
    clientErrorHandler,
    trustProxy: false,
    ajv: { customOptions: { allErrors: false, coerceTypes: true, removeAdditional: false } },
    // A URL the router cannot decode (`%ZZ`) or a path parameter past 100 characters: the same error shape as the rest.
    // Under /camara it is the partner spec's `{status, code, message}` with the caller's x-correlator.
    frameworkErrors: (error, request, reply) => {
      const clientFault = (error.statusCode ?? 500) < 500
      const message = clientFault ? error.message : 'Something went wrong on our side; it has been logged'
      const res = (reply as FastifyReply).code(clientFault ? 400 : 500)
      if (request.url.startsWith('/camara/')) {
        const correlator = correlatorOf(request.headers)
        if (correlator) res.header('x-correlator', correlator)
        res.send({ status: clientFault ? 400 : 500, code: clientFault ? 'INVALID_ARGUMENT' : 'INTERNAL', message })
      } else {
        res.send({ code: clientFault ? 'invalid_input' : 'internal_error', message, details: { field: 'url' } })
      }
      // Fastify runs no onResponse hook for these: the line is written here.
      logResponse(request, reply as FastifyReply)
    },
  })
  const routes: DeclaredRoute[] = []
  // Form bodies only where OAuth clients send them: anywhere else a form is what a cross-site page can post.
  server.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (req, body, done) => {
    if (!FORM_ROUTES.has(req.routeOptions.url ?? ''))
      return done(new ValidationError('content-type', 'This request takes an application/json body'), undefined)
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
  })
  await server.register(cookie)
  installErrorHandling(server, app.deps)
  installSecurityHeaders(server, app.config.mode)
  installRequestLogging(server)
  installBodyLimits(server)
  installAuth(server, app, routes)
  // After the access hook: a cross-site form post is refused as cross-site (with its alert) before its body type.
  requireJsonBodies(server)
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
  installHealth(server, app)
  const metrics = installMetrics(server, app)

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
    reclaimRoutes,
    changeRoutes,
    caseRoutes,
    recyclingRoutes,
    reportRoutes,
    analysisRoutes,
    recyclingOverviewRoutes,
    recyclingDecisionRoutes,
    auditRoutes,
    smsRoutes,
    partnerRoutes,
    demoPartnerRoutes,
  ])
    await plugin(server, app)

  const serveConsole = existsSync(CONSOLE_DIR)
  if (serveConsole) await server.register(fastifyStatic, { root: CONSOLE_DIR, wildcard: false })
  installNotFound(server, serveConsole)
  return { server, routes, metrics }
}
