import { PGlite } from '@electric-sql/pglite'
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist'
import { CompiledQuery, type DatabaseConnection, Kysely, PGliteDialect, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { isConnectionFailure } from './errors.ts'
import { APP_ROLE, migrate, type OwnerConnection } from './migrate.ts'
import type { DB } from './types.ts'

export type DatabaseKind = 'pglite' | 'postgres'

export interface DatabaseOptions {
  /** PostgreSQL URL of the application role; absent means the embedded PGlite. */
  url?: string
  /** PostgreSQL URL of the owner that runs migrations (defaults to `url`). */
  migrationUrl?: string
  /** PGlite data directory, or `memory://`. */
  dataDir?: string
  /** PGlite only: start from a migrated data directory dump (tests clone a template this way). */
  loadDataDir?: Blob
  /** A schema of its own (tests on PostgreSQL use one per test file). */
  schema?: string
  migrate?: boolean
  poolSize?: number
  /** PostgreSQL only: the application_name of every connection (pg_stat_activity); default PGAPPNAME or `numguard`. */
  applicationName?: string
  /** PostgreSQL only: how long a query waits for a connection before it fails as database_unavailable. */
  connectTimeoutMs?: number
}

export interface Database {
  db: Kysely<DB>
  kind: DatabaseKind
  /** The PGlite instance, for dumps; absent on PostgreSQL. */
  pglite?: PGlite
  close(): Promise<void>
}

// `date` stays a YYYY-MM-DD string on both drivers (pg would make it local midnight, PGlite UTC midnight);
// int8 counts become numbers (every int8 we store is far below 2^53).
const PARSERS: Record<number, (v: string) => unknown> = { 1082: (v) => v, 20: (v) => Number(v) }

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.url ? openPostgres(options) : openPglite(options)
}

async function openPglite(options: DatabaseOptions): Promise<Database> {
  const pglite = await PGlite.create({
    dataDir: options.dataDir ?? 'memory://',
    loadDataDir: options.loadDataDir,
    extensions: { btree_gist },
    parsers: PARSERS,
  })
  const owner: OwnerConnection = {
    exec: async (sql) => void (await pglite.exec(sql)),
    query: async (sql, params) => (await pglite.query(sql, params)).rows as never,
  }
  try {
    if (options.migrate !== false) await migrate(owner)
    // PGlite's one connection is a superuser: drop to the application role so grants and triggers bite.
    await pglite.exec(`SET ROLE ${APP_ROLE}`)
  } catch (err) {
    await pglite.close()
    throw err
  }
  const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) })
  return {
    db,
    kind: 'pglite',
    pglite,
    close: async () => {
      await db.destroy()
      if (!pglite.closed) await pglite.close()
    },
  }
}

async function openPostgres(options: DatabaseOptions): Promise<Database> {
  const searchPath = options.schema ? `"${options.schema}", public` : undefined
  if (options.migrate !== false) {
    const client = new pg.Client({ connectionString: options.migrationUrl ?? options.url })
    // A server that goes away mid-migration fails the statement in flight; unheard, its 'error' would end the process.
    client.on('error', () => {})
    await client.connect()
    try {
      if (options.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`)
      if (searchPath) await client.query(`SET search_path TO ${searchPath}`)
      await migrate({
        exec: async (sql) => void (await client.query(sql)),
        query: async (sql, params) => (await client.query(sql, params)).rows,
      })
    } finally {
      await client.end()
    }
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    application_name: options.applicationName ?? process.env.PGAPPNAME ?? 'numguard',
    // A database that does not answer (a dropped network, not a refusal) fails requests as 503s instead of holding
    // them until the kernel gives up on the socket. Also bounds the wait for a free connection.
    connectionTimeoutMillis: options.connectTimeoutMs ?? 30_000,
    types: {
      getTypeParser: (oid: number, format?: string) => PARSERS[oid] ?? pg.types.getTypeParser(oid, format as 'text'),
    },
  })
  // Every connection acts as the application role, whatever login the URL names. Kysely awaits this hook before it
  // hands a new connection out, so a connection whose SET ROLE failed is never used: the error reaches the caller.
  const setup = [`SET ROLE ${APP_ROLE}`, ...(searchPath ? [`SET search_path TO ${searchPath}`] : [])]
  // Kysely does not give the hook the pg client behind a connection; find it by backend pid to discard it.
  const byPid = new Map<number, pg.PoolClient>()
  const pidOf = (client: pg.PoolClient) => (client as pg.PoolClient & { processID?: number | null }).processID
  pool.on('connect', (client) => {
    const pid = pidOf(client)
    if (pid) byPid.set(pid, client)
    // A checked-out client whose server went away (restart, pg_terminate_backend) emits 'error' on itself, and the
    // pool listens only while the client is idle: without this listener that would end the process. The query in
    // flight fails on its own (database_unavailable, see errors.ts) and the pool discards the broken client.
    client.on('error', (err) => console.error(`numguard: a database connection was closed (${err.message})`))
  })
  // An idle client's error also reaches the pool, which drops the client; the listener above has logged it, and
  // without a listener here the pool's 'error' would end the process. The next query opens a new connection.
  pool.on('error', () => {})
  pool.on('remove', (client) => {
    const pid = pidOf(client)
    if (pid) byPid.delete(pid)
  })
  const onCreateConnection = async (connection: DatabaseConnection) => {
    try {
      for (const statement of setup) await connection.executeQuery(CompiledQuery.raw(statement))
    } catch (err) {
      // The server went away mid-setup: that is an outage (503), not a missing grant; the pool drops the client.
      if (isConnectionFailure(err)) throw err
      const reason = new Error(
        `numguard: cannot ${setup.join('; ')} (${(err as Error).message}); grant ${APP_ROLE} to the login in DATABASE_URL`,
        { cause: err },
      )
      // Never returned to the pool: released with an error, the pool closes it (and pool.end() does not wait for it).
      const pid = await connection
        .executeQuery<{ pid: number }>(CompiledQuery.raw('SELECT pg_backend_pid() AS pid'))
        .then((r) => r.rows[0]?.pid)
        .catch(() => undefined)
      const client = pid === undefined ? undefined : byPid.get(pid)
      if (client) {
        byPid.delete(pid as number)
        client.release(reason)
      }
      throw reason
    }
  }
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool, onCreateConnection }) })
  const who = await sql<{ role: string }>`SELECT current_user AS role`.execute(db).catch(async (err) => {
    await db.destroy()
    throw err
  })
  if (who.rows[0]?.role !== APP_ROLE) {
    await db.destroy()
    throw new Error(`numguard must run as ${APP_ROLE}; the login in DATABASE_URL could not take that role`)
  }
  return { db, kind: 'postgres', close: () => db.destroy() }
}
