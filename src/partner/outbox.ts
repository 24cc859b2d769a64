// Delivers the partner CloudEvents from the outbox (partner_events) to each subscription's sink: at least once (the
// event id lets the partner drop a redelivery), claimed with a lease so two workers never send one event at once,
// retried with exponential backoff, and after MAX_ATTEMPTS dead-lettered with an alert. No transaction is held
// across the HTTP round trip.
import { sql } from 'kysely'
import type { App } from '../app.ts'
import { audited, raiseAlert, runCommand, unchanged } from '../audit/index.ts'
import type { Actor } from '../domain/actor.ts'
import { partnerDb } from './db.ts'
import { endSubscription, SWAPPED } from './subscriptions.ts'

export const OUTBOX_ACTOR: Actor = { kind: 'system', component: 'partner-outbox' }
export const MAX_ATTEMPTS = 10
const FIRST_RETRY_MS = 30_000
const MAX_RETRY_MS = 3_600_000
const LEASE_MS = 5 * 60_000
const SEND_TIMEOUT_MS = 10_000

/** 30 s, 1 min, 2 min … capped at an hour: ten attempts span about four and a half hours. */
export function retryDelayMs(attempts: number): number {
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1))
}

export type SinkSender = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string },
) => Promise<{ status: number }>

const fetchSender: SinkSender = async (url, init) => {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(SEND_TIMEOUT_MS), redirect: 'error' })
  await res.body?.cancel()
  return { status: res.status }
}

interface Claimed {
  id: string
  subscription_id: string
  type: string
  event: unknown
  attempts: number
  sink: string
  sink_token: string | null
  status: string
}

async function claimDue(app: App, limit: number): Promise<Claimed[]> {
  const now = app.clock.now()
  const { rows } = await sql<Claimed>`
    UPDATE partner_events e SET next_attempt_at = ${new Date(now.getTime() + LEASE_MS)}
      FROM partner_subscriptions s
     WHERE s.id = e.subscription_id
       AND e.id IN (SELECT id FROM partner_events WHERE state = 'pending' AND next_attempt_at <= ${now}
                     ORDER BY next_attempt_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
    RETURNING e.id, e.subscription_id, e.type, e.event, e.attempts, s.sink, s.sink_token, s.status`.execute(app.db)
  return rows
}

export interface DeliveryResult {
  delivered: number
  retried: number
  dead: number
}

/** One pass over the due events. */
export async function deliverDueEvents(app: App, send: SinkSender = fetchSender, limit = 50): Promise<DeliveryResult> {
  const result: DeliveryResult = { delivered: 0, retried: 0, dead: 0 }
  const db = partnerDb(app.db)
  for (const e of await claimDue(app, limit)) {
    // A swapped event of a subscription that has ended meanwhile is not sent: the partner asked to stop.
    if (e.type === SWAPPED && e.status !== 'ACTIVE') {
      await db
        .updateTable('partner_events')
        .set({ state: 'dead', last_error: 'subscription ended' })
        .where('id', '=', e.id)
        .execute()
      continue
    }
    let error: string | null = null
    try {
      const headers: Record<string, string> = { 'content-type': 'application/cloudevents+json' }
      if (e.sink_token) headers.authorization = `Bearer ${e.sink_token}`
      const res = await send(e.sink, {
        method: 'POST',
        headers,
        body: typeof e.event === 'string' ? e.event : JSON.stringify(e.event),
      })
      if (res.status < 200 || res.status >= 300) error = `sink answered ${res.status}`
    } catch (err) {
      error = err instanceof Error ? err.message.slice(0, 300) : 'send failed'
    }
    const now = app.clock.now()
    const attempts = e.attempts + 1
    if (!error) {
      await db
        .updateTable('partner_events')
        .set({ state: 'delivered', attempts, delivered_at: now, last_error: null })
        .where('id', '=', e.id)
        .execute()
      result.delivered += 1
      if (e.type === SWAPPED) await countDelivered(app, e.subscription_id)
    } else if (attempts >= MAX_ATTEMPTS) {
      await deadLetter(app, e, attempts, error)
      result.dead += 1
    } else {
      await db
        .updateTable('partner_events')
        .set({ attempts, last_error: error, next_attempt_at: new Date(now.getTime() + retryDelayMs(attempts)) })
        .where('id', '=', e.id)
        .execute()
      result.retried += 1
    }
  }
  return result
}

/** A delivered swapped event counts towards subscriptionMaxEvents; reaching it ends the subscription. */
async function countDelivered(app: App, subscriptionId: string) {
  await runCommand(app.deps, OUTBOX_ACTOR, async (ctx) => {
    const row = await partnerDb(ctx.tx)
      .updateTable('partner_subscriptions')
      .set((eb) => ({ events_sent: eb('events_sent', '+', 1) }))
      .where('id', '=', subscriptionId)
      .returning(['events_sent', 'max_events'])
      .executeTakeFirst()
    if (!row?.max_events || row.events_sent < row.max_events) return unchanged(null)
    const receipt = await endSubscription(ctx, subscriptionId, 'MAX_EVENTS_REACHED')
    return receipt ? audited(null, [receipt]) : unchanged(null)
  })
}

async function deadLetter(app: App, e: Claimed, attempts: number, error: string) {
  await runCommand(app.deps, OUTBOX_ACTOR, async (ctx) => {
    await partnerDb(ctx.tx)
      .updateTable('partner_events')
      .set({ state: 'dead', attempts, last_error: error })
      .where('id', '=', e.id)
      .execute()
    const alert = await raiseAlert(ctx, {
      kind: 'partner_event_undeliverable',
      severity: 'warning',
      attempt: { event_id: e.id, subscription_id: e.subscription_id, type: e.type, attempts, error },
    })
    return audited(null, [alert.receipt])
  })
}

/** Subscriptions past their expiry end, each with its subscription-ended event. */
export async function expireSubscriptions(app: App): Promise<number> {
  const due = await partnerDb(app.db)
    .selectFrom('partner_subscriptions')
    .select('id')
    .where('status', '=', 'ACTIVE')
    .where('expires_at', '<=', app.clock.now())
    .execute()
  for (const s of due)
    await runCommand(app.deps, OUTBOX_ACTOR, async (ctx) => {
      const receipt = await endSubscription(ctx, s.id, 'SUBSCRIPTION_EXPIRED')
      return receipt ? audited(null, [receipt]) : unchanged(null)
    })
  return due.length
}
