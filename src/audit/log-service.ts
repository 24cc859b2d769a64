// Keeps the log moving: integrates queued records, signs a checkpoint when the tree grew (and at least daily),
// offers it to the witnesses. Runs promptly after commands in the server (with a slow idle safety pass), and in the
// worker pass.

import type { App } from '../app.ts'
import { raiseAlert } from './alerts.ts'
import { type AuditLogConfig, loadAuditLogConfig } from './log-config.ts'
import { audited, recordAudit } from './record.ts'
import { runCommand } from './run-command.ts'
import { type LogSigner, loadSigner, SignerRefusal, signLatestCheckpoint } from './signer.ts'
import { integrateAll } from './tree-store.ts'
import { AUDIT_LOG_ACTOR, submitToWitnesses, type WitnessOutcome } from './witnesses.ts'

const DAY_MS = 86_400_000
/** How often witnesses are retried when nothing new was signed. */
const WITNESS_RETRY_MS = 5_000
/**
 * At most one checkpoint a second per process under load: leaves are integrated (and provable against the tree)
 * at once; a burst of commands shares one signature instead of one per pass.
 */
const CHECKPOINT_INTERVAL_MS = 1_000

export interface AuditLogPass {
  integrated: number
  size: number
  /** The size signed in this pass, if any. */
  checkpoint?: number
  heartbeat: boolean
  witnesses: WitnessOutcome[]
  /** True when signing waited for the checkpoint interval: a later pass signs. */
  unsigned: boolean
}

const signers = new WeakMap<App, LogSigner>()
const witnessCheckedAt = new WeakMap<App, number>()
const signedAt = new WeakMap<App, number>()
/** Apps whose signer refused since it last signed: one alert per streak (the alert's own leaf grows the tree). */
const refusalAlerted = new WeakSet<App>()

export function auditLogConfig(app: App): AuditLogConfig {
  return app.config.auditLog ?? loadAuditLogConfig({})
}

/** The app's signer, loaded once from the key file its configuration names. */
export function signerFor(app: App): LogSigner {
  let signer = signers.get(app)
  if (!signer) {
    const config = auditLogConfig(app)
    signer = loadSigner({ keyFile: config.keyFile, origin: config.origin })
    signers.set(app, signer)
  }
  return signer
}

/**
 * One pass: integrate everything queued, sign what grew (or a daily heartbeat), offer it to the witnesses. With
 * `throttle` (the server's loop) a checkpoint is signed at most once per CHECKPOINT_INTERVAL_MS; a later pass
 * signs what this one left.
 */
export async function runAuditLogPass(app: App, options: { throttle?: boolean } = {}): Promise<AuditLogPass> {
  const signer = signerFor(app)
  const config = auditLogConfig(app)
  let integrated = await integrateAll(app.db)
  const heartbeat = await recordHeartbeatIfDue(app, integrated.newSize)
  if (heartbeat) integrated = { ...integrated, ...(await integrateAll(app.db)) }
  let signed: number | undefined
  const waitToSign = options.throttle && performance.now() - (signedAt.get(app) ?? -Infinity) < CHECKPOINT_INTERVAL_MS
  try {
    signed = waitToSign ? undefined : (await signLatestCheckpoint(app.db, signer, app.clock.now()))?.size
    if (signed !== undefined) {
      signedAt.set(app, performance.now())
      refusalAlerted.delete(app)
    }
  } catch (err) {
    if (err instanceof SignerRefusal) await alertRefusal(app, err)
    throw err
  }
  let witnesses: WitnessOutcome[] = []
  const last = witnessCheckedAt.get(app) ?? 0
  if (config.witnesses.length > 0 && (signed !== undefined || performance.now() - last >= WITNESS_RETRY_MS)) {
    witnessCheckedAt.set(app, performance.now())
    witnesses = await submitToWitnesses(app.deps, config.witnesses)
  }
  return {
    integrated: integrated.integrated,
    size: integrated.newSize,
    checkpoint: signed,
    heartbeat,
    witnesses,
    unsigned: waitToSign === true,
  }
}

/**
 * A checkpoint at least daily: when the last one is a day old and nothing happened since, a heartbeat leaf makes
 * the tree grow so the next checkpoint (and its cosignatures) shows the log was alive and unchanged until then.
 */
async function recordHeartbeatIfDue(app: App, size: number): Promise<boolean> {
  const last = await app.db
    .selectFrom('audit_checkpoints')
    .select(['size', 'signed_at'])
    .orderBy('size', 'desc')
    .limit(1)
    .executeTakeFirst()
  if (!last || Number(last.size) !== size) return false
  const now = app.clock.now()
  if (now.getTime() - new Date(last.signed_at).getTime() < DAY_MS) return false
  await runCommand(app.deps, AUDIT_LOG_ACTOR, async (ctx) =>
    audited(null, [
      await recordAudit(ctx, {
        action: 'audit.heartbeat',
        data: { size, last_checkpoint_at: new Date(last.signed_at).toISOString() },
      }),
    ]),
  )
  return true
}

async function alertRefusal(app: App, err: SignerRefusal): Promise<void> {
  if (refusalAlerted.has(app)) return
  refusalAlerted.add(app)
  await runCommand(app.deps, AUDIT_LOG_ACTOR, async (ctx) => {
    const { receipt } = await raiseAlert(ctx, {
      kind: 'checkpoint_refused',
      severity: 'risk',
      attempt: { error: err.code, message: err.message.slice(0, 500) },
    })
    return audited(null, [receipt])
  }).catch((e) => app.logger.error({ err: e }, 'could not raise the checkpoint_refused alert'))
}

export interface AuditLogService {
  /** Asks for a pass soon (coalesced): called after every command that recorded something. */
  poke(): void
  /** Resolves when no pass is running or asked for (neither the idle safety pass nor a retry after a failure counts). */
  idle(): Promise<void>
  stop(): Promise<void>
}

/** When nothing pokes the log (records written by another process or raw SQL; witness retries; the daily heartbeat). */
export const IDLE_PASS_MS = 5_000
/** A failed pass is retried after this, doubling up to the idle interval. */
const RETRY_MS = 250

/**
 * Event-driven: a pass runs `debounceMs` after each command that recorded something (deps.onAudited), back to back
 * while commands keep coming, when the checkpoint interval ends with leaves left unsigned, and after a failure
 * (backing off). Otherwise one safety pass `idleMs` after the last one — an idle server costs a few queries every
 * few seconds, not a pass every 250 ms. Never two passes at once in this process; other processes on the same
 * database wait on the integration lock. Errors are logged once a minute at most.
 */
export function startAuditLog(
  app: App,
  options: { idleMs?: number; debounceMs?: number; onPass?: (outcome: AuditLogPass | Error) => void } = {},
): AuditLogService {
  const idleMs = options.idleMs ?? IDLE_PASS_MS
  const debounceMs = options.debounceMs ?? 20
  let running: Promise<void> | undefined
  let again = false
  let stopped = false
  let failures = 0
  let soon: NodeJS.Timeout | undefined
  let soonAt = Number.POSITIVE_INFINITY
  let safety: NodeJS.Timeout | undefined
  /** Integrated but not yet signed (checkpoint interval): a pass is due when the interval ends. */
  let unsigned = false
  let lastError = { message: '', at: 0 }

  const run = (): Promise<void> => {
    if (running) {
      again = true
      return running
    }
    if (safety) clearTimeout(safety)
    safety = undefined
    running = (async () => {
      do {
        again = false
        try {
          const pass = await runAuditLogPass(app, { throttle: true })
          failures = 0
          options.onPass?.(pass)
          if (pass.checkpoint !== undefined || !pass.unsigned) unsigned = false
          if (pass.unsigned && pass.integrated > 0) unsigned = true
          // Left unsigned for the checkpoint interval: a pass is due when it ends, whatever else happens.
          if (unsigned) poke(CHECKPOINT_INTERVAL_MS)
        } catch (err) {
          const message = (err as Error).message
          if (message !== lastError.message || performance.now() - lastError.at > 60_000) {
            app.logger.error({ err }, 'audit log pass failed')
            lastError = { message, at: performance.now() }
          }
          // Queued records wait on this: retry soon, backing off while the failure lasts.
          poke(Math.min(idleMs, RETRY_MS * 2 ** failures++))
          options.onPass?.(err as Error)
        }
      } while (again && !stopped)
    })().finally(() => {
      running = undefined
      armSafety()
    })
    return running
  }
  /** Schedules a pass in `delayMs`, unless one is already due sooner. */
  function poke(delayMs = debounceMs) {
    const at = performance.now() + delayMs
    if (stopped || at >= soonAt) return
    if (soon) clearTimeout(soon)
    soonAt = at
    soon = setTimeout(() => {
      soon = undefined
      soonAt = Number.POSITIVE_INFINITY
      if (!stopped) void run()
    }, delayMs)
    soon.unref()
  }
  /** The idle safety pass: `idleMs` after the last pass ended; any pass before then pushes it back. */
  function armSafety() {
    if (stopped) return
    if (safety) clearTimeout(safety)
    safety = setTimeout(() => {
      safety = undefined
      if (!stopped) void run()
    }, idleMs)
    safety.unref()
  }
  const previous = app.deps.onAudited
  app.deps.onAudited = () => {
    previous?.()
    poke()
  }
  void run()
  return {
    poke: () => poke(),
    idle: async () => {
      for (;;) {
        if (running) await running
        // A retry after a failure is not waited for: the caller goes on as it did before the log failed.
        else if (soon && failures === 0) await new Promise((r) => setTimeout(r, debounceMs))
        else return
      }
    },
    stop: async () => {
      stopped = true
      if (soon) clearTimeout(soon)
      if (safety) clearTimeout(safety)
      soon = undefined
      safety = undefined
      app.deps.onAudited = previous
      await running
    },
  }
}
