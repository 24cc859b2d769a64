// GET /healthz: which dependency is down. The database is the only one the server cannot work without (503
// 'unavailable', so a load balancer takes this instance out); an SMSC outage or a failing audit signer is 200
// 'degraded': every other instance has the same SMSC, and pulling them all out of rotation would stop the lookups
// and sales that do not need an SMS.
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import type { App } from '../app.ts'
import { signerFor } from '../audit/index.ts'

/** A database that does not answer within this is as good as down for a health check. */
const DATABASE_TIMEOUT_MS = 2_000

export interface HealthReport {
  status: 'ok' | 'degraded' | 'unavailable'
  mode: string
  checks: {
    database: { ok: boolean; kind: string; error?: string }
    smsc: { ok: boolean; linked: boolean; bound: boolean | null; down_since: string | null; reason: string | null }
    audit_signer: { ok: boolean; key_loaded: boolean; last_checkpoint_at: string | null; error?: string }
  }
}

export function installHealth(server: FastifyInstance, app: App): void {
  server.get(
    '/healthz',
    {
      config: { access: { auth: 'public' } },
      schema: {
        tags: ['system'],
        summary: 'Liveness and the state of each dependency: database, SMSC, audit signer',
        description:
          '503 `unavailable` when the database is down; 200 `degraded` when the SMSC bind or the audit signer is ' +
          'down (the server still answers everything that needs neither); 200 `ok` otherwise.',
      },
    },
    async (_request, reply) => {
      const report = await checkHealth(app)
      return reply.code(report.status === 'unavailable' ? 503 : 200).send(report)
    },
  )
}

export async function checkHealth(app: App): Promise<HealthReport> {
  const database = await checkDatabase(app)
  const smsc = checkSmsc(app)
  const auditSigner = await checkAuditSigner(app, database.ok)
  const status = !database.ok ? 'unavailable' : smsc.ok && auditSigner.ok ? 'ok' : 'degraded'
  return { status, mode: app.config.mode, checks: { database, smsc, audit_signer: auditSigner } }
}

async function checkDatabase(app: App): Promise<HealthReport['checks']['database']> {
  const kind = app.database.kind
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), DATABASE_TIMEOUT_MS)
  })
  try {
    await Promise.race([sql`SELECT 1`.execute(app.db), timeout])
    return { ok: true, kind }
  } catch (err) {
    return { ok: false, kind, error: (err as Error).message === 'timeout' ? 'timeout' : 'unreachable' }
  } finally {
    clearTimeout(timer)
  }
}

/** A process without an SMS link (a CLI's short-lived server) does not depend on the SMSC: ok, linked false. */
function checkSmsc(app: App): HealthReport['checks']['smsc'] {
  const link = app.sms
  if (!link) return { ok: true, linked: false, bound: null, down_since: null, reason: null }
  const state = link.health.state()
  return {
    ok: state.bound,
    linked: true,
    bound: state.bound,
    down_since: state.downSince?.toISOString() ?? null,
    reason: state.reason,
  }
}

/**
 * The signing key loads, and the signer has not refused since the last checkpoint it signed: a refusal raises a
 * `checkpoint_refused` alert (once per streak), so an alert newer than the latest checkpoint means it is still failing.
 */
async function checkAuditSigner(app: App, databaseOk: boolean): Promise<HealthReport['checks']['audit_signer']> {
  try {
    signerFor(app)
  } catch (err) {
    // The reason (a path, a parse error) goes to the log, not to an unauthenticated caller.
    app.logger.error({ err }, 'healthz: the audit log signing key cannot be loaded')
    return { ok: false, key_loaded: false, last_checkpoint_at: null, error: 'signing_key_unavailable' }
  }
  if (!databaseOk) return { ok: true, key_loaded: true, last_checkpoint_at: null }
  try {
    const last = await app.db
      .selectFrom('audit_checkpoints')
      .select('signed_at')
      .orderBy('size', 'desc')
      .limit(1)
      .executeTakeFirst()
    const lastAt = last ? new Date(last.signed_at) : null
    let refusals = app.db.selectFrom('alerts').select('id').where('kind', '=', 'checkpoint_refused')
    if (lastAt) refusals = refusals.where('raised_at', '>', lastAt)
    const refused = await refusals.limit(1).executeTakeFirst()
    const lastCheckpointAt = lastAt?.toISOString() ?? null
    return refused
      ? { ok: false, key_loaded: true, last_checkpoint_at: lastCheckpointAt, error: 'checkpoint_refused' }
      : { ok: true, key_loaded: true, last_checkpoint_at: lastCheckpointAt }
  } catch {
    // The database went away between the two checks: its own check reports it next time.
    return { ok: true, key_loaded: true, last_checkpoint_at: null }
  }
}
