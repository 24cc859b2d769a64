// The auth hooks: every route's declared access rule (src/platform/route-access.ts) checked before its body is read.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { App } from '../app.ts'
import { UnauthenticatedError } from '../domain/errors.ts'
import { clientInfo, type DeclaredRoute, SESSION_COOKIE } from '../platform/route-access.ts'
import { cachedMachineAuthenticator } from './machine-token-cache.ts'
import { refuseCrossSite } from './origin.ts'
import { authorize, authorizeScope } from './policies.ts'
import { authenticateStaff } from './sessions.ts'

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (header?.startsWith('Bearer ')) return header.slice(7).trim()
  return request.cookies?.[SESSION_COOKIE]
}

export function installAuth(server: FastifyInstance, app: App, routes: DeclaredRoute[]): void {
  const authenticateMachine = cachedMachineAuthenticator(app.db)
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
    if (access.auth === 'machine') {
      const scopes = [access.scope, ...(access.orScopes ?? [])]
      route.schema = { ...route.schema, security: scopes.map((s) => ({ client: [s] })) }
    }
  })

  // onRequest runs before the body is parsed: no session is a 401 and a wrong role a 403, whatever the body.
  server.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config?.access
    if (!access || access.auth === 'public') return
    const token = bearer(request)
    if (!token) throw new UnauthenticatedError()
    const now = app.clock.now()
    if (access.auth === 'machine') {
      request.actor = token.startsWith('ngm_') ? await authenticateMachine(now, token) : undefined
      const held = request.actor?.kind === 'machine' ? request.actor.scopes : []
      authorizeScope(request.actor, access.orScopes?.find((s) => held.includes(s)) ?? access.scope)
      return
    }
    if (!token.startsWith('ngs_')) throw new UnauthenticatedError('This route needs a staff session')
    const actor = await authenticateStaff(app.db, now, token, clientInfo(request), {
      allowPendingMfa: access.allowPendingMfa,
    })
    request.actor = actor
    // Before the role check: a forged change is an attack on this staff member whatever their role allows.
    if (!request.headers.authorization?.startsWith('Bearer ')) await refuseCrossSite(app, request, actor)
    if (access.permission) authorize(request.actor, access.permission)
  })
}
