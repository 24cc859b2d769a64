import { can } from '../access/policies.ts'
import type { Actor } from '../audit/actor.ts'
import { presentSubscriber } from '../subscribers/presenters.ts'
import type { numberBindings, numberCustodies, numberHistory } from './queries.ts'

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

export function presentCustody(c: Rows<typeof numberCustodies>[number]) {
  return {
    id: c.id,
    subscriber: presentSubscriber({ ...c, id: c.subscriber_id }),
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

interface Envelope {
  actor?: { kind: string; username?: string; staff_id?: string; client_id?: string; component?: string }
  before?: unknown
  after?: unknown
  basis?: string | null
}

export function presentHistory(h: Rows<typeof numberHistory>[number]) {
  const env = (typeof h.envelope === 'string' ? JSON.parse(h.envelope) : h.envelope) as Envelope
  const a = env.actor ?? { kind: 'unknown' }
  return {
    seq: h.seq,
    event_id: h.event_id,
    at: h.recorded_at,
    action: h.action,
    actor: { kind: a.kind, username: a.username, staff_id: a.staff_id, client_id: a.client_id, component: a.component },
    before: env.before ?? null,
    after: env.after ?? null,
    basis: env.basis ?? null,
  }
}
