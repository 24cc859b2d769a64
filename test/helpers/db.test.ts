import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../../src/db/handle.ts'
import { isPostgresSuite, openTestDatabase } from './db.ts'

describe(`openTestDatabase (${isPostgresSuite() ? 'postgres' : 'pglite'})`, () => {
  let database: Database
  beforeAll(async () => {
    database = await openTestDatabase()
  })
  afterAll(async () => {
    await database?.close()
  })

  it('acts as the application role, not the owner', async () => {
    const { rows } = await sql<{ role: string }>`SELECT current_user AS role`.execute(database.db)
    expect(rows[0].role).toBe('numguard_app')
  })

  it('is migrated', async () => {
    const { rows } = await sql<{ missing: string[] }>`
      SELECT coalesce(array_agg(t), '{}') AS missing
      FROM unnest(ARRAY['schema_migrations', 'settings', 'numbers', 'audit_records']) AS t
      WHERE to_regclass(t) IS NULL`.execute(database.db)
    expect(rows[0].missing).toEqual([])
  })

  it('is the kind the suite asks for', () => {
    expect(database.kind).toBe(isPostgresSuite() ? 'postgres' : 'pglite')
  })

  it('does not share rows with another test database', async () => {
    const other = await openTestDatabase()
    try {
      await database.db
        .insertInto('settings')
        .values({ key: 'isolation.probe', value: JSON.stringify(1) })
        .execute()
      const seen = await other.db.selectFrom('settings').select('key').where('key', '=', 'isolation.probe').execute()
      expect(seen).toEqual([])
    } finally {
      await other.close()
    }
  })
})
