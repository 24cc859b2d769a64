import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_LOG_KEY_FILE } from '../../src/audit/log-config.ts'
import { audited, recordAudit } from '../../src/audit/record.ts'
import { runCommand } from '../../src/audit/run-command.ts'
import { generateSignerKey } from '../../src/audit/tlog/keys.ts'
import { DEMO_KYC_KEY, loadConfig, productionProblems } from '../../src/config.ts'
import { isSeeded, seedDemo } from '../../src/demo/seed.ts'
import { buildServer } from '../../src/http/server.ts'
import { openApp, refuseDemoAccounts, StartupRefusedError } from '../../src/runtime.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { makeStaff, SYSTEM } from '../helpers/factories.ts'
import { actAsOwnerInThisTransaction } from '../helpers/owner-fixture.ts'

const secretKey = 'k'.repeat(40)
/** A log signing key of the operator's own (the audit log's; the demo key is refused). */
const logKeyFile = join(mkdtempSync(join(tmpdir(), 'numguard-logkey-')), 'log-key.txt')
writeFileSync(logKeyFile, `${generateSignerKey('operator.example/log').skey}\n`)
const demoLogKeyCopy = join(mkdtempSync(join(tmpdir(), 'numguard-logkey-')), 'copied-demo-key.txt')

describe('production mode refuses what is demo-only', () => {
  it('requires PostgreSQL and a KYC key of its own', () => {
    const config = loadConfig({ NUMGUARD_MODE: 'production' })
    expect(productionProblems(config)).toEqual([
      expect.stringContaining('DATABASE_URL is required'),
      expect.stringContaining('NUMGUARD_KYC_KEY must be set'),
      expect.stringContaining('NUMGUARD_LOG_KEY_FILE must name'),
      expect.stringContaining('SMPP_URL is required'),
    ])
    const ready = {
      NUMGUARD_MODE: 'production',
      DATABASE_URL: 'postgres://x/y',
      NUMGUARD_LOG_KEY_FILE: logKeyFile,
      SMPP_URL: 'smpp://numguard:secret@smsc.example:2775',
    }
    expect(productionProblems(loadConfig({ ...ready, NUMGUARD_KYC_KEY: 'short' }))).toEqual([
      expect.stringContaining('at least 32 characters'),
    ])
    expect(productionProblems(loadConfig({ ...ready, NUMGUARD_KYC_KEY: secretKey }))).toEqual([])
    // The published demo log key is refused under any file name.
    writeFileSync(demoLogKeyCopy, readFileSync(DEMO_LOG_KEY_FILE))
    expect(
      productionProblems(loadConfig({ ...ready, NUMGUARD_KYC_KEY: secretKey, NUMGUARD_LOG_KEY_FILE: demoLogKeyCopy })),
    ).toEqual([expect.stringContaining('published demo key')])
    expect(productionProblems(loadConfig({}))).toEqual([])
    expect(loadConfig({}).kycKey).toBe(DEMO_KYC_KEY)
  })

  it('refuses to open the embedded database at all', async () => {
    await expect(
      openApp(loadConfig({ NUMGUARD_MODE: 'production', NUMGUARD_DATA: '/nonexistent/never-created' })),
    ).rejects.toBeInstanceOf(StartupRefusedError)
  })

  it('rejects an unknown mode', () => {
    expect(() => loadConfig({ NUMGUARD_MODE: 'staging' })).toThrow(/demo or production/)
  })
})

describe('a database with demo accounts, and the demo clock', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await openTestApp()
  })
  afterAll(() => t.close())

  it('is accepted until it holds a demo account, then refused', async () => {
    await expect(refuseDemoAccounts(t.database)).resolves.toBeUndefined()
    const staff = await makeStaff(t.app, ['auditor'])
    await runCommand(t.app.deps, SYSTEM, async (ctx) => {
      await actAsOwnerInThisTransaction(ctx.tx) // the demo mark never changes for the application role (037)
      await ctx.tx.updateTable('staff').set({ is_demo: true }).where('id', '=', staff.id).execute()
      return audited(null, [
        await recordAudit(ctx, { action: 'staff.created', after: { staff_id: staff.id, is_demo: true } }),
      ])
    })
    await expect(refuseDemoAccounts(t.database)).rejects.toThrow(/demo staff or demo machine clients/)
  })

  it('never mixes the demo data set into a database that holds records of its own', async () => {
    await makeStaff(t.app, ['inventory_manager'])
    await expect(seedDemo(t.app.deps)).rejects.toMatchObject({ code: 'database_not_empty', status: 409 })
    expect(await isSeeded(t.app.db)).toBe(false)
  })

  it('has no demo endpoints without a movable clock', async () => {
    const production = await buildServer(
      { ...t.app, movableClock: undefined, config: { ...t.app.config, mode: 'production' } },
      { logRequests: false },
    )
    const staff = await makeStaff(t.app, ['agent'])
    const res = await production.server.inject({
      method: 'POST',
      url: '/api/v1/demo/clock/advance',
      headers: { authorization: `Bearer ${staff.token}` },
      payload: { by: '1d' },
    })
    expect(res.statusCode).toBe(404)
    expect(production.routes.some((r) => r.url.startsWith('/api/v1/demo'))).toBe(false)
    const meta = await production.server.inject({ method: 'GET', url: '/api/v1/meta' })
    expect(meta.json()).toMatchObject({ mode: 'production', clock_movable: false })
    await production.server.close()
  })
})
