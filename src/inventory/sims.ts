import { sql } from 'kysely'
import { sha256Hex } from '../access/secrets.ts'
import { type Audited, audited, type CommandContext, recordAudit } from '../audit/record.ts'
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.ts'

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
