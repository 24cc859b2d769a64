import { randomUUID } from 'node:crypto'
import type { Transaction } from 'kysely'
import type { DB } from '../db/types.ts'
import type { ActionName } from '../domain/actions.ts'
import { type Actor, describeActor } from '../domain/actor.ts'
import { commitPersonal, encodeLeaf, LEAF_VERSION } from './leaf.ts'

/** What every state-changing command receives: its transaction, who acts, and the one instant it acts at. */
export interface CommandContext {
  tx: Transaction<DB>
  actor: Actor
  now: Date
}

export interface AuditEntry {
  action: ActionName
  msisdn?: string | null
  before?: unknown
  after?: unknown
  /** The ground a custody or request rests on: sale, a request id, a migration batch id, an input's SHA-256… */
  basis?: string | null
  data?: Record<string, unknown>
  /**
   * Personal data of a subscriber (names, document numbers, contacts): never in clear in the log. The leaf holds
   * `personal: { field: hex SHA-256(salt ‖ value) }`; salt and value go to an erasable table (audit_personal_data).
   */
  personal?: Record<string, string | null | undefined>
}

declare const receiptBrand: unique symbol
/** Proof that an audit record was written; only `recordAudit` makes one. */
export type AuditReceipt = { readonly eventId: string; readonly [receiptBrand]: true }

/** A command's result: it cannot be built without at least one receipt, so a command that forgets to audit does not compile. */
export interface Audited<T> {
  readonly result: T
  readonly receipts: readonly [AuditReceipt, ...AuditReceipt[]]
}

/** A command that found nothing to do says so explicitly; the database still refuses a guarded change without a record. */
export interface Unchanged<T> {
  readonly result: T
  readonly receipts: readonly []
}

export function unchanged<T>(result: T): Unchanged<T> {
  return { result, receipts: [] }
}

export function audited<T>(result: T, receipts: readonly [AuditReceipt, ...AuditReceipt[]]): Audited<T> {
  return { result, receipts }
}

/** The version tag every leaf carries (`v`). */
export const ENVELOPE_VERSION = LEAF_VERSION

/** The single function through which every change records what it did, in the caller's transaction. */
export async function recordAudit(ctx: CommandContext, entry: AuditEntry): Promise<AuditReceipt> {
  const [receipt] = await recordAuditMany(ctx, [entry])
  return receipt
}

/**
 * Writes each entry's leaf (canonical JSON, src/audit/leaf.ts) to the queue, where the integrator gives it its
 * index in the tree. The exact bytes are made here, once.
 */
export async function recordAuditMany(ctx: CommandContext, entries: readonly AuditEntry[]): Promise<AuditReceipt[]> {
  if (entries.length === 0) return []
  const at = ctx.now.toISOString()
  const actor = describeActor(ctx.actor)
  const personalRows: { event_id: string; field: string; salt: Buffer; value: string; recorded_at: string }[] = []
  const rows = entries.map((e) => {
    const eventId = randomUUID()
    const committed = e.personal ? commitPersonal(e.personal) : []
    for (const c of committed)
      personalRows.push({ event_id: eventId, field: c.field, salt: c.salt, value: c.value, recorded_at: at })
    const envelope = {
      event_id: eventId,
      at,
      actor,
      action: e.action,
      msisdn: e.msisdn ?? null,
      before: e.before ?? null,
      after: e.after ?? null,
      basis: e.basis ?? null,
      ...(e.data ? { data: e.data } : {}),
      ...(committed.length > 0 ? { personal: Object.fromEntries(committed.map((c) => [c.field, c.commitment])) } : {}),
    }
    return {
      event_id: eventId,
      recorded_at: at,
      action: e.action,
      msisdn: e.msisdn ?? null,
      leaf: encodeLeaf(envelope),
    }
  })
  await ctx.tx.insertInto('audit_queue').values(rows).execute()
  if (personalRows.length > 0) await ctx.tx.insertInto('audit_personal_data').values(personalRows).execute()
  return rows.map((r) => ({ eventId: r.event_id }) as AuditReceipt)
}
