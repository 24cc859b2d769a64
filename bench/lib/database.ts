// The database a benchmark runs on: PostgreSQL in a fresh schema of its own when DATABASE_URL is set,
// otherwise an embedded PGlite in memory. Either way the handle acts as the application role, like the server.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { type Database, openDatabase } from '../../src/db/handle.ts'
import { APP_ROLE } from '../../src/db/migrate.ts'

export interface BenchDatabase {
  /** The application's handle (role numguard_app), migrated. */
  database: Database
  /** Which database this is, for the report (no password). */
  label: string
  /** Runs SQL as the schema owner (DDL, grants, CHECKPOINT); never call it inside a transaction of `database`. */
  asOwner(sql: string): Promise<void>
  /** Closes the handle; on PostgreSQL drops the bench schema through the owner connection. */
  close(): Promise<void>
}

export async function openBenchDatabase(bench: string): Promise<BenchDatabase> {
  const url = process.env.DATABASE_URL
  return url ? openPostgresSchema(url, bench) : openPgliteMemory()
}

async function openPgliteMemory(): Promise<BenchDatabase> {
  const database = await openDatabase({ dataDir: 'memory://' })
  const pglite = database.pglite
  if (!pglite) throw new Error('expected a PGlite handle')
  const version = (await pglite.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0].v
  return {
    database,
    label: `PGlite ${version} (memory://)`,
    // PGlite has one connection, which the handle left as the application role.
    asOwner: async (sql) => void (await pglite.exec(`RESET ROLE; ${sql}; SET ROLE ${APP_ROLE}`)),
    close: () => database.close(),
  }
}

async function openPostgresSchema(url: string, bench: string): Promise<BenchDatabase> {
  const schema = `bench_${bench.replace(/[^a-z0-9]/g, '_')}_${randomBytes(4).toString('hex')}`
  const owner = new pg.Client({ connectionString: url })
  await owner.connect()
  const drop = async () => {
    await owner.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await owner.end()
  }
  let database: Database
  try {
    database = await openDatabase({ url, schema })
    await owner.query(`SET search_path TO "${schema}", public`)
  } catch (err) {
    await drop().catch(() => {})
    throw err
  }
  const where = new URL(url)
  const version = (await owner.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0].v
  return {
    database,
    label: `PostgreSQL ${version} at ${where.hostname}:${where.port || 5432}${where.pathname}, schema ${schema}`,
    asOwner: async (sql) => void (await owner.query(sql)),
    close: async () => {
      try {
        await database.close()
      } finally {
        await drop()
      }
    },
  }
}
