// Test helpers of the audit log: SQL as the schema owner (a superuser here, as an attacker with full access would
// be), records written the real way, and a server listening for the CLI's HTTP client.
import { sql } from 'kysely'
import pg from 'pg'
import type { TestApp } from '../../test/helpers/app.ts'
import { SYSTEM } from '../../test/helpers/factories.ts'
import { APP_ROLE } from '../db/migrate.ts'
import { type AuditEntry, audited, recordAuditMany } from './record.ts'
import { runCommand } from './run-command.ts'

/** Runs statements as the owner (a superuser in the tests) in the test's schema; returns the last result's rows. */
export async function asOwner(t: TestApp, statements: string): Promise<Record<string, unknown>[]> {
  const pglite = t.database.pglite
  if (pglite) {
    // PGlite's one connection: step out of the application role and back, whatever happens.
    try {
      const results = await pglite.exec(`RESET ROLE; ${statements}`)
      return (results.at(-1)?.rows ?? []) as Record<string, unknown>[]
    } finally {
      await pglite.exec(`SET ROLE ${APP_ROLE}`)
    }
  }
  const schema = (await sql<{ s: string }>`SELECT current_schema() AS s`.execute(t.app.db)).rows[0].s
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL })
  await client.connect()
  try {
    await client.query(`SET search_path TO "${schema}", public`)
    const result = await client.query(statements)
    const last = Array.isArray(result) ? result.at(-1) : result
    return (last?.rows ?? []) as Record<string, unknown>[]
  } finally {
    await client.end()
  }
}

/** Writes `n` records in one command, the way every command does. */
export async function writeRecords(t: TestApp, n: number, data: Record<string, unknown> = {}): Promise<void> {
  const entries: AuditEntry[] = Array.from({ length: n }, (_, i) => ({
    action: 'clock.advanced',
    data: { ...data, i },
  }))
  await runCommand(t.app.deps, SYSTEM, async (ctx) => {
    const receipts = await recordAuditMany(ctx, entries)
    return audited(null, [receipts[0], ...receipts.slice(1)])
  })
}

/** Listens on a free local port (the CLI's commands need a real HTTP server); returns its URL. */
export async function listen(t: TestApp): Promise<string> {
  return t.server.listen({ host: '127.0.0.1', port: 0 })
}
