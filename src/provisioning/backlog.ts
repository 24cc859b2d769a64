import type { App } from '../app.ts'
import type { Actor } from '../audit/actor.ts'
import { runCommand } from '../audit/run-command.ts'
import { checkBacklog } from './commands.ts'

const WORKER: Actor = { kind: 'system', component: 'worker' }

/** One pass of the worker over the outbox: dead letters and the backlog alert (see `checkBacklog`). */
export async function checkProvisioningBacklog(app: App): Promise<{ deadLettered: number; backlogAlerts: number }> {
  return runCommand(app.deps, WORKER, (ctx) => checkBacklog(ctx))
}
