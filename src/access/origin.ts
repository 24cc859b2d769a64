// A browser attaches the staff cookie to any request it sends to numguard, whoever's page started it. Bearer tokens it
// never attaches by itself, so only cookie-authenticated changes need proof that the console itself sent them.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { App } from '../app.ts'
import { runCommand } from '../audit/index.ts'
import type { Actor } from '../domain/actor.ts'
import { DomainError, ValidationError } from '../domain/errors.ts'

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
/** The one route that takes an HTML form body: OAuth clients post `application/x-www-form-urlencoded` (RFC 6749). */
export const FORM_ROUTES = new Set(['/oauth/token'])

export function isStateChanging(method: string): boolean {
  return STATE_CHANGING.has(method)
}

export class CrossSiteRequestError extends DomainError {
  constructor(origin: string) {
    super(
      'cross_site_request',
      403,
      'This change came from another site than the numguard console; it was refused and reported',
      { origin },
    )
  }
}

/** What the browser says started the request, or undefined when it says nothing (a script, curl, an old browser). */
function claimedSource(request: FastifyRequest): string | undefined {
  const origin = request.headers.origin
  if (typeof origin === 'string') return origin
  const site = request.headers['sec-fetch-site']
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return `sec-fetch-site: ${site}`
  return undefined
}

/** The console's own origin is NUMGUARD_PUBLIC_URL when set; else the host the request was sent to. */
export function isOwnOrigin(origin: string, request: FastifyRequest, publicOrigin: string | undefined): boolean {
  if (publicOrigin) return origin === publicOrigin
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    return false // `null` (a sandboxed frame, a cross-site redirect) or garbage
  }
  const host = request.headers.host?.toLowerCase()
  return (url.protocol === 'http:' || url.protocol === 'https:') && host !== undefined && url.host === host
}

/**
 * Refuses a cookie-authenticated change sent from another site, with a risk alert naming the staff member: the
 * session is real, so someone's browser is being used against numguard (invariant 8: every refusal is seen).
 */
export async function refuseCrossSite(app: App, request: FastifyRequest, actor: Actor): Promise<void> {
  if (!isStateChanging(request.method) || actor.kind !== 'staff') return
  const source = claimedSource(request)
  if (source === undefined) return
  if (source === request.headers.origin && isOwnOrigin(source, request, app.config.http?.publicOrigin)) return
  const refusal = new CrossSiteRequestError(source.slice(0, 200)).withAlert({
    kind: 'cross_site_request',
    severity: 'risk',
    staffId: actor.staffId,
    attempt: {
      method: request.method,
      route: request.routeOptions.url ?? request.url.split('?')[0],
      origin: source.slice(0, 200),
      ip: request.ip,
    },
  })
  await runCommand(app.deps, actor, async () => {
    throw refusal
  })
}

/**
 * Changes take JSON only: a form, multipart or text/plain body is what an HTML form or a "simple" cross-site fetch
 * can send without a preflight, so no route but the OAuth token endpoint reads one.
 */
export function requireJsonBodies(server: FastifyInstance): void {
  server.addHook('onRequest', async (request) => {
    if (!isStateChanging(request.method) || FORM_ROUTES.has(request.routeOptions.url ?? '')) return
    const type = request.headers['content-type']
    if (type === undefined) return // no body at all, or one Fastify refuses for want of a type
    const media = type.split(';')[0].trim().toLowerCase()
    // A CloudEvent in structured mode (the demo partner sink) is JSON too, and no form or simple fetch can send it.
    if (media !== 'application/json' && media !== 'application/cloudevents+json')
      throw new ValidationError('content-type', `This request takes an application/json body, not ${media || 'none'}`)
  })
}
