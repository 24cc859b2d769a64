// The world of the lone-agent property test (lone-agent.property.test.ts): a demo-mode numguard with the embedded
// SMSC, numbers held by other people (sold by another shop, one with its SIM-swap lock on), numbers aging after a
// withdrawal, available numbers and SIMs for the agent's shop, and the staff who act. Also the database snapshot
// the property is checked on: custodies, SIM bindings, holders' identities and the consent kinds' executions.
import { sql } from 'kysely'
import type { App } from '../../src/app.ts'
import { type SmsLink, sendDueNotices, whenBound } from '../../src/sms/index.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { makeActiveNumber, makeRange, makeSims, makeStaff, type TestStaff } from '../helpers/factories.ts'
import { sellTo, withdrawForInactivity } from '../helpers/reclaim-fixtures.ts'

export const PASSWORD = 'test-password-1'
/** The demo charging simulation never tops up these numbers (src/demo/seed-recycling.ts LAPSING_SQL): avoid them. */
const lapsing = (msisdn: string) => Number(msisdn.slice(-2)) % 40 === 7

export interface Person {
  staff: TestStaff
  /** Live session tokens: the first is the one in use; a second sign-in adds one. */
  tokens: string[]
}

export interface World {
  t: TestApp
  app: App
  sms: SmsLink
  agent: Person
  /** The colluding supervisor of another shop (the collusion variant), or null. */
  colluder: Person | null
  /**
   * Numbers held by other people before the run, their SIMs and subscriber ids. Their documents are never known,
   * except in the variant where the pair holds a copy of each holder's ID card (`knownDocs`).
   */
  victims: { msisdn: string; iccid: string; subscriberId: string }[]
  /** The holders' document numbers the staff know (a copy of the ID card), by number: empty unless `knowsDocs`. */
  knownDocs: Map<string, string>
  /**
   * Held numbers whose SIM now is one the agent put in by a swap (the pair holds that SIM, so an SMS "from the
   * number" may come from them): refreshed before each call.
   */
  captured: string[]
  aging: string[]
  available: string[]
  /** Numbers of a range nobody sells: the phones the agent may send SMS replies from. */
  spare: string[]
  shopSims: string[]
  /** Numbers the agent sold during the run (held by the agent's customers from then on, and protected as well). */
  sold: string[]
  /** Subscribers the agent created in sales: their documents, for selling them another number. */
  customers: { id: string; doc: string }[]
  /** The document of the holder of each number the agent sold: the agent authenticates their own customers. */
  soldTo: Map<string, string>
  /** Numbers on which a customer session opened: changes on a held number are filed inside one (issue 9). */
  authenticated: string[]
  /** Ids seen in responses, by pool (`requests`, `customer-sessions`, `staff`, …). */
  ids: Map<string, string[]>
  hashes: Map<string, string>
  /** Codes read from the demo phones' inboxes, oldest first (the agent may read any phone's inbox in demo mode). */
  codes: { msisdn: string; code: string }[]
  /**
   * Simulated milliseconds the demo clock may still be moved in this run: 45 days keeps every holder before their
   * first warning (day 60) and every aging number inside its 90 days, so no lawful step changes a custody meanwhile.
   */
  clockBudgetMs: number
}

export async function openWorld(options: { colluder: boolean; knowsDocs?: boolean }): Promise<World> {
  const t = await openTestApp({}, { demoClock: true, sms: 'simulator' })
  const sms = t.app.sms as SmsLink
  await whenBound(sms.transport)
  const otherShopAgent = await makeStaff(t.app, ['agent'])
  const victims: World['victims'] = []
  const knownDocs = new Map<string, string>()
  for (let i = 0; i < 5; i++) {
    const held = await makeActiveNumber(t.app, { agent: otherShopAgent })
    victims.push({ msisdn: held.msisdn, iccid: held.iccid, subscriberId: held.sale.subscriber_id })
    if (options.knowsDocs) knownDocs.set(held.msisdn, held.subscriber.kyc_doc_number)
  }
  // The first holder locked SIM swaps from their own phone (the holder's word, before the agent arrives).
  await sms.smsc?.injectMo(victims[0].msisdn, sms.sourceAddr, 'LOCK')
  const aging: string[] = []
  for (let i = 0; i < 2; i++) {
    const held = await sellTo(t.app, { agent: otherShopAgent })
    await withdrawForInactivity(t.app, held)
    aging.push(held.msisdn)
  }
  const agent = await makeStaff(t.app, ['agent'])
  // One customer of the agent's own from before the run: the agent knows their document, so it can authenticate
  // them (a customer session) and file changes on their number, which stays as protected as every other holder's.
  const own = await makeActiveNumber(t.app, { agent })
  // An approver of another shop must exist or the four-eyes kinds are refused before they get anywhere; in the lone
  // variant it never acts, in the collusion variant it is the only one, so the system assigns it every request.
  const supervisor = await makeStaff(t.app, ['supervisor'])
  const world: World = {
    t,
    app: t.app,
    sms,
    agent: { staff: agent, tokens: [agent.token] },
    colluder: options.colluder ? { staff: supervisor, tokens: [supervisor.token] } : null,
    victims,
    knownDocs,
    captured: [],
    aging,
    available: (await makeRange(t.app, 40)).filter((m) => !lapsing(m)),
    spare: (await makeRange(t.app, 10)).filter((m) => !lapsing(m)),
    shopSims: await makeSims(t.app, agent.shopId as string, 6),
    sold: [own.msisdn],
    customers: [{ id: own.sale.subscriber_id, doc: own.subscriber.kyc_doc_number }],
    soldTo: new Map([[own.msisdn, own.subscriber.kyc_doc_number]]),
    authenticated: [],
    ids: new Map(),
    hashes: new Map(),
    codes: [],
    // With the holders' documents known, the whole run stays inside the swap cooling window (30 days) of any
    // lost-SIM swap the pair gets through: the property is about that window.
    clockBudgetMs: (options.knowsDocs ? 29 : 45) * 86_400_000,
  }
  await flushSms(world)
  return world
}

/**
 * Sends the one-time codes due to holders to the embedded SMSC at once, so they show in the phones' inboxes (where
 * the agent may read them: a demo tool, and the worst case). Other notices go out when the clock moves, with the
 * worker's pass: sending every multi-part notice after every call would cost most of the run's time.
 */
export async function flushSms(world: World): Promise<void> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM sms_notices
     WHERE state = 'queued' AND priority = 'otp' AND not_before <= ${world.app.clock.now()}`.execute(world.app.db)
  // The sender claims one-time codes before anything else: a limit of their count sends just them.
  const due = rows[0]?.n ?? 0
  if (due > 0) await sendDueNotices(world.app, world.sms.transport, { limit: due })
}

/** The held numbers whose current SIM a swap filed by the agent put in: the pair holds those SIMs. */
export async function refreshCaptured(world: World): Promise<void> {
  const rows = await world.app.db
    .selectFrom('sim_bindings as b')
    .innerJoin('requests as r', 'r.id', 'b.request_id')
    .select('b.msisdn')
    .where('b.ended_at', 'is', null)
    .where('r.kind', 'in', ['sim_swap', 'sim_swap_lost'])
    .where('r.requested_by', '=', world.agent.staff.id)
    .execute()
  world.captured = rows.map((r) => r.msisdn)
}

/** Keeps the agent supplied between sequences: unused SIMs in the shop, available numbers to sell. */
export async function replenish(world: World): Promise<void> {
  const { app } = world
  const free = await app.db
    .selectFrom('sims')
    .select('iccid')
    .where('shop_id', '=', world.agent.staff.shopId)
    .where('state', '=', 'allocated')
    .execute()
  if (free.length < 3) world.shopSims.push(...(await makeSims(app, world.agent.staff.shopId as string, 4)))
  const open = await app.db.selectFrom('numbers').select('msisdn').where('state', '=', 'available').execute()
  const stillAvailable = new Set(open.map((r) => r.msisdn))
  if (world.available.filter((m) => stillAvailable.has(m)).length < 8)
    world.available.push(...(await makeRange(app, 20)).filter((m) => !lapsing(m)))
}

export interface Snapshot {
  custodies: Map<string, string>
  bindings: Map<string, string>
  held: Set<string>
  aging: Set<string>
  identities: Map<string, string>
  executed: Set<string>
  /** Executed SIM-swap requests (either kind). */
  swaps: Set<string>
}

const CONSENT_KINDS = ['transfer', 'sim_swap', 'sim_swap_lost', 'termination', 'kyc_change', 'reclaim']

export async function snapshot(app: App): Promise<Snapshot> {
  const custodies = await app.db.selectFrom('custodies').selectAll().execute()
  const bindings = await app.db.selectFrom('sim_bindings').selectAll().execute()
  const aging = await app.db.selectFrom('numbers').select('msisdn').where('state', '=', 'aging').execute()
  const { rows: identities } = await sql<{ id: string; kyc: string }>`
    SELECT s.id, concat_ws('|', s.kyc_doc_kind, s.kyc_doc_hash, s.kyc_doc_last4, s.name) AS kyc
      FROM subscribers s JOIN custodies c ON c.subscriber_id = s.id AND c.ended_at IS NULL`.execute(app.db)
  const executed = await app.db
    .selectFrom('requests')
    .select('id')
    .select('kind')
    .where('kind', 'in', CONSENT_KINDS as never[])
    .where('status', '=', 'executed')
    .execute()
  const key = (r: object) => JSON.stringify(r, (_k, v) => (v instanceof Date ? v.toISOString() : v))
  return {
    custodies: new Map(custodies.map((c) => [c.id, key(c)])),
    bindings: new Map(bindings.map((b) => [b.id, key(b)])),
    held: new Set(custodies.filter((c) => c.ended_at === null).map((c) => c.msisdn)),
    aging: new Set(aging.map((r) => r.msisdn)),
    identities: new Map(identities.map((r) => [r.id, r.kyc])),
    executed: new Set(executed.map((r) => r.id)),
    swaps: new Set(executed.filter((r) => r.kind === 'sim_swap' || r.kind === 'sim_swap_lost').map((r) => r.id)),
  }
}

/**
 * What changed that a lone agent (or an agent with a colluding supervisor) must never be able to change. With
 * `swapsAllowed` (the pair knows the holders' documents), a SIM swap is not a violation by itself — a lost-SIM swap
 * on the holder's ID, approved by another shop and announced to the holder, may execute — but nothing else may:
 * no custody changes, no identity changes, no other consent kind executes.
 */
export function violations(before: Snapshot, after: Snapshot, options: { swapsAllowed?: boolean } = {}): string[] {
  const swap = (row: string | undefined) => {
    if (!row) return false
    const b = JSON.parse(row) as { request_id: string | null; end_reason: string | null }
    return (
      (b.request_id !== null && after.swaps.has(b.request_id)) || ['sim_swap', 'sim_lost'].includes(b.end_reason ?? '')
    )
  }
  const out: string[] = []
  for (const [id, was] of before.custodies) {
    const now = after.custodies.get(id)
    if (now !== was) out.push(`custody ${id} changed: ${was} -> ${now ?? 'gone'}`)
  }
  for (const [id, row] of after.custodies) {
    if (before.custodies.has(id)) continue
    const c = JSON.parse(row) as { msisdn: string; basis: string }
    if (before.held.has(c.msisdn)) out.push(`new custody on the held number ${c.msisdn}: ${row}`)
    // An aging number may be sold once it has aged out; anything else (a reclaim) needs its former holder's ID.
    if (before.aging.has(c.msisdn) && c.basis !== 'sale')
      out.push(`new custody on the aging number ${c.msisdn}: ${row}`)
  }
  for (const [id, was] of before.bindings) {
    const now = after.bindings.get(id)
    if (now !== was && !(options.swapsAllowed && swap(now)))
      out.push(`SIM binding ${id} changed: ${was} -> ${now ?? 'gone'}`)
  }
  for (const [id, row] of after.bindings) {
    const b = JSON.parse(row) as { msisdn: string }
    if (!before.bindings.has(id) && before.held.has(b.msisdn) && !(options.swapsAllowed && swap(row)))
      out.push(`new SIM binding on ${b.msisdn}: ${row}`)
  }
  for (const [id, was] of before.identities) {
    const now = after.identities.get(id)
    if (now !== undefined && now !== was) out.push(`holder ${id} changed identity: ${was} -> ${now}`)
  }
  for (const id of after.executed)
    if (!before.executed.has(id) && !(options.swapsAllowed && after.swaps.has(id)))
      out.push(`request ${id} of a consent kind executed`)
  return out
}
