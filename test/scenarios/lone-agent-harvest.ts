// What the lone-agent property test's callers learn from the answers they get, as a person at the counter would:
// ids of requests, sessions and people; the payload hash a request shows its approver; the codes a phone received.
import { poolOfPath, type RouteSpec } from './lone-agent-calls.ts'
import type { World } from './lone-agent-world.ts'

const STAFF_KEYS = new Set(['requested_by', 'assigned_to', 'approver', 'staff', 'rejected_by', 'cancelled_by'])
const POOL_OF_KEY: Record<string, string> = {
  request_id: 'requests',
  subscriber_id: 'subscribers',
  staff_id: 'staff',
  session_id: 'sessions',
  custody_id: 'custodies',
}
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function remember(world: World, pool: string, id: string): void {
  const list = world.ids.get(pool) ?? []
  if (!list.includes(id)) list.push(id)
  if (list.length > 60) list.shift()
  world.ids.set(pool, list)
}

function walk(world: World, value: unknown, pool: string, depth: number): void {
  if (depth > 5 || value === null || typeof value !== 'object') return
  if (Array.isArray(value)) {
    for (const v of value) walk(world, v, pool, depth + 1)
    return
  }
  const o = value as Record<string, unknown>
  if (typeof o.id === 'string' && UUID.test(o.id)) {
    // A request looks like one wherever it is shown (a number's requests, a filed transfer): it carries its hash.
    const isRequest = typeof o.payload_sha256 === 'string'
    remember(world, isRequest ? 'requests' : pool, o.id)
    if (isRequest) world.hashes.set(o.id, o.payload_sha256 as string)
    // A request with an assigned approver is one the colluding supervisor can decide.
    if (isRequest && o.assigned_to) remember(world, 'decidable', o.id)
  }
  for (const [key, v] of Object.entries(o)) {
    if (typeof v === 'string' && UUID.test(v) && key.endsWith('_id')) remember(world, POOL_OF_KEY[key] ?? key, v)
    else if (typeof v === 'object') {
      const next = key === 'items' ? pool : STAFF_KEYS.has(key) ? 'staff' : key === 'request' ? 'requests' : key
      walk(world, v, next, depth + 1)
    }
  }
}

/** Learns from an answer what a person at the counter would: ids, payload hashes, codes a phone received. */
export function harvest(world: World, spec: RouteSpec, url: string, body: string): void {
  if (spec.route.url.includes('/inbox/')) {
    const msisdn = decodeURIComponent(url.split('?')[0].split('/').pop() ?? '')
    for (const code of body.match(/\b\d{6}\b/g) ?? [])
      if (!world.codes.some((c) => c.code === code && c.msisdn === msisdn)) world.codes.push({ msisdn, code })
    if (world.codes.length > 100) world.codes.splice(0, world.codes.length - 100)
    return
  }
  try {
    walk(world, JSON.parse(body), poolOfPath(spec.route.url), 0)
  } catch {
    // not JSON (a 204, a text body): nothing to learn
  }
}
