import { sql } from 'kysely'
import {
  type Audited,
  type AuditReceipt,
  audited,
  type CommandContext,
  raiseAlert,
  recordAudit,
  type Unchanged,
  unchanged,
} from '../audit/index.ts'
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.ts'
import {
  ackEvents,
  claimEvents,
  deadLetterExhausted,
  failEvent,
  findEvents,
  type OutboxEvent,
  requeueDead,
  staleBacklog,
} from './queries.ts'

/** After this many attempts (claims) an event is dead: it waits for a person, and blocks its number's later events. */
export const MAX_ATTEMPTS = 8
export const DEFAULT_LEASE_SECONDS = 120
/** Unacknowledged events older than this raise `provisioning_backlog`, at most once per BACKLOG_ALERT_PERIOD. */
export const BACKLOG_THRESHOLD_MS = 15 * 60_000
export const BACKLOG_ALERT_PERIOD_MS = 60 * 60_000

/** 30 s, 1 min, 2 min … capped at 1 h: a network system that is down is not hammered. */
export function retryDelayMs(attempts: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 3_600_000)
}

function consumerOf(ctx: CommandContext): string {
  if (ctx.actor.kind !== 'machine') throw new ValidationError('actor', 'only a machine client consumes the outbox')
  return ctx.actor.clientId
}

export async function claimProvisioning(
  ctx: CommandContext,
  input: { limit: number; leaseSeconds?: number },
): Promise<Unchanged<OutboxEvent[]>> {
  const events = await claimEvents(ctx.tx, {
    consumer: consumerOf(ctx),
    limit: input.limit,
    leaseMs: (input.leaseSeconds ?? DEFAULT_LEASE_SECONDS) * 1000,
    maxAttempts: MAX_ATTEMPTS,
    now: ctx.now,
  })
  // A lease is not a change of anything the network or a holder sees; the acknowledgement is what is audited.
  return unchanged(events)
}

export type AckOutcome = 'acked' | 'already_acked' | 'not_found' | 'not_claimed'

/** Acknowledges events this client claimed; one audit record for the whole call. */
export async function ackProvisioning(
  ctx: CommandContext,
  ids: readonly string[],
): Promise<Audited<{ id: string; outcome: AckOutcome }[]> | Unchanged<{ id: string; outcome: AckOutcome }[]>> {
  const consumer = consumerOf(ctx)
  const acked = await ackEvents(ctx.tx, ids, consumer, ctx.now)
  const done = new Set(acked.map((a) => a.id))
  const others = new Map(
    (
      await findEvents(
        ctx.tx,
        ids.filter((id) => !done.has(id)),
      )
    ).map((e) => [e.id, e]),
  )
  const outcomes = ids.map((id) => {
    if (done.has(id)) return { id, outcome: 'acked' as const }
    const e = others.get(id)
    if (!e) return { id, outcome: 'not_found' as const }
    return { id, outcome: e.acked_at ? ('already_acked' as const) : ('not_claimed' as const) }
  })
  if (acked.length === 0) return unchanged(outcomes)
  const receipt = await recordAudit(ctx, {
    action: 'provisioning.acked',
    msisdn: acked.length === 1 ? acked[0].msisdn : null,
    data: { events: acked.map((a) => ({ id: a.id, msisdn: a.msisdn, kind: a.kind, attempts: a.attempts })) },
  })
  return audited(outcomes, [receipt])
}

/** A consumer reports a failure: retry later with backoff, or — out of attempts — dead letter and alert. */
export async function nackProvisioning(
  ctx: CommandContext,
  input: { id: string; error: string },
): Promise<Audited<{ id: string; dead: boolean; next_attempt_at: string | null }>> {
  const consumer = consumerOf(ctx)
  const [event] = await findEvents(ctx.tx, [input.id])
  if (!event) throw new NotFoundError('provisioning event', input.id)
  if (event.acked_at || event.dead_at || event.claimed_by !== consumer) {
    throw new ConflictError('not_claimed', 'This client does not hold this event: claim it first', {
      id: input.id,
      state: event.acked_at ? 'acked' : event.dead_at ? 'dead' : 'pending',
    })
  }
  const dead = event.attempts >= MAX_ATTEMPTS
  const retryAt = new Date(ctx.now.getTime() + retryDelayMs(event.attempts))
  const moved = await failEvent(ctx.tx, { id: input.id, consumer, error: input.error, now: ctx.now, retryAt, dead })
  if (!moved) throw new ConflictError('not_claimed', 'This event changed meanwhile: claim again', { id: input.id })
  const receipts: AuditReceipt[] = []
  if (dead) receipts.push(...(await deadLetter(ctx, [{ ...moved, last_error: input.error }])))
  receipts.push(
    await recordAudit(ctx, {
      action: 'provisioning.nacked',
      msisdn: moved.msisdn,
      data: { id: moved.id, kind: moved.kind, attempts: moved.attempts, error: input.error, dead },
    }),
  )
  return audited({ id: moved.id, dead, next_attempt_at: dead ? null : retryAt.toISOString() }, [
    receipts[0],
    ...receipts.slice(1),
  ])
}

async function deadLetter(
  ctx: CommandContext,
  events: { id: string; msisdn: string; kind: string; attempts: number; last_error: string | null }[],
): Promise<AuditReceipt[]> {
  const receipts: AuditReceipt[] = []
  for (const e of events) {
    const alert = await raiseAlert(ctx, {
      kind: 'provisioning_dead_letter',
      severity: 'warning',
      msisdn: e.msisdn,
      attempt: { event_id: e.id, kind: e.kind, attempts: e.attempts, last_error: e.last_error },
    })
    receipts.push(
      alert.receipt,
      await recordAudit(ctx, {
        action: 'provisioning.dead_lettered',
        msisdn: e.msisdn,
        data: { id: e.id, kind: e.kind, attempts: e.attempts, last_error: e.last_error, alert_id: alert.id },
      }),
    )
  }
  return receipts
}

/** A person puts a dead event back in the queue (after fixing the network side), with a fresh set of attempts. */
export async function requeueProvisioning(ctx: CommandContext, id: string) {
  const moved = await requeueDead(ctx.tx, id, ctx.now)
  if (!moved) {
    const [event] = await findEvents(ctx.tx, [id])
    if (!event) throw new NotFoundError('provisioning event', id)
    throw new ConflictError('not_dead', 'Only a dead event can be requeued', { id })
  }
  const receipt = await recordAudit(ctx, {
    action: 'provisioning.requeued',
    msisdn: moved.msisdn,
    data: { id, kind: moved.kind, last_error: moved.last_error },
  })
  return audited({ id, requeued_at: ctx.now.toISOString() }, [receipt])
}

/**
 * The worker's check: dead-letters events whose last lease ran out, and raises `provisioning_backlog` when events
 * have waited longer than the threshold — once per period, however many workers run the check.
 */
export async function checkBacklog(
  ctx: CommandContext,
): Promise<
  Audited<{ deadLettered: number; backlogAlerts: number }> | Unchanged<{ deadLettered: number; backlogAlerts: number }>
> {
  // Workers side by side take turns here, so two of them never both find no recent alert and both raise one.
  await sql`SELECT pg_advisory_xact_lock(hashtext('numguard.provisioning.backlog'))`.execute(ctx.tx)
  const receipts: AuditReceipt[] = []
  const exhausted = await deadLetterExhausted(ctx.tx, MAX_ATTEMPTS, ctx.now)
  receipts.push(...(await deadLetter(ctx, exhausted)))
  let backlogAlerts = 0
  const stale = await staleBacklog(ctx.tx, new Date(ctx.now.getTime() - BACKLOG_THRESHOLD_MS))
  if (stale.count > 0) {
    const recent = await ctx.tx
      .selectFrom('alerts')
      .select('id')
      .where('kind', '=', 'provisioning_backlog')
      .where('raised_at', '>', new Date(ctx.now.getTime() - BACKLOG_ALERT_PERIOD_MS))
      .executeTakeFirst()
    if (!recent) {
      const alert = await raiseAlert(ctx, {
        kind: 'provisioning_backlog',
        severity: 'warning',
        attempt: {
          unacknowledged_older_than_minutes: BACKLOG_THRESHOLD_MS / 60_000,
          count: stale.count,
          oldest_created_at: stale.oldest?.toISOString() ?? null,
        },
      })
      receipts.push(alert.receipt)
      backlogAlerts = 1
    }
  }
  const result = { deadLettered: exhausted.length, backlogAlerts }
  return receipts.length > 0 ? audited(result, [receipts[0], ...receipts.slice(1)]) : unchanged(result)
}
