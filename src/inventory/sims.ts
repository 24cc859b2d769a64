import { type Kysely, sql } from 'kysely'
import { sha256Hex } from '../access/index.ts'
import { type Audited, audited, type CommandContext, recordAudit } from '../audit/index.ts'
import { needsCustomerSession } from '../customers/index.ts'
import type { DB } from '../db/types.ts'
import type { Actor } from '../domain/actor.ts'
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.ts'
import { accountsInView } from './account-view.ts'

export const MAX_SIM_ROWS = 100_000

export interface SimRow {
  iccid: string
  imsi: string
}

/** Parses `iccid,imsi` lines (a header line is allowed). A stock file is all or nothing: every bad line is reported. */
export function parseSimCsv(csv: string): SimRow[] {
  const lines = csv.split(/\r?\n/).map((l) => l.trim())
  const rows: SimRow[] = []
  const problems: { line: number; problem: string }[] = []
  const seen = new Set<string>()
  lines.forEach((line, i) => {
    if (line === '' || (i === 0 && /^iccid\s*,/i.test(line))) return
    const [iccid = '', imsi = '', ...rest] = line.split(',').map((c) => c.trim())
    if (rest.length > 0) problems.push({ line: i + 1, problem: 'expected two columns: iccid,imsi' })
    else if (!/^89\d{16,18}$/.test(iccid))
      problems.push({ line: i + 1, problem: 'ICCID must be 18 to 20 digits starting 89' })
    else if (!/^\d{14,15}$/.test(imsi)) problems.push({ line: i + 1, problem: 'IMSI must be 14 or 15 digits' })
    else if (seen.has(iccid) || seen.has(`imsi:${imsi}`))
      problems.push({ line: i + 1, problem: 'repeats an earlier line' })
    else {
      seen.add(iccid).add(`imsi:${imsi}`)
      rows.push({ iccid, imsi })
    }
  })
  if (problems.length > 0) {
    throw new ValidationError('csv', `${problems.length} line(s) of the SIM file are not valid`, {
      problems: problems.slice(0, 50),
    })
  }
  if (rows.length === 0) throw new ValidationError('csv', 'the SIM file has no rows')
  if (rows.length > MAX_SIM_ROWS) throw new ValidationError('csv', `a SIM file holds at most ${MAX_SIM_ROWS} rows`)
  return rows
}

export async function importSims(
  ctx: CommandContext,
  csv: string,
): Promise<Audited<{ imported: number; input_sha256: string }>> {
  const rows = parseSimCsv(csv)
  const inputSha256 = sha256Hex(csv)
  const iccids = rows.map((r) => r.iccid)
  const imsis = rows.map((r) => r.imsi)
  // One array parameter per column: an `IN (…)` list would bind two parameters a row and overflow the protocol's
  // 65,535 at 32,768 rows.
  const existing = await ctx.tx
    .selectFrom('sims')
    .select(['iccid', 'imsi'])
    .where(sql<boolean>`iccid = ANY(${iccids}::text[]) OR imsi = ANY(${imsis}::text[])`)
    .limit(20)
    .execute()
  if (existing.length > 0) {
    throw new ConflictError('sims_already_imported', 'Some SIMs of this file are already in stock', { existing })
  }
  await sql`
    INSERT INTO sims (iccid, imsi, state, imported_at)
    SELECT iccid, imsi, 'in_stock', ${ctx.now} FROM unnest(${iccids}::text[], ${imsis}::text[]) AS t(iccid, imsi)`.execute(
    ctx.tx,
  )
  const result = { imported: rows.length, input_sha256: inputSha256 }
  const receipt = await recordAudit(ctx, { action: 'sims.imported', after: result, basis: inputSha256 })
  return audited(result, [receipt])
}

/** Moves SIMs from the warehouse to a shop, oldest ICCIDs first. */
export async function allocateSims(
  ctx: CommandContext,
  shopId: string,
  count: number,
): Promise<Audited<{ allocated: number; shop_id: string }>> {
  const shop = await ctx.tx.selectFrom('shops').select('id').where('id', '=', shopId).executeTakeFirst()
  if (!shop) throw new NotFoundError('shop', shopId)
  const moved = await sql<{ iccid: string }>`
    UPDATE sims SET state = 'allocated', shop_id = ${shopId}
     WHERE iccid IN (SELECT iccid FROM sims WHERE state = 'in_stock' ORDER BY iccid LIMIT ${count} FOR UPDATE SKIP LOCKED)
       AND state = 'in_stock'
    RETURNING iccid`.execute(ctx.tx)
  if (moved.rows.length < count) {
    throw new ConflictError('not_enough_stock', `Only ${moved.rows.length} SIMs are in stock`, {
      in_stock: moved.rows.length,
      asked: count,
    })
  }
  const iccids = moved.rows.map((r) => r.iccid).sort()
  const result = { allocated: iccids.length, shop_id: shopId }
  const receipt = await recordAudit(ctx, {
    action: 'sims.allocated',
    after: { ...result, first_iccid: iccids[0], last_iccid: iccids.at(-1) },
    data: { iccids_sha256: sha256Hex(iccids.join('\n')) },
  })
  return audited(result, [receipt])
}

// ── Who sees which SIM (invariant 10 covers SIMs) ──
// A SIM that serves or served a number is part of that holder's account: its ICCID and IMSI, and which number it
// served since when, would let anyone match a held number to its SIM. Stock is inventory.
//   work       supervisors, compliance officers, auditors: every SIM and binding, as their work needs
//   inventory  an inventory manager: every SIM (they import and allocate stock), never the numbers served
//   agent      an agent: the unused SIMs allocated to their own shop, and the SIMs of holders they authenticated
//              in a customer session of this staff session; nothing else, not even whether it exists

export type SimView = { kind: 'work' } | { kind: 'inventory' } | { kind: 'agent'; shopId: string | null }

export function simViewOf(actor: Actor | undefined): SimView {
  if (actor?.kind === 'staff' && !needsCustomerSession(actor)) return { kind: 'work' }
  if (actor?.kind === 'staff' && actor.roles.includes('inventory_manager')) return { kind: 'inventory' }
  return { kind: 'agent', shopId: actor?.kind === 'staff' ? actor.shopId : null }
}

const STOCK_STATES = ['in_stock', 'allocated'] as const

/** SIM stock as the caller may list it; an agent's list is their shop's unused SIMs and their customers' SIMs. */
export async function listSimsInView(
  db: Kysely<DB>,
  actor: Actor | undefined,
  f: { shopId?: string; state?: string; limit: number },
  now: Date,
) {
  const view = simViewOf(actor)
  let q = db.selectFrom('sims').select(['iccid', 'imsi', 'state', 'shop_id']).orderBy('iccid').limit(f.limit)
  if (f.shopId) q = q.where('shop_id', '=', f.shopId)
  if (f.state) q = q.where('state', '=', f.state as 'in_stock')
  if (view.kind !== 'agent') return q.execute()
  if (actor?.kind !== 'staff') return []
  // Candidates: the shop's unused SIMs, and SIMs that served a holder of one of this staff session's open customer
  // sessions; accountsInView (the customers feature's own check) then confirms each holder.
  const rows = await q
    .where((eb) =>
      eb.or([
        eb.and([eb('state', '=', 'allocated'), eb('shop_id', '=', view.shopId ?? '')]),
        eb.exists(
          eb
            .selectFrom('sim_bindings as b')
            .innerJoin('custodies as c', 'c.id', 'b.custody_id')
            .innerJoin('customer_sessions as cs', 'cs.subscriber_id', 'c.subscriber_id')
            .select('b.iccid')
            .whereRef('b.iccid', '=', 'sims.iccid')
            .where('cs.staff_id', '=', actor.staffId)
            .where('cs.staff_session_id', '=', actor.sessionId)
            .where('cs.state', '=', 'open')
            .where('cs.expires_at', '>', now),
        ),
      ]),
    )
    .execute()
  const served = rows.filter((r) => r.state !== 'allocated').map((r) => r.iccid)
  if (served.length === 0) return rows
  const holders = await db
    .selectFrom('sim_bindings as b')
    .innerJoin('custodies as c', 'c.id', 'b.custody_id')
    .select(['b.iccid', 'c.subscriber_id'])
    .where('b.iccid', 'in', served)
    .execute()
  const seen = await accountsInView(
    db,
    actor,
    holders.map((h) => h.subscriber_id),
    now,
  )
  const visible = new Set(holders.filter((h) => seen.has(h.subscriber_id)).map((h) => h.iccid))
  return rows.filter((r) => r.state === 'allocated' || visible.has(r.iccid))
}

/** Whether the caller may see this SIM at all; bindings are then shown per holder (presentSimBinding). */
export function seesSim(
  view: SimView,
  sim: { state: string; shop_id: string | null },
  subscriberIdsInView: ReadonlySet<string>,
): boolean {
  if (view.kind !== 'agent') return true
  if (sim.state === 'allocated' && view.shopId !== null && sim.shop_id === view.shopId) return true
  return !STOCK_STATES.includes(sim.state as 'in_stock') && subscriberIdsInView.size > 0
}
