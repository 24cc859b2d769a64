// Steps of the SIM Swap Subscriptions feature: the request body is built from dotted paths (these scenarios set
// body properties after "the request is sent", so the runner sends at the first step about the response), and the
// partner's callback is a recorder the outbox delivers to.
import { randomUUID } from 'node:crypto'
import { expect } from 'vitest'
import { deliverDueEvents, type SinkSender } from '../../src/partner/outbox.ts'
import { SWAPPED } from '../../src/partner/subscriptions.ts'
import { THREE_LEGGED } from './steps.ts'
import { NotApplicable, type World } from './world.ts'

type Handler = (w: World, ...groups: string[]) => Promise<void> | void
const BASE = '/sim-swap-subscriptions/v0.3/subscriptions'
export const CALLBACK = 'https://partner.test/callback'
export const ASYNC_NOT_OFFERED =
  'numguard creates subscriptions synchronously (201), so the async variant (202) is bypassed as the scenario allows'
export const NO_CONTENT =
  'a 204 No Content answer has no body and no Content-Type: the scenario asks for both (its subscription-ended event is checked by src/partner/subscriptions.test.ts)'
export const CONTRADICTS_102 =
  'contradicts sim_swap_subscription_creation_102_missing_identifier: with 2-legged tokens a missing phoneNumber is 422 MISSING_IDENTIFIER'
export const NOT_ALLOWED_DEVICE =
  'numguard takes a subscription for every number of its ranges: no device refuses SIM swap subscriptions (UNSUPPORTED_IDENTIFIER never applies)'

interface Sub {
  paths: Map<string, unknown>
  removed: Set<string>
  method: 'POST' | 'GET' | 'DELETE'
  id?: string
  pending?: () => Promise<void>
  received: { event: Record<string, unknown> }[]
  notification?: Record<string, unknown>
}
const subs = new WeakMap<World, Sub>()
export function sub(w: World): Sub {
  let s = subs.get(w)
  if (!s) {
    s = { paths: new Map(), removed: new Set(), method: 'POST', received: [] }
    subs.set(w, s)
  }
  return s
}

function setPath(target: Record<string, unknown>, path: string, value: unknown) {
  const keys = path.replace(/^\$\.?/, '').split('.')
  let node = target
  for (const k of keys.slice(0, -1)) {
    if (node[k] === undefined) node[k] = {}
    node = node[k] as Record<string, unknown>
  }
  node[keys[keys.length - 1]] = value
}
function deletePath(target: Record<string, unknown>, path: string) {
  const keys = path.replace(/^\$\.?/, '').split('.')
  let node: Record<string, unknown> | undefined = target
  for (const k of keys.slice(0, -1)) node = node?.[k] as Record<string, unknown> | undefined
  if (node) delete node[keys[keys.length - 1]]
}

async function sendNow(w: World, path = '') {
  const s = sub(w)
  const authorization = await w.authorization()
  const headers: Record<string, string> = { ...w.headers }
  if (authorization) headers.authorization = authorization
  let payload: string | undefined
  if (s.method === 'POST') {
    const body: Record<string, unknown> = {
      protocol: 'HTTP',
      sink: CALLBACK,
      types: [SWAPPED],
      config: { subscriptionDetail: { phoneNumber: await w.number() } },
    }
    for (const [p, v] of s.paths) setPath(body, p, v)
    for (const p of s.removed) deletePath(body, p)
    payload = JSON.stringify(body)
  } else delete headers['content-type']
  w.response = await w.t.server.inject({ method: s.method, url: `/camara${BASE}${path}`, headers, payload })
}

/** Creates a subscription of this partner on a fresh number, as a step's precondition. */
async function existing(w: World) {
  const s = sub(w)
  await sendNow(w)
  expect(w.response?.statusCode, w.response?.body).toBe(201)
  s.id = w.json().id as string
  w.response = undefined
}

/** Delivers due events to the recorder until one of `type` for this subscription has arrived. */
async function receive(w: World, type: string) {
  const s = sub(w)
  const send: SinkSender = async (_url, init) => {
    s.received.push({ event: JSON.parse(init.body) })
    return { status: 204 }
  }
  for (let i = 0; i < 5 && !s.received.some((r) => r.event.type === type); i++) await deliverDueEvents(w.t.app, send)
  const got = s.received.find(
    (r) => r.event.type === type && (r.event.data as { subscriptionId: string }).subscriptionId === s.id,
  )
  expect(got, `no ${type} event for ${s.id}`).toBeDefined()
  s.notification = got?.event
}

const FULL = (short: string) => `org.camaraproject.sim-swap-subscriptions.v0.${short}`

export function subscriptionSteps(validate: (pointer: string, value: unknown) => void): [RegExp, Handler][] {
  return [
    [
      /^the resource "([^"]+)" as BaseURL$/,
      (w, path) => {
        w.resource = path
      },
    ],
    [/^use BaseU[Rr]L$/, () => {}],
    [/^a valid subscription request body$/, () => {}],
    [
      /^the (HTTP "POST" )?request( "createSimSwapSubscription")? is sent$/,
      (w) => {
        sub(w).method = 'POST'
        sub(w).pending = () => sendNow(w)
      },
    ],
    [
      /^the HTTP "(GET|DELETE)" request is sent$/,
      (w, method) => {
        sub(w).method = method as 'GET'
        sub(w).pending = () => sendNow(w)
      },
    ],
    [
      /^the HTTP "(GET|DELETE)" request is sent with subscriptionId="id"$/,
      (w, method) => {
        sub(w).method = method as 'GET'
        sub(w).pending = () => sendNow(w, `/${sub(w).id}`)
      },
    ],
    [
      /^the HTTP "(GET|DELETE)" request is sent (with )?subscriptionId set to non-existing subscription id$/,
      (w, method) => {
        sub(w).method = method as 'GET'
        sub(w).pending = () => sendNow(w, `/${randomUUID()}`)
      },
    ],
    [/^"\$\.types"="(.+)"$/, (w, type) => void sub(w).paths.set('types', [type])],
    [/^"\$\.types"<>"(.+)"$/, (w) => void sub(w).paths.set('types', ['org.camaraproject.other-api.v0.something'])],
    [/^"\$\.protocol"="HTTP"$/, (w) => void sub(w).paths.set('protocol', 'HTTP')],
    [/^"\$\.protocol"<>"HTTP"$/, (w) => void sub(w).paths.set('protocol', 'MQTT3')],
    [/^"\$\.sink" is set to provided callbackUrl$/, (w) => void sub(w).paths.set('sink', CALLBACK)],
    [/^"\$\.sink" is not set to an url$/, (w) => void sub(w).paths.set('sink', 'not an url')],
    [
      /^"\$\.config\.subscriptionDetail\.phoneNumber" is set with with provided phoneNumber$/,
      async (w) => {
        sub(w).paths.set('config.subscriptionDetail.phoneNumber', await w.number())
      },
    ],
    [
      /^the request body property "\$\.config\.subscriptionDetail\.phoneNumber" is set to a valid testing phone number$/,
      async (w) => {
        sub(w).paths.set('config.subscriptionDetail.phoneNumber', await w.number())
      },
    ],
    [
      /^"\$\.config\.subscriptionDetail\.phoneNumber" is not valued$/,
      (w) => void sub(w).removed.add('config.subscriptionDetail.phoneNumber'),
    ],
    [
      /^"\$\.config\.subscriptionDetail\.phoneNumber" is set to a valid testing device that does not allow sim swap subscription$/,
      () => {
        throw new NotApplicable(NOT_ALLOWED_DEVICE)
      },
    ],
    [
      /^the valid access token does no identified a device$/,
      (w) => {
        w.auth = 'valid'
      },
    ],
    [
      /^"\$\.sinkCredential\.credentialType" (=|<>) "ACCESSTOKEN"$/,
      (w, op) => {
        sub(w).paths.set('sinkCredential.credentialType', op === '=' ? 'ACCESSTOKEN' : 'PLAIN')
      },
    ],
    [
      /^"\$\.sinkCredential\.accessTokenType" (=|<>) "bearer"$/,
      (w, op) => {
        sub(w).paths.set('sinkCredential.accessTokenType', op === '=' ? 'bearer' : 'mac')
      },
    ],
    [
      /^"\$\.sinkCredential\.accessToken" is valued with a valid value$/,
      (w) => void sub(w).paths.set('sinkCredential.accessToken', 'callback-token'),
    ],
    [
      /^"\$\.sinkCredential\.accessTokenExpiresUtc" is valued with a valid value$/,
      (w) => {
        sub(w).paths.set('sinkCredential.accessTokenExpiresUtc', new Date(w.now().getTime() + 86_400_000).toISOString())
      },
    ],
    [
      /^"\$\.config\.subscriptionExpireTime" is set in the past$/,
      (w) => {
        sub(w).paths.set('config.subscriptionExpireTime', new Date(w.now().getTime() - 60_000).toISOString())
      },
    ],
    [
      /^the request body property "\$config\.subscriptionMaxEvents" is set to (\d+)$/,
      (w, n) => void sub(w).paths.set('config.subscriptionMaxEvents', Number(n)),
    ],
    [
      /^the request body property "(\$\.[^"]+)" is not included$/,
      (w, path) => {
        if (path === '$.config.subscriptionDetail.phoneNumber') throw new NotApplicable(CONTRADICTS_102)
        sub(w).removed.add(path)
      },
    ],
    [
      /^(a subscription is existing and identified by an "id"|at least one subscription is existing for the API client making this request)$/,
      (w) => existing(w),
    ],
    [
      /^(this phone number is identified by the token|a subscription is existing for a phoneNumber|no subscription is existing for a phoneNumber)$/,
      (_w, text) => {
        if (text === 'this phone number is identified by the token') throw new NotApplicable(THREE_LEGGED)
      },
    ],

    // ── The response and the callback ──
    [
      /^the response header "Content-Type" is "application\/json"$/,
      (w) => {
        if (w.response?.statusCode === 204) throw new NotApplicable(NO_CONTENT)
        expect(String(w.response?.headers['content-type'])).toMatch(/^application\/json/)
      },
    ],
    [
      /^the response property "\$\.status" is (\d+)$/,
      (w, status) => {
        if (status === '202') throw new NotApplicable(ASYNC_NOT_OFFERED)
        expect(w.response?.statusCode, w.response?.body).toBe(Number(status))
        if (Number(status) >= 400) expect(w.json().status).toBe(Number(status))
      },
    ],
    [
      /^the response code is (\d+)$/,
      (w, status) => void expect(w.response?.statusCode, w.response?.body).toBe(Number(status)),
    ],
    [
      /^subcriptionId is provided$/,
      (w) => {
        sub(w).id = w.json().id as string
        expect(sub(w).id).toMatch(/^[0-9a-f-]{36}$/)
      },
    ],
    [
      /^types, protocol, sink and config\.subscriptionDetail\.phoneNumber are present with provided value$/,
      (w) => {
        expect(w.json()).toMatchObject({
          types: [SWAPPED],
          protocol: 'HTTP',
          sink: CALLBACK,
          config: { subscriptionDetail: { phoneNumber: w.msisdn } },
        })
        sub(w).id = w.json().id as string
      },
    ],
    [
      /^startsAt is valued with a datetime corresponding to the date time of the response$/,
      (w) => void expect(w.json().startsAt).toBe(w.now().toISOString()),
    ],
    [
      /^the response body complies with an array of OAS schema defined at "(.+)"$/,
      (w, pointer) => {
        const list = w.response?.json() as unknown[]
        expect(Array.isArray(list)).toBe(true)
        for (const item of list) validate(pointer, item)
      },
    ],
    [
      /^subscription\(s\) is\/are listed$/,
      (w) => {
        expect(((w.response?.json() ?? []) as { id: string }[]).map((s) => s.id)).toContain(sub(w).id)
      },
    ],
    [
      /^(sims swap is performed on this mobile line|the sim of the device was swapped)$/,
      async (w) => {
        if (!sub(w).id) sub(w).id = w.json().id as string
        await w.swapSim()
      },
    ],
    [
      /^(?:The callback notification application receives (swapped|subscription-ended) event at provided callbackUrl|event notification "(swapped|subscription-ended)" is received on callback-url)$/,
      (w, a, b) => receive(w, FULL(a ?? b)),
    ],
    [
      /^notification body complies with the OAS schema at "#+\/components\/schemas\/(?:\w+\/)?(\w+)"$/,
      (w, name) => {
        validate(`#/components/schemas/${name}`, sub(w).notification)
      },
    ],
    [/^type="(.+)"$/, (w, type) => void expect(sub(w).notification?.type).toBe(type)],
    [
      /^data\.phoneNumber="\$\.phoneNumber"$/,
      (w) =>
        void expect((sub(w).notification?.data as { phoneNumber?: string } | undefined)?.phoneNumber).toBe(w.msisdn),
    ],
    [
      /^data\.subscriptionId is valued with the subcriptionId$/,
      (w) => {
        expect((sub(w).notification?.data as { subscriptionId?: string } | undefined)?.subscriptionId).toBe(sub(w).id)
      },
    ],
    [
      /^time is valued by the date time of the sim swap$/,
      (w) => void expect(sub(w).notification?.time).toBe(w.swappedAt?.toISOString()),
    ],
    [
      /^the response property "\$\.terminationReason" is "(\w+)"$/,
      (w, reason) => {
        expect((sub(w).notification?.data as { terminationReason?: string } | undefined)?.terminationReason).toBe(
          reason,
        )
      },
    ],
  ]
}
