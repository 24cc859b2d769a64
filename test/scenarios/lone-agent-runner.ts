// Runs the lone-agent property test's sequences: each call is drawn from the route table (lone-agent-calls.ts), sent
// with the caller's session, and learnt from; after each sequence the database is compared with its state before.
import { normaliseMsisdnInput } from '../../src/domain/msisdn.ts'
import { type Gen, generator } from '../http/fuzz-inputs.ts'
import { extraSession } from '../http/support.ts'
import { buildCall, pickWeighted, type RouteSpec, routeSpecs, weightOf } from './lone-agent-calls.ts'
import { harvest } from './lone-agent-harvest.ts'
import {
  flushSms,
  openWorld,
  type Person,
  refreshCaptured,
  replenish,
  snapshot,
  violations,
  type World,
} from './lone-agent-world.ts'

export const SIGN_IN = 'POST /api/v1/auth/sign-in'
export const REPLY = 'POST /api/v1/demo/sms/reply'

export interface Run {
  world: World
  seed: number
  specs: RouteSpec[]
  choices: Map<Person, { item: RouteSpec; weight: number }[]>
  /** 2xx answers by route key: what the sequences reached, so a run that bounced off everything fails. */
  reached: Map<string, number>
  /** Answers by caller, route and status code (printed with LONE_AGENT_DEBUG=1). */
  outcomes: Map<string, number>
  calls: number
  serverErrors: string[]
}

export interface Finding {
  sequence: number
  violations: string[]
  calls: string[]
}

export async function openRun(seed: number, options: { colluder: boolean; knowsDocs?: boolean }): Promise<Run> {
  const world = await openWorld(options)
  const openapi = (await world.t.server.inject({ method: 'GET', url: '/openapi.json' })).json()
  const specs = routeSpecs(world.t.routes, openapi)
  const people = [world.agent, ...(world.colluder ? [world.colluder] : [])]
  const choices = new Map(people.map((p) => [p, specs.map((s) => ({ item: s, weight: weightOf(s, p) }))]))
  return { world, seed, specs, choices, reached: new Map(), outcomes: new Map(), calls: 0, serverErrors: [] }
}

/**
 * The MO rule of the property: a reply never comes from a number someone holds (or held, while it ages) — except
 * from a number whose SIM the pair put in by a swap: that phone is in their hands.
 */
async function keepOffHoldersPhones(world: World, body: { from: string }): Promise<void> {
  const from = normaliseMsisdnInput(body.from, world.app.config.country)
  if (world.captured.includes(from)) return
  const taken = await world.app.db
    .selectFrom('numbers')
    .select('state')
    .where('msisdn', '=', from)
    .where('state', 'in', ['active', 'suspended', 'aging'])
    .executeTakeFirst()
  if (taken) body.from = '+8551298000001' // in no range: nobody's number
}

async function recordSale(world: World, url: string, payload: Record<string, unknown>): Promise<void> {
  const msisdn = decodeURIComponent(url.split('/')[4])
  world.sold.push(msisdn)
  const custody = await world.app.db
    .selectFrom('custodies')
    .select('subscriber_id')
    .where('msisdn', '=', msisdn)
    .where('ended_at', 'is', null)
    .executeTakeFirst()
  const doc = (payload.subscriber as { kyc_doc_number?: string } | undefined)?.kyc_doc_number
  if (custody && doc) world.customers.push({ id: custody.subscriber_id, doc })
  if (custody && doc) world.soldTo.set(msisdn, doc)
}

function codeOf(body: string): string {
  try {
    const json = JSON.parse(body) as { code?: string; status?: string }
    return json.code ?? json.status ?? ''
  } catch {
    return ''
  }
}

async function step(run: Run, person: Person, who: string, g: Gen, log: string[]): Promise<void> {
  const { world } = run
  const signIn = run.specs.find((s) => s.key === SIGN_IN)
  if (world.knownDocs.size > 0) await refreshCaptured(world)
  const spec = person.tokens.length === 0 && signIn ? signIn : pickWeighted(g, run.choices.get(person) ?? [])
  const req = buildCall(world, g, person, spec)
  const payload = (req.payload ?? {}) as Record<string, unknown>
  if (spec.key === REPLY) await keepOffHoldersPhones(world, payload as { from: string })
  // A phone shows what was sent to it: codes due go out when someone looks at an inbox (and with the clock's passes).
  if (spec.route.url.includes('/inbox/')) await flushSms(world)
  const res = await world.t.server.inject(req)
  run.calls++
  const ok = res.statusCode >= 200 && res.statusCode < 300
  const code = codeOf(res.body)
  log.push(
    `${who} ${req.method} ${req.url} ${JSON.stringify(req.payload ?? '').slice(0, 200)} -> ${res.statusCode} ${code}`,
  )
  if (res.statusCode >= 500) run.serverErrors.push(`${log[log.length - 1]} ${res.body.slice(0, 300)}`)
  if (ok) run.reached.set(spec.key, (run.reached.get(spec.key) ?? 0) + 1)
  const outcome = `${who} ${spec.key} ${res.statusCode} ${code}`
  run.outcomes.set(outcome, (run.outcomes.get(outcome) ?? 0) + 1)

  const used = String((req.headers as Record<string, string>).authorization ?? '').slice(7)
  if (res.statusCode === 401 && used) person.tokens = person.tokens.filter((t) => t !== used)
  if (spec.key === SIGN_IN) {
    const out = ok ? (res.json() as { status: string; token: string }) : undefined
    if (out?.status === 'signed_in') person.tokens = [out.token, ...person.tokens].slice(0, 3)
    else if (person.tokens.length === 0) {
      // Locked out of signing in (wrong MFA codes count), or a supervisor's TOTP step: a session of the harness's.
      person.tokens.push((await extraSession(world.app, person.staff.id)).token)
      log.push(`${who}: new session from the harness`)
    }
  }
  if (ok && spec.key.endsWith('/:msisdn/sell')) await recordSale(world, req.url, payload)
  if (ok && spec.key === 'POST /api/v1/customer-sessions' && (res.json() as { state?: string }).state === 'open')
    world.authenticated = [...world.authenticated.filter((m) => m !== payload.msisdn), String(payload.msisdn)]
  harvest(world, spec, req.url, res.body)
}

/**
 * Runs `count` sequences of `calls` calls; returns the first sequence that changed what it must not (and stops
 * there), or undefined. With a colluder, about a third of the calls are theirs.
 */
export async function runSequences(run: Run, count: number, calls: number): Promise<Finding | undefined> {
  const { world } = run
  const g = generator(run.seed ^ (world.colluder ? 0x5c011 : 0) ^ (world.knownDocs.size > 0 ? 0xd0c : 0))
  for (let n = 0; n < count; n++) {
    const before = await snapshot(world.app)
    const log: string[] = []
    for (let i = 0; i < calls; i++) {
      const colluding = world.colluder !== null && g.int(100) < 35
      const person = colluding ? (world.colluder as Person) : world.agent
      await step(run, person, colluding ? 'supervisor' : 'agent', g, log)
    }
    const found = violations(before, await snapshot(world.app), { swapsAllowed: world.knownDocs.size > 0 })
    if (found.length > 0) return { sequence: n, violations: found, calls: log }
    await replenish(world)
  }
  return undefined
}

export function reachedWhere(run: Run, pattern: RegExp): number {
  return [...run.reached].filter(([key]) => pattern.test(key)).reduce((sum, [, n]) => sum + n, 0)
}

export function summary(run: Run, label: string): string {
  const top = [...run.reached].sort((a, b) => b[1] - a[1]).slice(0, 12)
  const lines = [
    `${label}: seed ${run.seed}, ${run.calls} calls over ${run.specs.length} routes; 2xx by route: ${JSON.stringify(Object.fromEntries(top))}`,
  ]
  if (process.env.LONE_AGENT_DEBUG) lines.push(...[...run.outcomes].sort().map(([outcome, n]) => `  ${outcome}: ${n}`))
  return lines.join('\n')
}
