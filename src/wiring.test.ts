// openApp alone registers every executable request kind and every SMS reply keyword: a worker or a CLI that never
// imports the HTTP routes still executes transfers and answers YES. This file imports no route module.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { testConfig } from '../test/helpers/app.ts'
import { REQUEST_KINDS } from './domain/requests.ts'
import { executorFor } from './requests/executors.ts'
import { openApp } from './runtime.ts'
import { moHandlerFor } from './sms/mo.ts'
import { MO_KEYWORDS } from './sms/mo-parse.ts'

/** Kinds that have no executor yet: they answer kind_not_supported (retirement, batches and port-in). */
const NOT_EXECUTABLE = ['retirement', 'migration_batch', 'port_in']

describe('wiring', () => {
  // openApp migrates a fresh embedded database: on a loaded 2-core machine that alone can take more than 30 s.
  it('registers nothing on import and everything once openApp has run', { timeout: 180_000 }, async () => {
    expect(REQUEST_KINDS.filter((k) => executorFor(k))).toEqual([])
    const dataDir = mkdtempSync(join(tmpdir(), 'numguard-wiring-'))
    const opened = await openApp(testConfig({ dataDir }))
    try {
      expect(REQUEST_KINDS.filter((k) => !executorFor(k))).toEqual(NOT_EXECUTABLE)
      expect(MO_KEYWORDS.filter((k) => !moHandlerFor(k))).toEqual([])
    } finally {
      await opened.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
