import { randomUUID } from 'node:crypto'
import { type Audited, audited, type CommandContext, recordAudit } from '../audit/index.ts'
import { describeActor } from '../domain/actor.ts'
import { ValidationError } from '../domain/errors.ts'
import { conflictingReplays, storeEvents, touchSources } from './queries.ts'
import { MAX_BATCH_EVENTS, type RowOutcome, SOURCE_PATTERN, validateEvents } from './validate.ts'

export interface ActivityBatchInput {
  events: readonly unknown[]
  /** The batch's source: used by events that name none, and kept alive by an empty batch (a heartbeat). */
  source?: string
  /** SHA-256 (hex) of the input bytes as received: the request body, or the file for a direct import. */
  inputSha256: string
  /** What the sender says about the input (the CLI names its file and the lines of this chunk); not verified. */
  claimedInput?: Record<string, unknown>
  /** The operator's country, for national numbers. */
  country: string
}

export interface ActivityBatchResult {
  batch_id: string
  input_sha256: string
  received: number
  accepted: number
  duplicate: number
  rejected: number
  /** Custodies whose inactivity cycle restarted because of this batch. */
  cycles_restarted: number
  /** Every row that was not plainly accepted, in request order. */
  rows: RowOutcome[]
}

const NOT_INSERTED_MESSAGES = {
  unknown_number: (msisdn: string) => `${msisdn} is not a number of this operator`,
  not_in_custody: (msisdn: string, at: string) => `nobody held ${msisdn} at ${at}`,
  duplicate: (_m: string, _a: string, source?: string, id?: string) =>
    `already recorded: external_id ${id} of source ${source}`,
} as const

/**
 * Ingests one batch of charging events in the caller's transaction: per-row checks, then set-based SQL, then ONE
 * audit record for the batch (counts, sources and the SHA-256 of the input). A bad row is reported, never fatal;
 * a replayed batch changes nothing and reports its rows as duplicates.
 */
export async function ingestActivity(
  ctx: CommandContext,
  input: ActivityBatchInput,
): Promise<Audited<ActivityBatchResult>> {
  if (input.events.length > MAX_BATCH_EVENTS) {
    throw new ValidationError('events', `a batch holds at most ${MAX_BATCH_EVENTS.toLocaleString('en')} events`)
  }
  if (input.source !== undefined && !SOURCE_PATTERN.test(input.source)) {
    throw new ValidationError('source', 'source must be 1 to 64 letters, digits, dots, dashes, colons or underscores')
  }
  const batchId = randomUUID()
  const { rows, problems } = validateEvents(input.events, {
    now: ctx.now,
    country: input.country,
    defaultSource: input.source,
  })
  const stored = await storeEvents(ctx.tx, rows, batchId, ctx.now)
  const byIndex = new Map(rows.map((r) => [r.index, r]))
  const replays = stored.notInserted.filter((n) => n.status === 'duplicate').map((n) => byIndex.get(n.idx))
  const conflicts = await conflictingReplays(
    ctx.tx,
    replays.filter((r) => r !== undefined),
  )
  for (const { idx, status } of stored.notInserted) {
    const row = byIndex.get(idx)
    if (!row) continue
    const outcome = { index: idx, external_id: row.externalId }
    if (conflicts.has(idx)) {
      const message = `external_id ${row.externalId} of source ${row.source} was already recorded with different content; the first one stands`
      problems.push({ ...outcome, code: 'conflict', message })
    } else {
      const message = NOT_INSERTED_MESSAGES[status](row.msisdn, row.occurredAt, row.source, row.externalId)
      problems.push({ ...outcome, code: status, message, ...(status === 'duplicate' ? {} : { field: 'msisdn' }) })
    }
  }
  problems.sort((a, b) => a.index - b.index)

  const duplicate = problems.filter((p) => p.code === 'duplicate').length
  const counts = {
    received: input.events.length,
    accepted: stored.inserted,
    duplicate,
    rejected: problems.length - duplicate,
    cycles_restarted: stored.cyclesMoved,
    usage_updated: stored.usageMoved,
    by_code: Object.fromEntries(
      [...new Set(problems.map((p) => p.code))].map((c) => [c, problems.filter((p) => p.code === c).length]),
    ),
  }
  // Every source that spoke is alive, whatever became of its rows; its last event is the latest one accepted.
  const sources = new Map<string, Date | null>()
  if (input.source) sources.set(input.source, null)
  const insertedIdx = new Set(rows.map((r) => r.index))
  for (const p of problems) insertedIdx.delete(p.index)
  for (const r of rows) {
    const latest = sources.get(r.source) ?? null
    const at = insertedIdx.has(r.index) ? new Date(r.occurredMs) : null
    sources.set(r.source, at && (!latest || at > latest) ? at : latest)
  }
  await ctx.tx
    .insertInto('activity_batches')
    .values({
      id: batchId,
      received_at: ctx.now,
      actor: JSON.stringify(describeActor(ctx.actor)),
      input_sha256: input.inputSha256,
      counts: JSON.stringify(counts),
      rejections: JSON.stringify(problems.filter((p) => p.code !== 'duplicate')),
    })
    .execute()
  await touchSources(ctx.tx, sources, ctx.now)
  const receipt = await recordAudit(ctx, {
    action: 'activity.ingested',
    basis: input.inputSha256,
    data: {
      batch_id: batchId,
      input_sha256: input.inputSha256,
      sources: [...sources.keys()].sort(),
      counts,
      ...(input.claimedInput ? { claimed_input: input.claimedInput } : {}),
    },
  })
  return audited(
    {
      batch_id: batchId,
      input_sha256: input.inputSha256,
      received: counts.received,
      accepted: counts.accepted,
      duplicate: counts.duplicate,
      rejected: counts.rejected,
      cycles_restarted: counts.cycles_restarted,
      rows: problems,
    },
    [receipt],
  )
}
