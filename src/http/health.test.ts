// /healthz names the dependency that is down: the database (503), the audit signer (200 degraded); the SMSC's part is
// in src/sms/smsc-health.test.ts, against a real simulator.
import { createServer } from 'node:net'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { raiseAlert } from '../audit/alerts.ts'
import { runAuditLogPass } from '../audit/log-service.ts'
import { audited } from '../audit/record.ts'
import { runCommand } from '../audit/run-command.ts'
import type { DB } from '../db/types.ts'

let t: TestApp
beforeAll(async () => {
  t = await openTestApp()
})
afterAll(() => t?.close())

async function health(app: TestApp = t) {
  const res = await app.server.inject({ method: 'GET', url: '/healthz' })
  return { code: res.statusCode, body: res.json() }
}

/** A port nothing listens on: a database there refuses every connection. */
async function closedPort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()))
  const { port } = probe.address() as { port: number }
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return port
}

describe('GET /healthz', () => {
  it('says ok with each check when everything is up (no SMS link in this process: the SMSC is not its dependency)', async () => {
    await runAuditLogPass(t.app)
    const { code, body } = await health()
    expect(code).toBe(200)
    expect(body).toMatchObject({
      status: 'ok',
      mode: 'demo',
      checks: {
        database: { ok: true, kind: t.app.database.kind },
        smsc: { ok: true, linked: false, bound: null },
        audit_signer: { ok: true, key_loaded: true },
      },
    })
    expect(body.checks.audit_signer.last_checkpoint_at).toBe(t.clock.now().toISOString())
  })

  it('answers 503 unavailable naming the database when it refuses connections, and recovers with it', async () => {
    const real = t.app.db
    const refusing = new Kysely<DB>({
      dialect: new PostgresDialect({
        pool: new pg.Pool({ host: '127.0.0.1', port: await closedPort(), user: 'x', connectionTimeoutMillis: 1000 }),
      }),
    })
    t.app.db = refusing
    try {
      const { code, body } = await health()
      expect(code).toBe(503)
      expect(body).toMatchObject({
        status: 'unavailable',
        checks: { database: { ok: false, error: 'unreachable' }, audit_signer: { key_loaded: true } },
      })
    } finally {
      t.app.db = real
      await refusing.destroy()
    }
    expect((await health()).body.status).toBe('ok')
  })

  it('is degraded, naming the audit signer, while a checkpoint refusal is newer than the last checkpoint', async () => {
    t.clock.advance(60_000)
    await runCommand(t.app.deps, { kind: 'system', component: 'audit-log' }, async (ctx) => {
      const { receipt } = await raiseAlert(ctx, {
        kind: 'checkpoint_refused',
        severity: 'risk',
        attempt: { error: 'checkpoint_refused', message: 'test' },
      })
      return audited(null, [receipt])
    })
    const { code, body } = await health()
    expect(code).toBe(200)
    expect(body).toMatchObject({
      status: 'degraded',
      checks: { database: { ok: true }, audit_signer: { ok: false, error: 'checkpoint_refused' } },
    })
    // The signer signs again (the tree grew by the alert's own record): healthy again.
    t.clock.advance(1000)
    expect((await runAuditLogPass(t.app)).checkpoint).toBeDefined()
    expect((await health()).body).toMatchObject({ status: 'ok', checks: { audit_signer: { ok: true } } })
  })

  it('is degraded, naming the audit signer, when its key cannot be loaded', async () => {
    const other = await openTestApp({
      auditLog: { keyFile: '/nonexistent/log.key', origin: 'test/log', witnesses: [], personalRetentionDays: 1825 },
    })
    try {
      const { code, body } = await health(other)
      expect(code).toBe(200)
      expect(body).toMatchObject({
        status: 'degraded',
        checks: {
          database: { ok: true },
          audit_signer: { ok: false, key_loaded: false, error: 'signing_key_unavailable' },
        },
      })
      expect(JSON.stringify(body)).not.toContain('/nonexistent') // no paths to an unauthenticated caller
    } finally {
      await other.close()
    }
  })
})
