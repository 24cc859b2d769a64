// An empty scratch database as its schema owner, for tests that build a schema migration by migration: a fresh
// schema on the PostgreSQL suite's server, or an in-memory PGlite.
import { randomBytes } from 'node:crypto'
import { PGlite } from '@electric-sql/pglite'
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist'
import pg from 'pg'
import { type Database, openDatabase } from '../../src/db/handle.ts'
import type { OwnerConnection } from '../../src/db/migrate.ts'
import { isPostgresSuite } from '../helpers/db.ts'

export interface ScratchOwner extends OwnerConnection {
  /** The app-role database on this schema. */
  open(): Promise<Database>
  close(): Promise<void>
}

export async function scratchOwner(prefix: string): Promise<ScratchOwner> {
  if (isPostgresSuite()) {
    const url = process.env.TEST_DATABASE_URL as string
    const schema = `${prefix}_${randomBytes(6).toString('hex')}`
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    await client.query(`CREATE SCHEMA "${schema}"`)
    await client.query(`SET search_path TO "${schema}", public`)
    return {
      exec: async (sql) => void (await client.query(sql)),
      query: async (sql, params) => (await client.query(sql, params)).rows,
      open: () => openDatabase({ url, schema }),
      close: async () => {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
        await client.end()
      },
    }
  }
  const pglite = await PGlite.create({ dataDir: 'memory://', extensions: { btree_gist } })
  return {
    exec: async (sql) => void (await pglite.exec(sql)),
    query: async (sql, params) => (await pglite.query(sql, params)).rows as never,
    // PGlite has one connection: the app opens a copy of the data directory.
    open: async () => openDatabase({ loadDataDir: await pglite.dumpDataDir('none'), migrate: true }),
    close: () => pglite.close(),
  }
}
