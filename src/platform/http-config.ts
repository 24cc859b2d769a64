import { ValidationError } from '../domain/errors.ts'
import type { Mode } from './mode.ts'

/** How the HTTP server meets the outside world: its public origin, its timeouts and where /metrics is served. */
export interface HttpConfig {
  /** The console's own origin (`https://numguard.example`); absent, a request's Host header stands for it. */
  publicOrigin?: string
  /** Headers and body of a request must have arrived within this; a stalled upload is then answered 408 and closed. */
  requestTimeoutMs: number
  /** /metrics on a separate operations address instead of the main port. */
  metricsListen?: { host: string; port: number }
  /** /metrics answers only `Authorization: Bearer <token>`. */
  metricsToken?: string
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 20_000
/** Production's default operations address: loopback only, Prometheus's conventional exporter port range. */
export const PRODUCTION_METRICS_LISTEN = '127.0.0.1:9464'

export function loadHttpConfig(env: NodeJS.ProcessEnv, mode: Mode): HttpConfig {
  const timeout = Number(env.NUMGUARD_REQUEST_TIMEOUT_MS ?? DEFAULT_REQUEST_TIMEOUT_MS)
  if (!Number.isInteger(timeout) || timeout < 100 || timeout > 600_000)
    throw new ValidationError(
      'NUMGUARD_REQUEST_TIMEOUT_MS',
      'NUMGUARD_REQUEST_TIMEOUT_MS must be milliseconds between 100 and 600000',
    )
  const metricsToken = env.NUMGUARD_METRICS_TOKEN || undefined
  // Production never exposes metrics unauthenticated on the public port: without a token they move to loopback.
  const listen =
    env.NUMGUARD_METRICS_LISTEN || (mode === 'production' && !metricsToken ? PRODUCTION_METRICS_LISTEN : undefined)
  return {
    publicOrigin: env.NUMGUARD_PUBLIC_URL ? parsePublicOrigin(env.NUMGUARD_PUBLIC_URL) : undefined,
    requestTimeoutMs: timeout,
    metricsListen: listen ? parseListen(listen) : undefined,
    metricsToken,
  }
}

function parsePublicOrigin(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ValidationError(
      'NUMGUARD_PUBLIC_URL',
      'NUMGUARD_PUBLIC_URL must be a URL such as https://numguard.example',
    )
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ValidationError('NUMGUARD_PUBLIC_URL', 'NUMGUARD_PUBLIC_URL must be an http(s) URL')
  return url.origin
}

function parseListen(value: string): { host: string; port: number } {
  const match = /^(.+):(\d{1,5})$/.exec(value)
  const port = Number(match?.[2])
  if (!match || port > 65535)
    throw new ValidationError(
      'NUMGUARD_METRICS_LISTEN',
      'NUMGUARD_METRICS_LISTEN must be host:port, e.g. 127.0.0.1:9464',
    )
  return { host: match[1].replace(/^\[(.*)\]$/, '$1'), port }
}
