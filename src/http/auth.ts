import type { FastifyInstance, FastifyRequest } from 'fastify'
import { authenticateMachine } from '../access/machine-tokens.ts'
import { authorize, authorizeScope, type StaffActor } from '../access/policies.ts'
import { authenticateStaff } from '../access/sessions.ts'
import type { App } from '../app.ts'
import type { Actor, ClientInfo } from '../audit/actor.ts'
import { UnauthenticatedError } from '../domain/errors.ts'
import type { Permission } from '../domain/roles.ts'

export const SESSION_COOKIE = 'ng_session'

/**
 * Every route declares who may call it. `public`: anyone. `staff`: a signed-in staff member, with `permission`
 * when set. `machine`: a client-credentials token with `scope`. A route under /api without a declaration
 * fails the server at start-up, so none escapes the access matrix.
 */
export type RouteAccess =
  | { auth: 'public' }
  | {
      auth: 'staff'
      permission?: Permission /** Also a session still waiting for its TOTP code. */
      allowPendingMfa?: boolean
    }
  | { auth: 'machine'; scope: string }

declare module 'fastify' {
  interface FastifyRequest {
    actor?: Actor
  }
  interface FastifyContextConfig {
    access?: RouteAccess
  }
}

export interface DeclaredRoute {
  method: string
  url: string
  access: RouteAccess
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (header?.startsWith('Bearer ')) return header.slice(7).trim()
  return request.cookies?.[SESSION_COOKIE]
}

/** The request's origin; the OS user and host are what the client claims (the CLI sends them), never verified. */
export function clientInfo(request: FastifyRequest): ClientInfo {
  const h = request.headers
  const pick = (v: string | string[] | undefined) => (typeof v === 'string' ? v.slice(0, 200) : undefined)
  return {
    ip: request.ip,
    userAgent: pick(h['user-agent']),
    claimedOsUser: pick(h['x-numguard-os-user']),
    claimedHost: pick(h['x-numguard-host']),
  }
}

export function installAuth(server: FastifyInstance, app: App, routes: DeclaredRoute[]): void {
  server.addHook('onRoute', (route) => {
    const access = route.config?.access
    if (!access) {
      if (route.url.startsWith('/api') || route.url.startsWith('/oauth')) {
        throw new Error(`route ${route.method} ${route.url} declares no access rule`)
      }
      return
    }
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url, access })
    // The OpenAPI document states the same rule: public routes need nothing, machine routes their scope.
    if (access.auth === 'public') route.schema = { ...route.schema, security: [] }
    if (access.auth === 'machine') route.schema = { ...route.schema, security: [{ client: [access.scope] }] }
  })

  // onRequest runs before the body is parsed: no session is a 401 and a wrong role a 403, whatever the body.
  server.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config?.access
    if (!access || access.auth === 'public') return
    const token = bearer(request)
    if (!token) throw new UnauthenticatedError()
    const now = app.clock.now()
    if (access.auth === 'machine') {
      request.actor = token.startsWith('ngm_') ? await authenticateMachine(app.db, now, token) : undefined
      authorizeScope(request.actor, access.scope)
      return
    }
    if (!token.startsWith('ngs_')) throw new UnauthenticatedError('This route needs a staff session')
    request.actor = await authenticateStaff(app.db, now, token, clientInfo(request), {
      allowPendingMfa: access.allowPendingMfa,
    })
    if (access.permission) authorize(request.actor, access.permission)
  })
}

/** The caller of a route that declared `staff` or `machine` access (the onRequest hook has set it). */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new UnauthenticatedError()
  return request.actor
}

export function staffOf(request: FastifyRequest): StaffActor {
  const actor = actorOf(request)
  if (actor.kind !== 'staff') throw new UnauthenticatedError('This route needs a staff session')
  return actor
}
