// Partner clients and CAMARA calls for the partner API tests and the Gherkin runner.
import { expect } from 'vitest'
import type { App } from '../../src/app.ts'
import { runCommand } from '../../src/audit/run-command.ts'
import { sellNumber } from '../../src/inventory/sales.ts'
import type { TestApp } from '../helpers/app.ts'
import { makeSims, newSubscriber, type TestStaff } from '../helpers/factories.ts'
import { makeMachineClient } from '../http/support.ts'

export const HOUR = 3_600_000
export const DAY = 24 * HOUR

/** A partner machine client holding `scopes`, and an access token it got from /oauth/token (`fresh()`: another). */
export async function partnerClient(t: TestApp, scopes: string[]) {
  const client = await makeMachineClient(t.app, scopes)
  const fresh = async () => {
    const res = await t.server.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { grant_type: 'client_credentials', client_id: client.id, client_secret: client.secret },
    })
    expect(res.statusCode, res.body).toBe(200)
    return res.json().access_token as string
  }
  return { ...client, token: await fresh(), fresh }
}

export const ALL_CHECK_SCOPES = ['number-recycling:check', 'sim-swap:check', 'sim-swap:retrieve-date']

export function camara(t: TestApp, token: string | null) {
  return (path: string, body: unknown, headers: Record<string, string> = {}) =>
    t.server.inject({
      method: 'POST',
      url: `/camara${path}`,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        'content-type': 'application/json',
        ...headers,
      },
      payload: JSON.stringify(body),
    })
}

/** Sells an available number (again) to a new subscriber with a fresh SIM; returns the new custody id. */
export async function sellAgain(app: App, agent: TestStaff, msisdn: string) {
  const [iccid] = await makeSims(app, agent.shopId as string, 1)
  const sale = await runCommand(app.deps, agent.actor, (ctx) =>
    sellNumber(ctx, agent.actor, { msisdn, iccid, subscriber: newSubscriber() }, app.config.kycKey),
  )
  return sale.custody_id
}
