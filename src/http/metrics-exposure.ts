// Where /metrics is served: open on the main port (the demo), behind a bearer token, or on a separate operations
// address that only the monitoring network reaches (production's default: loopback, see src/platform/http-config.ts).
import { timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import { UnauthenticatedError } from '../domain/errors.ts'
import type { HttpConfig } from '../platform/http-config.ts'

function tokenMatches(header: string | undefined, token: string): boolean {
  if (!header?.startsWith('Bearer ')) return false
  const given = Buffer.from(header.slice(7).trim())
  const expected = Buffer.from(token)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/** The /metrics route on the main server, unless the metrics have an address of their own. */
export function exposeMetrics(server: FastifyInstance, registry: Registry, http: HttpConfig | undefined): void {
  if (http?.metricsListen) return
  const token = http?.metricsToken
  server.get(
    '/metrics',
    {
      config: { access: { auth: 'public' } },
      schema: { hide: true },
      onRequest: async (request, reply) => {
        if (token && !tokenMatches(request.headers.authorization, token)) {
          reply.header('www-authenticate', 'Bearer realm="numguard metrics"')
          throw new UnauthenticatedError('/metrics needs Authorization: Bearer <NUMGUARD_METRICS_TOKEN>')
        }
      },
    },
    async (_request, reply) => {
      reply.type(registry.contentType)
      return registry.metrics()
    },
  )
}

export interface MetricsListener {
  url: string
  close(): Promise<void>
}

/** The operations address: GET /metrics only (with the token when one is set), nothing else. */
export async function listenMetrics(registry: Registry, http: HttpConfig): Promise<MetricsListener | undefined> {
  const listen = http.metricsListen
  if (!listen) return undefined
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0]
    if (req.method !== 'GET' || path !== '/metrics') return send(res, 404, 'text/plain', 'not found\n')
    if (http.metricsToken && !tokenMatches(req.headers.authorization, http.metricsToken))
      return send(res, 401, 'text/plain', 'needs Authorization: Bearer <NUMGUARD_METRICS_TOKEN>\n')
    send(res, 200, registry.contentType, await registry.metrics())
  }
  const server = createServer({ requestTimeout: 10_000, headersTimeout: 5_000 }, (req, res) => {
    handle(req, res).catch(() => send(res, 500, 'text/plain', 'metrics could not be collected\n'))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: listen.host, port: listen.port }, () => resolve())
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    url: `http://${host}:${address.port}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  if (res.headersSent) return void res.end()
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) }).end(body)
}
