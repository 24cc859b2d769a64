// PostgreSQL only (the pglite suite leaves *.pg.test.ts out): the schema-per-database that openTestDatabase makes there.
import { sql } from 'kysely'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { openTestDatabase } from './db.ts'

describe('openTestDatabase on postgres', () => {
  it('works in a schema of its own and drops it on close', async () => {
    const database = await openTestDatabase()
    const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(database.db)
    const schema = rows[0].schema
    expect(schema).toMatch(/^t_[0-9a-f]{8}_[0-9a-f]{12}$/)
    await database.close()

    const owner = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL })
    await owner.connect()
    try {
      const left = await owner.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])
      expect(left.rowCount).toBe(0)
    } finally {
      await owner.end()
    }
  })
})
