// A database of the previous release, with data in it, upgrades: migrations 001–020 (what release 1 shipped), its
// own demo data (release-1-demo.sql.gz, made by release 1's seed and 40 demo days, with its signed audit log), then
// every later migration. Nothing is lost, the lawful paths still work on the old rows, and the whole log — the old
// release's leaves and the new ones — still verifies offline. When a release lands, its last migration becomes
// RELEASE_LAST and its data the fixture (see README, Tests).
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeBundle } from '../../src/audit/bundle.ts'
import { runAuditLogPass, signerFor } from '../../src/audit/log-service.ts'
import { problemText, verifyBundle } from '../../src/audit/verify/index.ts'
import { Api } from '../../src/cli/api-client.ts'
import { apiBundleSource } from '../../src/cli/audit.ts'
import { listMigrations, migrate, type OwnerConnection } from '../../src/db/migrate.ts'
import { runDueWork } from '../../src/worker/loop.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { makeStaff, newSubscriber } from '../helpers/factories.ts'
import { type ScratchOwner, scratchOwner } from './scratch-owner.ts'

const RELEASE_LAST = '020_audit_log'
/** Rows the release's migrations load themselves; the fixture carries them as the release left them. */
const MIGRATION_ROWS = [
  'request_kind_rules',
  'request_kind_consents',
  'number_transitions',
  'recycling_policies',
  'audit_log_state',
  'audit_tree_heads',
]
/** Well after the fixture's last demo day (2027-01-16): the clock never goes backwards over stored ranges. */
const AFTER_FIXTURE = '2027-02-01T03:00:00.000Z'
const TABLES = ['numbers', 'custodies', 'sim_bindings', 'subscribers', 'staff', 'audit_leaves', 'requests']

async function counts(owner: OwnerConnection): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const t of TABLES) out[t] = Number((await owner.query<{ n: string }>(`SELECT count(*) AS n FROM ${t}`))[0].n)
  return out
}

let owner: ScratchOwner
let t: TestApp
let before: Record<string, number>
let upgraded: string[]
let dir: string

beforeAll(async () => {
  owner = await scratchOwner('t_upgrade')
  await migrate(owner, undefined, { until: RELEASE_LAST })
  const data = gunzipSync(await readFile(new URL('./release-1-demo.sql.gz', import.meta.url))).toString('utf8')
  // As the release's own database held them: triggers and foreign keys off while the rows go back in.
  await owner.exec('BEGIN')
  await owner.exec('SET LOCAL session_replication_role = replica')
  await owner.exec(MIGRATION_ROWS.map((table) => `DELETE FROM ${table};`).join('\n'))
  await owner.exec(data)
  await owner.exec('COMMIT')
  before = await counts(owner)
  upgraded = await migrate(owner)
  t = await openTestApp({}, { database: await owner.open(), start: AFTER_FIXTURE })
  dir = await mkdtemp(join(tmpdir(), 'numguard-upgrade-'))
}, 240_000)

afterAll(async () => {
  await t?.close()
  await owner?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('upgrading a release-1 database that holds data', () => {
  it('applies every later migration and keeps every row', async () => {
    const later = (await listMigrations()).map((m) => m.version).filter((v) => v > RELEASE_LAST)
    expect(upgraded).toEqual(later)
    expect(before.numbers).toBe(1100)
    expect(before.audit_leaves).toBeGreaterThan(1000)
    expect(await counts(owner)).toEqual(before)
  })

  it('runs the worker over the old rows and sells an old available number with the new code', async () => {
    const done = await runDueWork(t.app)
    expect(done.recycling_failed ?? 0).toBe(0)
    const { msisdn } = await t.app.db
      .selectFrom('numbers')
      .select('msisdn')
      .where('state', '=', 'available')
      .orderBy('msisdn')
      .executeTakeFirstOrThrow()
    // A SIM the release allocated to one of its shops, sold by a new agent of that shop.
    const sim = await t.app.db
      .selectFrom('sims')
      .select(['iccid', 'shop_id'])
      .where('state', '=', 'allocated')
      .orderBy('iccid')
      .executeTakeFirstOrThrow()
    const agent = await makeStaff(t.app, ['agent'], { shopId: sim.shop_id })
    const iccid = sim.iccid
    const sold = await t.server.inject({
      method: 'POST',
      url: `/api/v1/numbers/${encodeURIComponent(msisdn)}/sell`,
      headers: { authorization: `Bearer ${agent.token}` },
      payload: { iccid, subscriber: newSubscriber() },
    })
    expect(sold.statusCode, sold.body).toBe(200)
    const number = await t.app.db
      .selectFrom('numbers')
      .select('state')
      .where('msisdn', '=', msisdn)
      .executeTakeFirstOrThrow()
    expect(number.state).toBe('active')
  })

  it("verifies offline: the release's leaves and the new ones, in one log", async () => {
    await runAuditLogPass(t.app)
    const auditor = await makeStaff(t.app, ['auditor'])
    const api = new Api(await t.server.listen({ host: '127.0.0.1', port: 0 }), auditor.token)
    const bundle = join(dir, 'bundle')
    await writeBundle(bundle, apiBundleSource(api))
    const r = await verifyBundle(bundle, { key: signerFor(t.app).vkey, threads: 1 })
    expect(r.failures.map(problemText)).toEqual([])
    expect(r.ok).toBe(true)
    expect(r.leaves).toBeGreaterThan(before.audit_leaves)
  })
})
