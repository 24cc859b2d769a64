import type { App } from '../app.ts'
import { runCommand } from '../audit/index.ts'
import type { Actor } from '../domain/actor.ts'
import { checkBacklog } from './commands.ts'

const WORKER: Actor = { kind: 'system', component: 'worker' }

/** One pass of the worker over the outbox: dead letters and the backlog alert (see `checkBacklog`). */
export async function checkProvisioningBacklog(app: App): Promise<{ deadLettered: number; backlogAlerts: number }> {
  return runCommand(app.deps, WORKER, (ctx) => checkBacklog(ctx))
}
