import { can } from '../access/index.ts'
import type { Actor } from '../domain/actor.ts'
import { presentSubscriber } from '../subscribers/index.ts'
import { type NumberAccountView, seesCustody, seesMoment } from './account-view.ts'
import type { numberBindings, numberCustodies, numberHistory, simBindings } from './queries.ts'

type Rows<F extends (...a: never[]) => Promise<unknown[]>> = Awaited<ReturnType<F>>

export interface NumberRow {
  msisdn: string
  state: string
  category: string
  state_changed_at: Date
  reserved_by: string | null
  reserved_until: Date | null
}

/** What the caller may do with this number now: the console shows only these buttons; the server checks again. */
export function numberAbilities(actor: Actor | undefined, n: NumberRow, now: Date) {
  const mine = actor?.kind === 'staff' && n.reserved_by === actor.staffId
  const leaseOver = n.state === 'reserved' && n.reserved_until !== null && new Date(n.reserved_until) <= now
  const free = n.state === 'available' || (n.state === 'reserved' && (mine || leaseOver))
  return {
    reserve: can(actor, 'reserve_number') && free,
    release: can(actor, 'reserve_number') && n.state === 'reserved' && mine,
    sell: can(actor, 'sell_number') && free,
  }
}

export function presentNumber(n: NumberRow, actor: Actor | undefined, now: Date) {
  return {
    msisdn: n.msisdn,
    state: n.state,
    category: n.category,
    state_changed_at: n.state_changed_at,
    reserved_by: n.reserved_by,
    reserved_until: n.reserved_until,
    abilities: numberAbilities(actor, n, now),
  }
}

/**
 * A custody as `view` may see it: the authenticated holder's own in full (name and contact in clear), every custody
 * in the work view (masked as on the subscriber page), otherwise the period alone with `subscriber: null`.
 */
export function presentCustody(c: Rows<typeof numberCustodies>[number], view: NumberAccountView) {
  const own = view.kind === 'holder' && seesCustody(view, c.id)
  const subscriber =
    view.kind === 'work' || own ? presentSubscriber({ ...c, id: c.subscriber_id }, own ? 'full' : 'work') : null
  return {
    id: c.id,
    subscriber,
    basis: c.basis,
    request_id: c.request_id,
    migration_batch_id: c.migration_batch_id,
    started_at: c.started_at,
    ended_at: c.ended_at,
    end_reason: c.end_reason,
  }
}

export function presentBinding(b: Rows<typeof numberBindings>[number]) {
  return {
    id: b.id,
    iccid: b.iccid,
    custody_id: b.custody_id,
    started_at: b.started_at,
    ended_at: b.ended_at,
    end_reason: b.end_reason,
  }
}

/**
 * A number a SIM served: in full when its custody is in the caller's view. Otherwise nothing that could match the
 * SIM to a number (no digits, no start): only that it served one, and when and why the SIM stopped serving it.
 */
export function presentSimBinding(b: Rows<typeof simBindings>[number], inView: boolean) {
  return {
    msisdn: inView ? b.msisdn : 'withheld',
    custody_id: inView ? b.custody_id : null,
    started_at: inView ? b.started_at : null,
    ended_at: b.ended_at,
    end_reason: b.end_reason,
    withheld: !inView,
  }
}

interface Envelope {
  actor?: { kind: string; username?: string; staff_id?: string; client_id?: string; component?: string }
  before?: unknown
  after?: unknown
  basis?: string | null
}

export function presentHistory(h: Rows<typeof numberHistory>[number], view: NumberAccountView) {
  const env = (typeof h.envelope === 'string' ? JSON.parse(h.envelope) : h.envelope) as Envelope
  const a = env.actor ?? { kind: 'unknown' }
  const entry = {
    seq: h.seq,
    event_id: h.event_id,
    at: h.recorded_at,
    action: h.action,
    actor: { kind: a.kind, username: a.username, staff_id: a.staff_id, client_id: a.client_id, component: a.component },
    before: env.before ?? null,
    after: env.after ?? null,
    basis: env.basis ?? null,
  }
  if (seesMoment(view, h.recorded_at)) return { ...entry, details_withheld: false }
  // Outside the caller's view a record keeps what it did to the number, not whom or which SIM it concerned; its
  // basis only when a word (`sale`, `inactivity`), since an id there may name a custody, request or batch.
  const before = numberFacts(entry.before)
  const after = numberFacts(entry.after)
  const basisShown = entry.basis === null || BASIS_WORD.test(entry.basis)
  return {
    ...entry,
    before: before.facts,
    after: after.facts,
    basis: basisShown ? entry.basis : null,
    details_withheld: before.dropped || after.dropped || !basisShown,
  }
}

const BASIS_WORD = /^[a-z_]{1,40}$/

/** Facts about the number itself that a record's before/after may carry; anything else is the account's. */
const NUMBER_FACTS = new Set(['state', 'category', 'reserved_until', 'aging_ends_on'])

function numberFacts(v: unknown): { facts: Record<string, unknown> | null; dropped: boolean } {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { facts: null, dropped: v !== null }
  const entries = Object.entries(v as Record<string, unknown>)
  const kept = entries.filter(([k]) => NUMBER_FACTS.has(k))
  return { facts: kept.length > 0 ? Object.fromEntries(kept) : null, dropped: kept.length < entries.length }
}
