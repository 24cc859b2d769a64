// Sends signed checkpoints to the configured witnesses (C2SP tlog-witness) and keeps their cosignatures. A witness
// that fails is retried with backoff; the first failure of a streak raises an alert (one, not one per retry).
import type { Kysely } from 'kysely'
import type { DB } from '../db/types.ts'
import type { Actor } from '../domain/actor.ts'
import { raiseAlert } from './alerts.ts'
import type { WitnessConfig } from './log-config.ts'
import { audited } from './record.ts'
import { type CommandDeps, runCommand } from './run-command.ts'
import { parseVerifierKey } from './tlog/keys.ts'
import { openNote } from './tlog/note.ts'
import { proveConsistency } from './tree-store.ts'
import { submitToWitness, WitnessError } from './witness/client.ts'

export const AUDIT_LOG_ACTOR: Actor = { kind: 'system', component: 'audit-log' }
const MIN_RETRY_MS = 10_000
const MAX_RETRY_MS = 15 * 60_000

export interface WitnessOutcome {
  url: string
  status: 'cosigned' | 'up_to_date' | 'waiting' | 'failed'
  size?: number
  error?: string
}

async function latestCheckpoint(db: Kysely<DB>) {
  return db.selectFrom('audit_checkpoints').select(['size', 'note']).orderBy('size', 'desc').limit(1).executeTakeFirst()
}

/** Offers the latest checkpoint to every witness that has not cosigned it and is not waiting out a failure. */
export async function submitToWitnesses(
  deps: CommandDeps,
  witnesses: readonly WitnessConfig[],
): Promise<WitnessOutcome[]> {
  if (witnesses.length === 0) return []
  const latest = await latestCheckpoint(deps.db)
  if (!latest) return []
  const out: WitnessOutcome[] = []
  for (const w of witnesses) out.push(await submitToOne(deps, w, Number(latest.size), latest.note))
  return out
}

async function submitToOne(deps: CommandDeps, w: WitnessConfig, size: number, note: string): Promise<WitnessOutcome> {
  const { db } = deps
  const now = deps.clock.now()
  const key = parseVerifierKey(w.vkey)
  const keyId = key.keyId.toString('hex')
  const state = await db.selectFrom('log_witnesses').selectAll().where('url', '=', w.url).executeTakeFirst()
  if (!state)
    await db
      .insertInto('log_witnesses')
      .values({ url: w.url, name: key.name, key_id: keyId, updated_at: now })
      .onConflict((oc) => oc.column('url').doNothing())
      .execute()
  const cosigned = await db
    .selectFrom('audit_cosignatures')
    .select('size')
    .where('size', '=', size)
    .where('key_id', '=', keyId)
    .executeTakeFirst()
  if (cosigned) return { url: w.url, status: 'up_to_date', size }
  if (state?.next_attempt_at && new Date(state.next_attempt_at) > now) return { url: w.url, status: 'waiting', size }

  let oldSize = Number(state?.accepted_size ?? 0)
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (oldSize > size)
        throw new WitnessError(409, 'witness_ahead', `the witness holds size ${oldSize}, beyond ours (${size})`)
      const proof = await proveConsistency(db, oldSize, size)
      const result = await submitToWitness(w.url, { oldSize, proof, note }, { witnessVkey: w.vkey })
      if ('conflict' in result) {
        oldSize = result.conflict // the witness holds another size: prove from there, once
        continue
      }
      await storeCosignatures(db, w, key.name, keyId, size, note, result.cosignatures, now)
      await db
        .updateTable('log_witnesses')
        .set({ accepted_size: size, failing_since: null, last_error: null, next_attempt_at: null, updated_at: now })
        .where('url', '=', w.url)
        .execute()
      return { url: w.url, status: 'cosigned', size }
    }
    throw new WitnessError(409, 'witness_conflict', `the witness kept answering with another size (${oldSize})`)
  } catch (err) {
    return recordFailure(deps, w, state?.failing_since ? new Date(state.failing_since) : null, err, size, oldSize)
  }
}

async function storeCosignatures(
  db: Kysely<DB>,
  w: WitnessConfig,
  name: string,
  keyId: string,
  size: number,
  note: string,
  lines: readonly string[],
  now: Date,
): Promise<void> {
  for (const raw of lines) {
    const line = raw.endsWith('\n') ? raw : `${raw}\n`
    const opened = openNote(note + line, [w.vkey])
    const mine = opened.verified.find((v) => v.keyId === keyId && v.timestamp !== undefined)
    if (!mine) continue
    await db
      .insertInto('audit_cosignatures')
      .values({
        size,
        witness: name,
        key_id: keyId,
        cosigned_at: new Date((mine.timestamp as number) * 1000),
        line,
        received_at: now,
      })
      .onConflict((oc) => oc.columns(['size', 'key_id', 'cosigned_at']).doNothing())
      .execute()
  }
}

async function recordFailure(
  deps: CommandDeps,
  w: WitnessConfig,
  failingSince: Date | null,
  err: unknown,
  size: number,
  oldSize: number,
): Promise<WitnessOutcome> {
  const now = deps.clock.now()
  const message = (err as Error).message ?? String(err)
  const failedFor = failingSince ? now.getTime() - failingSince.getTime() : 0
  const retryIn = Math.min(MAX_RETRY_MS, Math.max(MIN_RETRY_MS, failedFor))
  await deps.db
    .updateTable('log_witnesses')
    .set({
      failing_since: failingSince ?? now,
      last_error: message.slice(0, 500),
      next_attempt_at: new Date(now.getTime() + retryIn),
      updated_at: now,
    })
    .where('url', '=', w.url)
    .execute()
  if (!failingSince) {
    // A witness that says our log forked is a risk; one that is down is a warning.
    const code = err instanceof WitnessError ? err.code : 'witness_error'
    const risk = ['witness_fork', 'witness_inconsistent', 'witness_ahead', 'witness_conflict'].includes(code)
    await runCommand(deps, AUDIT_LOG_ACTOR, async (ctx) => {
      const { receipt } = await raiseAlert(ctx, {
        kind: risk ? 'witness_refused_checkpoint' : 'witness_unreachable',
        severity: risk ? 'risk' : 'warning',
        attempt: { witness: w.url, size, old_size: oldSize, error: code, message: message.slice(0, 300) },
      })
      return audited(null, [receipt])
    })
  }
  return { url: w.url, status: 'failed', size, error: message }
}
