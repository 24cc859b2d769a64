import type { FastifyInstance } from 'fastify'
import type { Mode } from '../platform/mode.ts'

/**
 * The console (web/dist, built by Vite) loads only its own module scripts and stylesheet; its favicon is a data: URI.
 * No inline script or style: an injected <script> or <style> does nothing.
 */
const directives = (styleSrc: string) => [
  "default-src 'self'",
  "script-src 'self'",
  `style-src ${styleSrc}`,
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
]

export const CONTENT_SECURITY_POLICY = directives("'self'").join('; ')

/**
 * Swagger UI at /docs (@fastify/swagger-ui 6.1) also inserts one fixed <style> element: that element alone is allowed,
 * by its hash (the browser test test/http/csp.browser.test.ts fails if an upgrade changes it).
 */
export const DOCS_CONTENT_SECURITY_POLICY = directives(
  "'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='",
).join('; ')

/** A year, the preload list's minimum; only in production, where numguard must be served over HTTPS anyway. */
export const STRICT_TRANSPORT_SECURITY = 'max-age=31536000; includeSubDomains'

/** Defence in depth for the console and the API: no content sniffing, no framing, no referrer leaks, no inline code. */
export function installSecurityHeaders(server: FastifyInstance, mode: Mode): void {
  server.addHook('onSend', async (request, reply) => {
    reply.header('x-content-type-options', 'nosniff')
    reply.header('x-frame-options', 'DENY')
    reply.header('referrer-policy', 'no-referrer')
    const docs = request.url === '/docs' || request.url.startsWith('/docs/')
    reply.header('content-security-policy', docs ? DOCS_CONTENT_SECURITY_POLICY : CONTENT_SECURITY_POLICY)
    if (mode === 'production') reply.header('strict-transport-security', STRICT_TRANSPORT_SECURITY)
  })
}
