import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import { DEFAULT_REQUEST_TIMEOUT_MS, type HttpConfig } from '../platform/http-config.ts'

/** Every route's body limit unless it sets its own (the activity batch and the SIM import take 16 MiB). */
export const DEFAULT_BODY_LIMIT = 2 * 1024 * 1024
/** Routes anyone may call (sign-in, OAuth token) read a few short fields: a stranger cannot make them buffer more. */
export const PUBLIC_BODY_LIMIT = 16 * 1024
/** Idle time allowed between two requests on one connection; longer than the 60 s idle of common load balancers. */
export const KEEP_ALIVE_TIMEOUT_MS = 72_000
/** A connection on which no byte moves either way for this long is closed, whatever state it is in. */
export const IDLE_TIMEOUT_MS = 120_000

/**
 * Fastify's and Node's timeouts. `requestTimeout` bounds the whole request (headers and body) and Node checks it
 * every `connectionsCheckingInterval` (30 s by default, far too coarse): a stalled upload is closed within a second
 * of the timeout. Headers must arrive within half of it.
 */
export function serverTimeouts(http: HttpConfig | undefined): Partial<FastifyServerOptions> {
  const requestTimeout = http?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
  const headersTimeout = Math.max(50, Math.floor(requestTimeout / 2))
  const connectionsCheckingInterval = Math.max(50, Math.min(1000, Math.floor(requestTimeout / 4)))
  return {
    requestTimeout,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    connectionTimeout: Math.max(IDLE_TIMEOUT_MS, requestTimeout),
    http: { requestTimeout, headersTimeout, connectionsCheckingInterval },
  } as Partial<FastifyServerOptions>
}

/** Public routes get the small body limit unless they declare their own. */
export function installBodyLimits(server: FastifyInstance): void {
  server.addHook('onRoute', (route) => {
    if (route.bodyLimit === undefined && route.config?.access?.auth === 'public') route.bodyLimit = PUBLIC_BODY_LIMIT
  })
}
