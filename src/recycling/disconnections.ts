// The permanent-disconnection register (issue 3, item 8): each withdrawal is recorded as (number, disconnection
// date), the date being the withdrawal's calendar day in the operator's time zone. A reclaim or a late-activity
// reinstatement during aging cancels the record: if no monthly file has carried it yet it never will; if one has,
// the next file carries a cancellation line (src/reports/disconnections.ts writes the files).
import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import { type AuditReceipt, type CommandContext, recordAudit } from '../audit/index.ts'
import type { DB } from '../db/types.ts'
import { ValidationError } from '../domain/errors.ts'

export interface DisconnectionInput {
  msisdn: string
  /** The custody whose end disconnected the number. */
  custodyId: string
  /** The withdrawal's calendar day in the operator's time zone, `YYYY-MM-DD`. */
  disconnectedOn: string
}

export type CancelReason = 'reclaim' | 'reinstatement' | 'restoration'

export interface CancelDisconnectionInput {
  /** The ended custody whose disconnection is undone (the former holder's). */
  custodyId: string
  reason: CancelReason
  /** What undid it: the reclaim request id, the late activity event id… */
  basis: string
}

export interface DisconnectionRecord {
  id: string
  msisdn: string
  custody_id: string
  disconnected_on: string
  recorded_at: Date
  cancelled_at: Date | null
  cancel_reason: CancelReason | null
  cancel_basis: string | null
  reported_in: string | null
  cancellation_reported_in: string | null
}

/** A calendar day that exists: `2026-02-30` is refused, not rolled over. */
export function isCalendarDay(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text)
  if (!m) return false
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])))
  return d.toISOString().slice(0, 10) === text
}

/**
 * Records that `custodyId`'s end permanently disconnected `msisdn` on `disconnectedOn`, in the caller's transaction
 * (the withdrawal's). Idempotent per custody: a second call returns the first record with `created: false` and
 * writes nothing.
 */
export async function recordDisconnection(
  ctx: CommandContext,
  input: DisconnectionInput,
): Promise<{ id: string; created: boolean; receipt: AuditReceipt | null }> {
  if (!isCalendarDay(input.disconnectedOn)) {
    throw new ValidationError('disconnectedOn', 'the disconnection date must be a calendar day, YYYY-MM-DD', {
      value: input.disconnectedOn,
    })
  }
  const id = randomUUID()
  const inserted = await ctx.tx
    .insertInto('disconnections')
    .values({
      id,
      msisdn: input.msisdn,
      custody_id: input.custodyId,
      disconnected_on: input.disconnectedOn,
      recorded_at: ctx.now,
    })
    .onConflict((oc) => oc.column('custody_id').doNothing())
    .returning('id')
    .executeTakeFirst()
  if (!inserted) {
    const existing = await ctx.tx
      .selectFrom('disconnections')
      .select('id')
      .where('custody_id', '=', input.custodyId)
      .executeTakeFirstOrThrow()
    return { id: existing.id, created: false, receipt: null }
  }
  const receipt = await recordAudit(ctx, {
    action: 'disconnection.recorded',
    msisdn: input.msisdn,
    after: { disconnection_id: id, custody_id: input.custodyId, disconnected_on: input.disconnectedOn },
    basis: input.custodyId,
  })
  return { id, created: true, receipt }
}

/**
 * Undoes the disconnection of an ended custody whose holder got the number back during aging. Returns null when
 * the register holds nothing for that custody (e.g. a custody withdrawn before the register existed) or when it was
 * already cancelled.
 */
export async function cancelDisconnection(
  ctx: CommandContext,
  input: CancelDisconnectionInput,
): Promise<{ id: string; correction: boolean; receipt: AuditReceipt } | null> {
  const row = await ctx.tx
    .selectFrom('disconnections')
    .select(['id', 'msisdn', 'disconnected_on', 'reported_in', 'cancelled_at'])
    .where('custody_id', '=', input.custodyId)
    .forUpdate()
    .executeTakeFirst()
  if (!row || row.cancelled_at !== null) return null
  await ctx.tx
    .updateTable('disconnections')
    .set({ cancelled_at: ctx.now, cancel_reason: input.reason, cancel_basis: input.basis })
    .where('id', '=', row.id)
    .where('cancelled_at', 'is', null)
    .execute()
  // Already reported: the next monthly file must say so; not yet reported: it simply never appears in a file.
  const correction = row.reported_in !== null
  const receipt = await recordAudit(ctx, {
    action: 'disconnection.cancelled',
    msisdn: row.msisdn,
    before: { disconnection_id: row.id, disconnected_on: row.disconnected_on, reported_in: row.reported_in },
    after: { cancelled: true, reason: input.reason, correction_due: correction },
    basis: input.basis,
  })
  return { id: row.id, correction, receipt }
}

/** The register's rows for a number, newest first (the number page and the tests read them). */
export async function numberDisconnections(db: Kysely<DB>, msisdn: string): Promise<DisconnectionRecord[]> {
  const rows = await db
    .selectFrom('disconnections')
    .selectAll()
    .where('msisdn', '=', msisdn)
    .orderBy('recorded_at', 'desc')
    .execute()
  return rows as DisconnectionRecord[]
}
