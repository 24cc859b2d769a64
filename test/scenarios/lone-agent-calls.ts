// Random API calls for the lone-agent property test, generated from the route table (the routes the server declares)
// and the OpenAPI schemas it publishes, so a route added tomorrow is called tomorrow. Values are plausible rather
// than garbage: numbers held by others, SIMs of the agent's shop, request kinds of DOMAIN's table, ids and payload
// hashes seen earlier, codes read from the phones' inboxes or guessed, identity documents guessed.
import { randomUUID } from 'node:crypto'
import type { InjectOptions } from 'fastify'
import { needsHolderCodeConsent, REQUEST_KINDS, REQUEST_TABLE } from '../../src/domain/requests.ts'
import { hasPermission } from '../../src/domain/roles.ts'
import type { DeclaredRoute } from '../../src/platform/route-access.ts'
import { newSubscriber } from '../helpers/factories.ts'
import type { Gen } from '../http/fuzz-inputs.ts'
import { fillParams } from '../http/support.ts'
import { PASSWORD, type Person, type World } from './lone-agent-world.ts'

export interface Schema {
  type?: string
  properties?: Record<string, Schema>
  required?: string[]
  enum?: unknown[]
  items?: Schema
  pattern?: string
  format?: string
  minimum?: number
  maximum?: number
  minLength?: number
  maxLength?: number
}

export interface RouteSpec {
  route: DeclaredRoute
  key: string
  body?: Schema
  query?: Schema
}

interface OpenApiOperation {
  parameters?: { in: string; name: string; schema: Schema }[]
  requestBody?: { content?: Record<string, { schema?: Schema }> }
}

/** Every route under /api/v1 and /oauth (as the access matrix walks them), with its body and query schemas. */
export function routeSpecs(
  routes: DeclaredRoute[],
  openapi: { paths: Record<string, Record<string, OpenApiOperation>> },
) {
  return routes
    .filter((r) => r.url.startsWith('/api/v1') || r.url.startsWith('/oauth'))
    .map((route): RouteSpec => {
      const op = openapi.paths[route.url.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()]
      const query = (op?.parameters ?? []).filter((p) => p.in === 'query')
      return {
        route,
        key: `${route.method} ${route.url}`,
        body: op?.requestBody?.content?.['application/json']?.schema,
        query: query.length
          ? { type: 'object', properties: Object.fromEntries(query.map((p) => [p.name, p.schema])) }
          : undefined,
      }
    })
}

/** Routes that file, decide, consent to or carry out a change, and the SMS and clock tools around them, come up most. */
const HOT =
  /\/(transfer|sim-swap|sim-swap-lost|termination|kyc-change|reclaim|legal-order|consent|consent-code|approve|reject|execute|cancel|swap-lock|sell|reserve|release|reply|verify)$|\/requests$|\/customer-sessions$|\/inbox\//

export function weightOf(spec: RouteSpec, person: Person): number {
  const access = spec.route.access
  if (access.auth !== 'staff') return spec.key === 'POST /api/v1/auth/sign-in' ? 1 : 0.3
  if (access.permission && !hasPermission(person.staff.roles, access.permission)) return 0.3
  if (spec.route.url.endsWith('/demo/clock/advance')) return 2
  return HOT.test(spec.route.url) ? 10 : 1.5
}

export function pickWeighted<T>(g: Gen, items: readonly { item: T; weight: number }[]): T {
  const total = items.reduce((sum, i) => sum + i.weight, 0)
  let at = g.next() * total
  for (const i of items) {
    at -= i.weight
    if (at < 0) return i.item
  }
  return items[items.length - 1].item
}

interface Ctx {
  world: World
  g: Gen
  person: Person
  spec: RouteSpec
  params: Record<string, string>
  /** The agent's own customer chosen for this call (a new holder whose document the agent legitimately has). */
  customer?: { id: string; doc: string }
}

const hex = (g: Gen, n: number) => Array.from({ length: n }, () => '0123456789abcdef'[g.int(16)]).join('')
const digits = (g: Gen, n: number) => Array.from({ length: n }, () => String(g.int(10))).join('')
/** Documents the agent guesses: never one of the factories' (`KH1…`) nor of the agent's customers (`AG…`). */
const guessDoc = (g: Gen) => g.pick([`KH9${digits(g, 5)}`, `P${digits(g, 7)}`, '0000', `N-${digits(g, 6)}`])
const fresh = <T>(list: readonly T[], n = 20) => list.slice(-n)

export function pickNumber(world: World, g: Gen): string {
  if (world.authenticated.length > 0 && g.int(4) === 0) return g.pick(fresh(world.authenticated, 5))
  const r = g.int(100)
  if (r < 45) return g.pick(world.victims).msisdn
  if (r < 60) return g.pick(fresh(world.available))
  if (r < 70) return g.pick(world.aging)
  if (r < 82 && world.sold.length > 0) return g.pick(fresh(world.sold))
  if (r < 92) return g.pick(world.spare)
  return `+8551299${digits(g, 5)}` // a number in no range
}

/** A phone the agent may send an SMS from: never a holder's (the runner checks again at call time). */
export function pickPhone(world: World, g: Gen): string {
  // A number whose SIM the pair put in by a swap answers from their hands (the runner allows just those).
  if (world.captured.length > 0 && g.int(3) === 0) return g.pick(world.captured)
  return g.int(2) === 0 ? g.pick(world.spare) : `+8551298${digits(g, 5)}`
}

/** The holder's document when the staff hold a copy of their ID card (that variant only), mostly; else a guess. */
function docFor(ctx: Ctx): string {
  const known = ctx.world.knownDocs.get(ctx.params.msisdn ?? '')
  return known && ctx.g.int(4) > 0 ? known : guessDoc(ctx.g)
}

function pickIccid(ctx: Ctx): string {
  const { world, g } = ctx
  const r = g.int(100)
  if (r < 70) return g.pick(fresh(world.shopSims, 8))
  if (r < 90) return g.pick(world.victims).iccid
  return `8985599${digits(g, 12)}`
}

export function pickId(world: World, g: Gen, pool: string): string {
  const own = world.ids.get(pool) ?? []
  const r = g.int(100)
  if (r < 75 && own.length > 0) return g.pick(fresh(own))
  const all = [...world.ids.values()].flat()
  if (r < 92 && all.length > 0) return g.pick(all)
  return randomUUID()
}

function pickCode(ctx: Ctx): string {
  const { world, g } = ctx
  const r = g.int(100)
  if (r < 50 && world.codes.length > 0) return g.pick(fresh(world.codes, 5)).code
  if (r < 90) return digits(g, 6)
  return g.pick(['000000', '123456'])
}

function clockStep(ctx: Ctx): string {
  const [by, ms] = ctx.g.pick([
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['13h', 46_800_000],
    ['25h', 90_000_000],
    ['25h', 90_000_000],
    ['49h', 176_400_000],
  ] as const)
  if (ms > ctx.world.clockBudgetMs) return '1m'
  ctx.world.clockBudgetMs -= ms
  return by
}

/** Kinds that need the holder's SMS or a supervisor come up three times as often as the others. */
function pickKind(g: Gen): string {
  return pickWeighted(
    g,
    REQUEST_KINDS.map((kind) => ({
      item: kind,
      weight: needsHolderCodeConsent(kind) || REQUEST_TABLE[kind].approverRole === 'supervisor' ? 3 : 1,
    })),
  )
}

function subscriberOf(ctx: Ctx, key: string): string {
  const { world, g } = ctx
  const r = g.int(100)
  if (r < 50 && world.customers.length > 0) {
    ctx.customer = g.pick(fresh(world.customers))
    return ctx.customer.id
  }
  if (r < 85 || key === 'subscriber_id') return g.pick(world.victims).subscriberId
  return randomUUID()
}

function payloadFor(ctx: Ctx): Record<string, unknown> {
  const { world, g } = ctx
  const payload: Record<string, unknown> = {}
  const fields: [string, () => unknown][] = [
    ['msisdn', () => pickNumber(world, g)],
    ['iccid', () => pickIccid(ctx)],
    ['new_iccid', () => pickIccid(ctx)],
    ['subscriber_id', () => subscriberOf(ctx, 'subscriber_id')],
    ['custody_id', () => pickId(world, g, 'custodies')],
    ['kyc_doc_number', () => guessDoc(g)],
  ]
  for (const [key, make] of fields) if (g.int(2) === 0) payload[key] = make()
  return payload
}

/** A value for a field, by its name first (the plausible part), else by its schema. */
function valueFor(ctx: Ctx, name: string, schema: Schema, depth: number): unknown {
  const { world, g } = ctx
  switch (name) {
    case 'msisdn':
      return pickNumber(world, g)
    case 'from':
      return pickPhone(world, g)
    case 'iccid':
    case 'new_iccid':
      return pickIccid(ctx)
    case 'kyc_doc_number':
      // Selling another number to the agent's own customer takes that customer's document; nothing else does.
      return ctx.spec.key.endsWith('/sell') && ctx.customer ? ctx.customer.doc : docFor(ctx)
    case 'new_holder_doc_number':
      return ctx.customer ? ctx.customer.doc : guessDoc(g)
    case 'document':
      return guessDoc(g)
    case 'subscriber':
    case 'new_subscriber': {
      const doc = `AG${world.customers.length + 1}${digits(g, 6)}`
      return newSubscriber({ kyc_doc_number: doc, account_type: g.pick(['prepaid', 'postpaid']) })
    }
    case 'subscriber_id':
    case 'new_subscriber_id':
      return subscriberOf(ctx, name)
    case 'code':
      return pickCode(ctx)
    case 'text':
      return g.pick([`YES ${pickCode(ctx)}`, `YES ${pickCode(ctx)}`, 'YES', 'NO', 'LOCK', 'UNLOCK', 'STATUS'])
    case 'payload_sha256': {
      const own = world.hashes.get(ctx.params.id ?? '')
      return own && g.int(100) < 85 ? own : g.pick([...world.hashes.values(), hex(g, 64)])
    }
    case 'by':
      return clockStep(ctx)
    case 'kind':
      return pickKind(g)
    case 'payload':
      return payloadFor(ctx)
    case 'username':
      return ctx.person.staff.username
    case 'password':
      return PASSWORD
    case 'reason':
      return 'the customer asked for it'
  }
  return fromSchema(ctx, schema, depth)
}

/**
 * A body names either a new subscriber or an existing one with the document the customer shows; mostly one of the
 * two (with the document only alongside the id), now and then both or neither.
 */
const PAIRS = [
  { object: 'subscriber', id: 'subscriber_id', doc: 'kyc_doc_number' },
  { object: 'new_subscriber', id: 'new_subscriber_id', doc: 'new_holder_doc_number' },
]

function objectFor(ctx: Ctx, schema: Schema, depth: number, optionalChance = 50): Record<string, unknown> {
  const { g } = ctx
  const properties = schema.properties ?? {}
  const forced = new Map<string, boolean>()
  for (const pair of PAIRS) {
    if (!(pair.object in properties && pair.id in properties)) continue
    const r = g.int(100)
    forced.set(pair.id, r < 45 || r >= 95)
    forced.set(pair.object, (r >= 45 && r < 90) || r >= 95)
    if (pair.doc in properties) forced.set(pair.doc, r < 45 ? g.int(10) > 0 : g.int(10) === 0)
  }
  const out: Record<string, unknown> = {}
  const required = new Set(schema.required ?? [])
  for (const [name, property] of Object.entries(properties)) {
    const include = forced.get(name) ?? (required.has(name) || g.int(100) < optionalChance)
    if (include) out[name] = valueFor(ctx, name, property, depth + 1)
  }
  return out
}

function fromSchema(ctx: Ctx, schema: Schema, depth: number): unknown {
  const { world, g } = ctx
  if (schema.enum) return g.pick(schema.enum)
  switch (schema.type) {
    case 'object':
      return depth > 3 ? {} : objectFor(ctx, schema, depth)
    case 'array':
      return Array.from({ length: 1 + g.int(2) }, () => fromSchema(ctx, schema.items ?? {}, depth + 1))
    case 'integer':
    case 'number': {
      const min = schema.minimum ?? 1
      return Math.min(min + g.int(10), schema.maximum ?? Number.MAX_SAFE_INTEGER)
    }
    case 'boolean':
      return g.int(2) === 1
    case 'string': {
      if (schema.format === 'uuid') return pickId(world, g, 'any')
      if (schema.format === 'date-time') return world.app.clock.now().toISOString()
      const p = schema.pattern ?? ''
      if (p.includes('6,15')) return pickNumber(world, g)
      if (p.startsWith('^89')) return pickIccid(ctx)
      if (p.includes('{64}')) return hex(g, 64)
      if (p.includes('{4}-')) return '2026-03'
      if (p.includes('[0-9]{6}') || p.includes('{3}\\s?')) return pickCode(ctx)
      return 'sample-value'.slice(0, schema.maxLength ?? 12).padEnd(schema.minLength ?? 0, 'x')
    }
  }
  return null
}

/** Which pool an `:id` in a path draws from: the first segment after /api/v1 (`requests`, `customer-sessions`…). */
export const poolOfPath = (url: string) => url.replace(/^\/api\/v1\//, '').split('/')[0]

const DECIDE = /\/requests\/:id\/(approve|reject)$/
const FILING = /\/numbers\/:msisdn\/(transfer|sim-swap|termination|kyc-change)$/

/** A change is filed inside a customer session (issue 9): half the filings go to a number the agent authenticated. */
function filesOnAuthenticated(world: World, g: Gen, spec: RouteSpec): string | undefined {
  if (!FILING.test(spec.key) || world.authenticated.length === 0 || g.int(4) === 0) return undefined
  return g.pick(fresh(world.authenticated, 5))
}

export function buildCall(world: World, g: Gen, person: Person, spec: RouteSpec): InjectOptions & { url: string } {
  const names = [...spec.route.url.matchAll(/:(\w+)/g)].map((m) => m[1])
  const params: Record<string, string> = {}
  const ctx: Ctx = { world, g, person, spec, params }
  for (const name of names) {
    if (name === 'msisdn') params[name] = filesOnAuthenticated(world, g, spec) ?? pickNumber(world, g)
    else if (name === 'iccid') params[name] = pickIccid(ctx)
    else if (name === 'source') params[name] = g.pick(['demo-charging', 'charging'])
    else if (name === 'id' && DECIDE.test(spec.key) && (world.ids.get('decidable') ?? []).length > 0 && g.int(4) > 0)
      params[name] = g.pick(fresh(world.ids.get('decidable') ?? [], 3)) // a request just filed, with an approver
    else params[name] = pickId(world, g, name === 'id' ? poolOfPath(spec.route.url) : name)
  }
  let url = fillParams(spec.route.url, params)
  if (spec.query) {
    const query = objectFor(ctx, spec.query, 1, 30)
    const search = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]))
    if ([...search].length > 0) url += `?${search}`
  }
  const withBody = ['POST', 'PUT', 'PATCH'].includes(spec.route.method) && spec.body !== undefined
  const token = person.tokens[g.int(10) < 8 ? 0 : g.int(person.tokens.length)]
  const payload = withBody ? (fromSchema(ctx, spec.body as Schema, 0) as Record<string, unknown>) : undefined
  // The agent's own customer shows their document at the counter: a customer session on a number the agent sold
  // opens (changes are filed inside one); a victim's document is only ever guessed — unless the pair holds a copy
  // of the victims' ID cards (that variant), which opens a session on a victim's number the same way.
  if (spec.key === 'POST /api/v1/customer-sessions' && payload) {
    if (world.sold.length > 0 && g.int(2) === 0) payload.msisdn = g.pick(fresh(world.sold))
    if (world.knownDocs.size > 0 && g.int(3) === 0) payload.msisdn = g.pick(world.victims).msisdn
    const ownCustomer =
      typeof payload.msisdn === 'string'
        ? (world.soldTo.get(payload.msisdn) ?? world.knownDocs.get(payload.msisdn))
        : undefined
    if (ownCustomer && g.int(4) > 0) {
      payload.method = 'id_document'
      payload.document = ownCustomer
    }
  }
  return {
    method: spec.route.method as InjectOptions['method'],
    url,
    headers: spec.route.access.auth === 'staff' && token ? { authorization: `Bearer ${token}` } : {},
    ...(payload ? { payload } : {}),
  }
}
