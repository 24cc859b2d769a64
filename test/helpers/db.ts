import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import pg from 'pg'
import { inject } from 'vitest'
import { type Database, openDatabase } from '../../src/db/handle.ts'
import { currentSuite } from '../suite.ts'

/** True when this run is the PostgreSQL suite (a schema per database on TEST_DATABASE_URL). */
export function isPostgresSuite(): boolean {
  return currentSuite() === 'postgres'
}

/**
 * A migrated database of its own, acting as the application role. On PGlite a clone of the template that
 * test/global-setup.ts migrated once for the run; on PostgreSQL a fresh schema that close() drops.
 */
export async function openTestDatabase(): Promise<Database> {
  return isPostgresSuite() ? openPostgresSchema() : openPgliteClone()
}

async function openPgliteClone(): Promise<Database> {
  const path = inject('pgliteTemplatePath')
  if (!path) throw new Error('no PGlite template: is test/global-setup.ts the globalSetup of this vitest run?')
  const template = new Blob([await readFile(path)])
  // migrate: true applies nothing on an up-to-date template but still drops to the application role.
  return openDatabase({ loadDataDir: template, migrate: true })
}

async function openPostgresSchema(): Promise<Database> {
  const url = process.env.TEST_DATABASE_URL
  const prefix = inject('pgSchemaPrefix')
  if (!url || !prefix) throw new Error('the postgres suite needs TEST_DATABASE_URL and test/global-setup.ts')
  const schema = `${prefix}${randomBytes(6).toString('hex')}`
  const dropSchema = async () => {
    // The handle's pool acts as the application role, which cannot drop what the owner created.
    const owner = new pg.Client({ connectionString: url })
    await owner.connect()
    try {
      await owner.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    } finally {
      await owner.end()
    }
  }
  let database: Database
  try {
    database = await openDatabase({ url, schema })
  } catch (err) {
    await dropSchema().catch(() => {})
    throw err
  }
  return {
    ...database,
    close: async () => {
      try {
        await database.close()
      } finally {
        await dropSchema()
      }
    },
  }
}
