import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url))
export const APP_ROLE = 'numguard_app'

/** The little a migration needs from a connection that owns the schema. */
export interface OwnerConnection {
  exec(sql: string): Promise<void>
  query<T>(sql: string, params?: unknown[]): Promise<T[]>
}

export async function listMigrations(): Promise<{ version: string; sql: string }[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f)).sort()
  return Promise.all(
    files.map(async (f) => ({ version: f.replace(/\.sql$/, ''), sql: await readFile(MIGRATIONS_DIR + f, 'utf8') })),
  )
}

/**
 * Applies pending migrations as the schema owner, one transaction each, under a transaction-scoped advisory lock
 * so that two processes starting together on PostgreSQL do not both migrate.
 */
export async function migrate(
  conn: OwnerConnection,
  onApplied: (version: string) => void = () => {},
  /** Stop after this version: the upgrade test builds a released schema this way. */
  options: { until?: string } = {},
): Promise<string[]> {
  await ensureAppRole(conn)
  await conn.exec(
    `CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
  )
  await conn.exec(`DO $$ BEGIN EXECUTE format('GRANT USAGE ON SCHEMA %I TO ${APP_ROLE}', current_schema()); END $$`)
  const applied: string[] = []
  const migrations = (await listMigrations()).filter((m) => !options.until || m.version <= options.until)
  for (const m of migrations) {
    await conn.exec('BEGIN')
    try {
      await conn.query(`SELECT pg_advisory_xact_lock(hashtext('numguard.migrate.' || current_schema()))`)
      const done = await conn.query<{ version: string }>('SELECT version FROM schema_migrations WHERE version = $1', [
        m.version,
      ])
      if (done.length === 0) {
        await conn.exec(m.sql)
        await conn.query('INSERT INTO schema_migrations (version) VALUES ($1)', [m.version])
        applied.push(m.version)
        onApplied(m.version)
      }
      await conn.exec('COMMIT')
    } catch (err) {
      await conn.exec('ROLLBACK')
      throw err
    }
  }
  return applied
}

async function ensureAppRole(conn: OwnerConnection): Promise<void> {
  // Roles are cluster-wide; parallel test files may race to create it.
  await conn.exec(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${APP_ROLE}') THEN CREATE ROLE ${APP_ROLE} NOLOGIN; END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END $$`)
  await conn.exec(`DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`)
}
