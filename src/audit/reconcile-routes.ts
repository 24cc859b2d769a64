// The reconciliation over HTTP: the last run (console, `numguard audit reconcile --last`) and a run on demand
// (`numguard audit reconcile`). Compliance officers and auditors (view_audit): a run changes no number, it only
// reports, and every difference it finds becomes a risk alert.
import type { FastifyInstance } from 'fastify'
import type { App } from '../app.ts'
import { actorOf } from '../platform/route-access.ts'
import { anyObject, errorResponses } from '../platform/schemas.ts'
import { lastReconcile, reconcileNumbers } from './reconcile.ts'
import { runCommand } from './run-command.ts'

const view = { access: { auth: 'staff', permission: 'view_audit' } } as const
const tags = ['audit']
const ok = { 200: anyObject, ...errorResponses }

export async function reconcileRoutes(server: FastifyInstance, app: App) {
  server.get(
    '/api/v1/audit/reconcile',
    {
      config: view,
      schema: {
        tags,
        summary:
          'The last reconciliation: when, how many numbers were checked against the leaves, and the differences found',
        response: ok,
      },
    },
    async () => ({ last: await lastReconcile(app) }),
  )

  server.post(
    '/api/v1/audit/reconcile',
    {
      config: view,
      schema: {
        tags,
        summary:
          "Rebuild every number's holder, SIM and state from the leaves and compare with the tables now (each difference is a risk alert)",
        response: ok,
      },
    },
    async (request) => runCommand(app.deps, actorOf(request), (ctx) => reconcileNumbers(ctx, 'api')),
  )
}
