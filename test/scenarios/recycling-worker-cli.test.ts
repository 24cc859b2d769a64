// `numguard worker` is for PostgreSQL: on the embedded database (one process's) it refuses, saying why.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cliEnv, numguard } from '../cli/support.ts'

describe('numguard worker', () => {
  it('refuses the embedded database, naming DATABASE_URL, and exits 1 without touching the data directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'numguard-worker-'))
    try {
      const run = await numguard(['worker', '--once'], cliEnv({ NUMGUARD_DATA: dir }))
      expect(run.code).toBe(1)
      expect(run.stderr.trim()).toBe(
        'numguard: numguard worker runs on PostgreSQL only (set DATABASE_URL): two processes on one embedded ' +
          'database would corrupt it, and `numguard serve` already runs the worker inside the server',
      )
      expect(run.stdout).toBe('')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
