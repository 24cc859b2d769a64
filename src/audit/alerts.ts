import { createHash, randomUUID } from 'node:crypto'
import canonicalize from 'canonicalize'
import { sql } from 'kysely'
import type { AlertDraft } from '../domain/errors.ts'
import { type AuditReceipt, type CommandContext, recordAudit } from './record.ts'

/**
 * Identical alerts (same kind, person and subject) raised within this window of the first count as repeats of it:
 * a loop of refusals leaves one alert with its count, not a flooded list. A new window starts a new alert, so an
 * attempt that goes on for hours still shows up near the top of the list.
 */
export const ALERT_REPEAT_WINDOW_MS = 10 * 60_000

export interface RaisedAlert {
  id: string
  receipt: AuditReceipt
  /** How many times this alert has now been seen (1 for a new one). */
  repeats: number
}

/** What makes two alerts of one kind and person identical: the number and the attempt, unless the draft names it. */
export function alertSubject(draft: AlertDraft): string {
  if (draft.subject) return draft.subject
  const canonical = canonicalize({ msisdn: draft.msisdn ?? null, attempt: draft.attempt }) ?? ''
  return `sha256:${createHash('sha256').update(canonical).digest('hex')}`
}

/** Writes an alert naming who attempted what, with its own audit record; an identical recent one counts a repeat. */
export async function raiseAlert(ctx: CommandContext, draft: AlertDraft): Promise<RaisedAlert> {
  const actor = ctx.actor
  const staffId = draft.staffId ?? (actor.kind === 'staff' ? actor.staffId : null)
  const clientId = actor.kind === 'machine' ? actor.clientId : null
  const subject = alertSubject(draft)
  // Only alerts about a person or a client are counted; numguard's own alerts (the worker's) stay one row each.
  if (staffId || clientId) {
    const repeated = await countRepeat(ctx, draft, { staffId, clientId, subject })
    if (repeated) return repeated
  }
  const id = randomUUID()
  await ctx.tx
    .insertInto('alerts')
    .values({
      id,
      kind: draft.kind,
      severity: draft.severity,
      staff_id: staffId,
      session_id: actor.kind === 'staff' ? actor.sessionId : null,
      client_id: clientId,
      msisdn: draft.msisdn ?? null,
      attempt: JSON.stringify(draft.attempt),
      raised_at: ctx.now,
      subject,
    })
    .execute()
  const receipt = await recordAudit(ctx, {
    action: 'alert.raised',
    msisdn: draft.msisdn,
    after: { alert_id: id, kind: draft.kind, severity: draft.severity },
    data: { attempt: draft.attempt },
  })
  return { id, receipt, repeats: 1 }
}

async function countRepeat(
  ctx: CommandContext,
  draft: AlertDraft,
  who: { staffId: string | null; clientId: string | null; subject: string },
): Promise<RaisedAlert | null> {
  const key = `numguard.alert:${draft.kind}:${who.staffId ?? who.clientId}:${who.subject}`
  // Parallel identical refusals take turns, so they count on one row instead of each inserting its own.
  await sql`SELECT pg_advisory_xact_lock(hashtext(${key}))`.execute(ctx.tx)
  const since = new Date(ctx.now.getTime() - ALERT_REPEAT_WINDOW_MS)
  const open = await ctx.tx
    .selectFrom('alerts')
    .select(['id', 'repeats'])
    .where('kind', '=', draft.kind)
    .where('subject', '=', who.subject)
    .where('severity', '=', draft.severity)
    .where(sql<boolean>`staff_id IS NOT DISTINCT FROM ${who.staffId}`)
    .where(sql<boolean>`client_id IS NOT DISTINCT FROM ${who.clientId}`)
    .where(sql<boolean>`msisdn IS NOT DISTINCT FROM ${draft.msisdn ?? null}`)
    .where('raised_at', '>', since)
    .where('raised_at', '<=', ctx.now)
    .orderBy('raised_at', 'desc')
    .limit(1)
    .executeTakeFirst()
  if (!open) return null
  const repeats = open.repeats + 1
  // The database admits exactly this change (migration 022) and only with the record below in the same transaction.
  await ctx.tx.updateTable('alerts').set({ repeats, last_seen_at: ctx.now }).where('id', '=', open.id).execute()
  const receipt = await recordAudit(ctx, {
    action: 'alert.repeated',
    msisdn: draft.msisdn,
    before: { alert_id: open.id, repeats: open.repeats },
    after: { alert_id: open.id, repeats, last_seen_at: ctx.now.toISOString() },
    data: { kind: draft.kind },
  })
  return { id: open.id, receipt, repeats }
}
