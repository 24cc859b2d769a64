// What every route needs of the caller: the access rule it declares, and the actor the auth hook set
// (src/access/http-auth.ts installs the hook; src/http/server.ts installs it on the server).
import type { FastifyRequest } from 'fastify'
import type { Actor, ClientInfo } from '../domain/actor.ts'
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
  /** `orScopes`: other scopes that also admit the caller (CAMARA SIM Swap accepts its legacy `sim-swap` too). */
  | { auth: 'machine'; scope: string; orScopes?: readonly string[] }

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

/** The caller of a route that declared `staff` or `machine` access (the onRequest hook has set it). */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new UnauthenticatedError()
  return request.actor
}

export function staffOf(request: FastifyRequest): Extract<Actor, { kind: 'staff' }> {
  const actor = actorOf(request)
  if (actor.kind !== 'staff') throw new UnauthenticatedError('This route needs a staff session')
  return actor
}
