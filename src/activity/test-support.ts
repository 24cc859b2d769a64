// Helpers for the activity and provisioning tests (not imported by the application).

import { actAsOwnerInThisTransaction } from '../../test/helpers/owner-fixture.ts'
import { hashPassword, issueMachineToken } from '../access/index.ts'
import type { App } from '../app.ts'
import { audited, recordAudit, runCommand } from '../audit/index.ts'
import { endCustody, moveNumber, unbindSim } from '../custody/index.ts'
import type { Actor } from '../domain/actor.ts'

let clients = 0

export interface TestClient {
  clientId: string
  /** A valid access token at the app's current time (tokens live an hour; tests move the clock by days). */
  token(): Promise<string>
}

/** A machine client with the given scopes, as the charging system or a provisioning consumer would hold. */
export async function machineClient(app: App, scopes: string[]): Promise<TestClient> {
  const clientId = `test-client-${++clients}-${Math.random().toString(36).slice(2, 8)}`
  const secret = `secret-${clientId}`
  await app.db
    .insertInto('machine_clients')
    .values({
      id: clientId,
      name: clientId,
      secret_hash: await hashPassword(secret),
      scopes,
      created_at: app.clock.now(),
    })
    .execute()
  let cached: { token: string; until: number } | undefined
  return {
    clientId,
    token: async () => {
      if (!cached || cached.until <= app.clock.now().getTime()) {
        const out = await issueMachineToken(app.deps, clientId, secret)
        cached = { token: out.access_token, until: app.clock.now().getTime() + (out.expires_in - 60) * 1000 }
      }
      return cached.token
    },
  }
}

/** A machine client's token valid now (for tests that do not move the clock past an hour). */
export async function machineToken(app: App, scopes: string[]): Promise<{ clientId: string; token: string }> {
  const client = await machineClient(app, scopes)
  return { clientId: client.clientId, token: await client.token() }
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

const FIXTURE: Actor = { kind: 'system', component: 'test-fixture' }

/**
 * Ends a custody the way a withdrawal for inactivity does (custody closed, number aging, state row aging), through
 * the custody commands but without the withdrawal's decision, and an audit record, as the schema owner: a stand-in
 * for the recycling engine in these tests.
 */
export async function withdrawForTest(app: App, msisdn: string, at: Date): Promise<string> {
  return runCommand({ db: app.db, clock: { now: () => at } }, FIXTURE, async (ctx) => {
    // Owner-connection fixture: the application role may not end a custody for inactivity without its decision (031).
    await actAsOwnerInThisTransaction(ctx.tx)
    const custody = { id: await endCustody(ctx, { msisdn }, 'inactivity') }
    await unbindSim(ctx, custody.id, 'custody_ended')
    await moveNumber(ctx, { msisdn, from: ['active', 'suspended'], to: 'aging' })
    await ctx.tx
      .updateTable('recycling_state')
      .set({ stage: 'aging', withdrawn_at: at, next_due_at: new Date(at.getTime() + 90 * 86_400_000), updated_at: at })
      .where('custody_id', '=', custody.id)
      .execute()
    const receipt = await recordAudit(ctx, {
      action: 'number.withdrawn',
      msisdn,
      basis: 'inactivity',
      data: { fixture: true },
    })
    return audited(custody.id, [receipt])
  })
}
