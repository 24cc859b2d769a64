import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { openDatabase } from '../src/db/handle.ts'
import { currentSuite } from './suite.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    /** pglite/browser suites: path of a tar dump of a freshly migrated PGlite, cloned by openTestDatabase. */
    pgliteTemplatePath: string
    /** postgres suite: this run's schema prefix, `t_<run>_`; teardown drops what is left under it. */
    pgSchemaPrefix: string
  }
}

/** Runs once per `vitest run`, in the main process, before any test file. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  return currentSuite() === 'postgres' ? setupPostgres(project) : setupPglite(project)
}

// Migrating a fresh PGlite costs seconds; cloning a migrated one costs about half a second (STYLE.md, Known traps).
async function setupPglite(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'numguard-template-'))
  const database = await openDatabase({ dataDir: 'memory://' })
  try {
    if (!database.pglite) throw new Error('expected an embedded PGlite for the template')
    const dump = await database.pglite.dumpDataDir('none')
    const path = join(dir, 'template.tar')
    await writeFile(path, new Uint8Array(await dump.arrayBuffer()))
    project.provide('pgliteTemplatePath', path)
  } finally {
    await database.close()
  }
  return async () => {
    await rm(dir, { recursive: true, force: true })
  }
}

// Each run holds a session advisory lock named after its schema prefix for as long as it runs, so a later run can
// tell the schemas of a crashed run (lock free) from those of a run still going (lock held) on a shared server.
async function setupPostgres(project: TestProject): Promise<() => Promise<void>> {
  const url = process.env.TEST_DATABASE_URL
  if (!url) throw new Error('the postgres suite needs TEST_DATABASE_URL')
  const prefix = `t_${randomBytes(4).toString('hex')}_`
  const client = new pg.Client({ connectionString: url })
  // Held for the whole run; losing it must not crash vitest (teardown then reports the failure).
  client.on('error', (err) => console.warn(`numguard global setup: lost its PostgreSQL connection (${err.message})`))
  await client.connect()
  try {
    await client.query(`SELECT pg_advisory_lock(hashtext($1))`, [prefix])
    // Created once here: test files migrating in parallel would otherwise race on CREATE EXTENSION.
    await client.query('CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public')
    await dropAbandonedSchemas(client, prefix)
  } catch (err) {
    await client.end()
    throw err
  }
  project.provide('pgSchemaPrefix', prefix)
  return async () => {
    try {
      await dropSchemas(client, prefix)
    } finally {
      await client.end()
    }
  }
}

async function dropAbandonedSchemas(client: pg.Client, ownPrefix: string): Promise<void> {
  const { rows } = await client.query<{ prefix: string }>(
    `SELECT DISTINCT substring(nspname from '^t_[0-9a-f]{8}_') AS prefix FROM pg_namespace WHERE nspname ~ '^t_[0-9a-f]{8}_'`,
  )
  for (const { prefix } of rows) {
    if (prefix === ownPrefix) continue
    const { rows: lock } = await client.query<{ free: boolean }>(`SELECT pg_try_advisory_lock(hashtext($1)) AS free`, [
      prefix,
    ])
    if (!lock[0].free) continue
    try {
      await dropSchemas(client, prefix)
    } finally {
      await client.query(`SELECT pg_advisory_unlock(hashtext($1))`, [prefix])
    }
  }
}

async function dropSchemas(client: pg.Client, prefix: string): Promise<void> {
  const { rows } = await client.query<{ nspname: string }>(
    'SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)',
    [prefix],
  )
  for (const { nspname } of rows) await client.query(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`)
}
