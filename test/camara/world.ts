// What one Gherkin scenario builds up before and after its request: the number under test and its history, the
// request's headers and body, the response. The app (and its clock, which only moves forward) is the feature's.
import { randomUUID } from 'node:crypto'
import { expect } from 'vitest'
import { hashToken } from '../../src/access/secrets.ts'
import { localDate } from '../../src/domain/zoned-time.ts'
import type { TestApp } from '../helpers/app.ts'
import { makeActiveNumber, makeSims, type TestStaff } from '../helpers/factories.ts'
import { signInAgain } from '../helpers/reclaim-fixtures.ts'
import { makeMachineClient } from '../http/support.ts'
import { codeOnPhone, http, num, reply } from '../scenarios/consent-harness.ts'
import { HOUR, partnerClient } from './support.ts'

export const TZ = 'Asia/Phnom_Penh'
export const FULL_SCOPES = [
  'number-recycling:check',
  'sim-swap:check',
  'sim-swap:retrieve-date',
  'sim-swap-subscriptions:org.camaraproject.sim-swap-subscriptions.v0.swapped:create',
  'sim-swap-subscriptions:read',
  'sim-swap-subscriptions:delete',
]

/** A scenario that does not apply to numguard, with the reason README gives. */
export class NotApplicable extends Error {}

export interface Shared {
  t: TestApp
  agent: TestStaff
  partner: Awaited<ReturnType<typeof partnerClient>>
}

export type Auth = 'valid' | 'expired' | 'invalid' | 'none' | 'no-scope'

export class World {
  resource = ''
  method = 'POST'
  headers: Record<string, string> = {}
  auth: Auth = 'valid'
  /** The body: properties set by steps; `absent` sends none; `raw` sends that text. */
  body: Record<string, unknown> = {}
  removed = new Set<string>()
  absent = false
  raw: string | undefined
  msisdn: string | undefined
  soldAt: Date | undefined
  /** The holder's ID document: the agent authenticates the holder with it before filing a swap (invariant 10). */
  document: string | undefined
  swappedAt: Date | undefined
  response: Awaited<ReturnType<TestApp['server']['inject']>> | undefined
  cleanup: (() => Promise<void>)[] = []

  readonly s: Shared

  constructor(shared: Shared) {
    this.s = shared
  }

  get t() {
    return this.s.t
  }
  now() {
    return this.t.clock.now()
  }
  today() {
    return localDate(this.now(), TZ)
  }
  advance(ms: number) {
    this.t.clock.advance(ms)
  }

  /** An active number sold now to a new subscriber, with its SIM bound now (its "activation"). */
  async activeNumber(): Promise<string> {
    await signInAgain(this.t.app, this.s.agent)
    const { msisdn, subscriber } = await makeActiveNumber(this.t.app, { agent: this.s.agent })
    this.msisdn = msisdn
    this.document = subscriber.kyc_doc_number
    this.soldAt = this.now()
    return msisdn
  }

  async number(): Promise<string> {
    return this.msisdn ?? (await this.activeNumber())
  }

  /** A real SIM swap (holder has the SIM, agrees by SMS reply), during the send window so the code goes out. */
  async swapSim(): Promise<Date> {
    const msisdn = await this.number()
    this.advance(HOUR)
    const local = Number(new Intl.DateTimeFormat('en-GB', { timeZone: TZ, hour: 'numeric' }).format(this.now()))
    if (local < 9 || local >= 18) this.advance(((10 - local + 24) % 24 || 24) * HOUR)
    await signInAgain(this.t.app, this.s.agent)
    const [iccid] = await makeSims(this.t.app, this.s.agent.shopId as string, 1)
    const session = await http(this.t).post(this.s.agent, '/api/v1/customer-sessions', {
      msisdn,
      method: 'id_document',
      document: this.document,
    })
    expect(session.statusCode, session.body).toBe(200)
    const filed = await http(this.t).post(this.s.agent, `${num(msisdn)}/sim-swap`, { iccid })
    expect(filed.statusCode, filed.body).toBe(200)
    expect((await reply(this.t, msisdn, `YES ${await codeOnPhone(this.t, msisdn)}`)).outcome).toBe('consent_recorded')
    const binding = await this.t.app.db
      .selectFrom('sim_bindings')
      .select('started_at')
      .where('msisdn', '=', msisdn)
      .where('ended_at', 'is', null)
      .executeTakeFirstOrThrow()
    this.swappedAt = new Date(binding.started_at)
    expect(this.swappedAt.getTime()).toBeGreaterThan((this.soldAt as Date).getTime())
    return this.swappedAt
  }

  /** The Authorization header for `auth`, made at send time so a token is never older than the clock's moves. */
  async authorization(): Promise<string | undefined> {
    switch (this.auth) {
      case 'none':
        return undefined
      case 'invalid':
        return `Bearer ngm_${randomUUID().replaceAll('-', '')}`
      case 'no-scope': {
        const other = await partnerClient(this.t, ['activity:ingest'])
        return `Bearer ${other.token}`
      }
      case 'expired': {
        const client = await makeMachineClient(this.t.app, FULL_SCOPES)
        const token = `ngm_${randomUUID().replaceAll('-', '')}`
        const issued = new Date(this.now().getTime() - 2 * HOUR)
        await this.t.app.db
          .insertInto('machine_tokens')
          .values({
            id: randomUUID(),
            client_id: client.id,
            token_hash: hashToken(token),
            scopes: FULL_SCOPES,
            issued_at: issued,
            expires_at: new Date(issued.getTime() + HOUR),
          })
          .execute()
        return `Bearer ${token}`
      }
      default:
        return `Bearer ${await this.s.partner.fresh()}`
    }
  }

  async send(defaults: Record<string, unknown>): Promise<void> {
    const authorization = await this.authorization()
    const headers: Record<string, string> = { ...this.headers }
    if (authorization) headers.authorization = authorization
    let payload: string | undefined
    if (this.raw !== undefined) payload = this.raw
    else if (!this.absent) {
      const body: Record<string, unknown> = { ...defaults, ...this.body }
      for (const key of this.removed) delete body[key]
      payload = JSON.stringify(body)
    }
    this.response = await this.t.server.inject({
      method: this.method as 'POST',
      url: `/camara${this.resource}`,
      headers,
      ...(payload === undefined ? {} : { payload }),
    })
  }

  json(): Record<string, unknown> {
    expect(this.response, 'no request was sent').toBeDefined()
    return this.response?.json() as Record<string, unknown>
  }
}
