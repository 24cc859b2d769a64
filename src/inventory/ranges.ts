import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { sha256Hex } from '../access/index.ts'
import { type Audited, audited, type CommandContext, recordAudit } from '../audit/index.ts'
import { addNumbers } from '../custody/index.ts'
import { ConflictError } from '../domain/errors.ts'
import { parseMarket } from '../domain/markets.ts'
import type { ParsedRange } from '../domain/msisdn.ts'

export type Category = 'standard' | 'golden'
export const RANGE_CHUNK = 100_000

export interface RangeImported {
  id: string
  first: string
  last: string
  size: number
  category: Category
  /** The market the range belongs to: the country its numbers are of (migration 034 checks the calling code). */
  market: string
  input_sha256: string
}

/** The SHA-256 of a range import's input: what the audit record commits to. */
export function rangeInputSha256(range: ParsedRange, category: Category): string {
  return sha256Hex(JSON.stringify({ category, first: range.first, last: range.last }))
}

/**
 * Imports a validated range in one transaction: set-based inserts in chunks (so progress can be shown),
 * one audit record for the whole range. Overlaps are refused by name before the constraint would. The range belongs
 * to the market of its numbers' country (parseRange checked that both ends are of it, and of the market asked for).
 */
export async function importRange(
  ctx: CommandContext,
  range: ParsedRange,
  category: Category,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<Audited<RangeImported>> {
  const overlapping = await ctx.tx
    .selectFrom('number_ranges')
    .select(['first_msisdn', 'last_msisdn'])
    .where(
      sql<boolean>`int8range(first_value, last_value, '[]') && int8range(${range.firstValue.toString()}::bigint, ${range.lastValue.toString()}::bigint, '[]')`,
    )
    .limit(1)
    .executeTakeFirst()
  if (overlapping) {
    throw new ConflictError(
      'range_overlaps',
      `This range overlaps ${overlapping.first_msisdn}–${overlapping.last_msisdn}`,
      {
        existing: { first: overlapping.first_msisdn, last: overlapping.last_msisdn },
      },
    )
  }
  const market = parseMarket(range.country, 'first')
  const id = randomUUID()
  const inputSha256 = rangeInputSha256(range, category)
  await ctx.tx
    .insertInto('number_ranges')
    .values({
      id,
      first_msisdn: range.first,
      last_msisdn: range.last,
      first_value: range.firstValue.toString(),
      last_value: range.lastValue.toString(),
      size: range.size,
      category,
      input_sha256: inputSha256,
      imported_at: ctx.now,
      imported_by: ctx.actor.kind === 'staff' ? ctx.actor.staffId : null,
      market,
    })
    .execute()
  const width = range.first.length - 1
  for (let offset = 0; offset < range.size; offset += RANGE_CHUNK) {
    const from = range.firstValue + BigInt(offset)
    const to = range.firstValue + BigInt(Math.min(offset + RANGE_CHUNK, range.size) - 1)
    await addNumbers(ctx, { rangeId: id, category, firstValue: from, lastValue: to, width })
    onProgress(Math.min(offset + RANGE_CHUNK, range.size), range.size)
  }
  const result: RangeImported = {
    id,
    first: range.first,
    last: range.last,
    size: range.size,
    category,
    market,
    input_sha256: inputSha256,
  }
  const receipt = await recordAudit(ctx, { action: 'range.imported', after: result, basis: inputSha256 })
  return audited(result, [receipt])
}
