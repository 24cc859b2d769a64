// Which checkpoints an export carries: every cosigned one, the last of each UTC day and the latest — not one per
// integration batch — through the query, the API (`selection=export`) and a bundle the offline verifier accepts.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { makeStaff, type TestStaff } from '../../test/helpers/factories.ts'
import { Api } from '../cli/api-client.ts'
import { apiBundleSource } from '../cli/audit.ts'
import { writeBundle } from './bundle.ts'
import { runAuditLogPass, signerFor } from './log-service.ts'
import { exportCheckpointsPage } from './queries.ts'
import { listen, writeRecords } from './test-support.ts'
import { generateWitnessKey } from './tlog/keys.ts'
import { cosignCheckpoint, openNote } from './tlog/note.ts'
import { verifyBundle } from './verify/index.ts'

const HOUR = 3_600_000
let t: TestApp
let auditor: TestStaff
let dir: string
const witness = generateWitnessKey('witness.example/w1')
/** The checkpoints signed, by name: A…G over three UTC days (the test starts 2026-03-02T03:00Z). */
const cp: Record<string, number> = {}

/** Writes a record, integrates and signs it `ms` later; returns the checkpoint's size. */
async function signAfter(ms: number): Promise<number> {
  t.clock.advance(ms)
  await writeRecords(t, 1)
  const pass = await runAuditLogPass(t.app)
  if (pass.checkpoint === undefined) throw new Error('nothing signed')
  return pass.checkpoint
}

beforeAll(async () => {
  t = await openTestApp()
  dir = await mkdtemp(join(tmpdir(), 'numguard-export-selection-'))
  cp.A = await signAfter(0) // 03:00 day 1, cosigned below
  cp.B = await signAfter(6 * HOUR) // 09:00
  cp.C = await signAfter(15 * HOUR - 1_000) // 23:59:59: day 1's last
  cp.D = await signAfter(2_000) // 00:00:01 day 2
  cp.E = await signAfter(12 * HOUR) // 12:00:01: day 2's last
  cp.F = await signAfter(12 * HOUR) // 00:00:01 day 3
  cp.G = await signAfter(HOUR) // the latest
  const a = await t.app.db.selectFrom('audit_checkpoints').select('note').where('size', '=', cp.A).executeTakeFirst()
  const body = String(a?.note).slice(0, String(a?.note).indexOf('\n\n') + 1)
  const line = cosignCheckpoint(body, witness.skey, Math.floor(t.clock.now().getTime() / 1000))
  const keyId = openNote(`${a?.note}${line}`, [witness.vkey]).verified.find((v) => v.name === 'witness.example/w1')
  await t.app.db
    .insertInto('audit_cosignatures')
    .values({
      size: cp.A,
      witness: 'witness.example/w1',
      key_id: String(keyId?.keyId),
      cosigned_at: t.clock.now(),
      line: line.endsWith('\n') ? line : `${line}\n`,
      received_at: t.clock.now(),
    })
    .execute()
  // Signed in now (sessions last hours); its records come after the latest checkpoint.
  auditor = await makeStaff(t.app, ['auditor'])
})
afterAll(async () => {
  await t.close()
  await rm(dir, { recursive: true, force: true })
})

const sizes = (items: { size: number }[]) => items.map((i) => i.size)

describe('the checkpoints an export carries', () => {
  it('are every cosigned one, the last of each UTC day and the latest', async () => {
    expect(await t.app.db.selectFrom('audit_checkpoints').select('size').execute()).toHaveLength(7)
    const page = await exportCheckpointsPage(t.app.db, 0, cp.G, 1000)
    expect(sizes(page)).toEqual([cp.A, cp.C, cp.E, cp.G])
    expect(page[0].cosignatures).toHaveLength(1)
    expect(page[0].note).toContain('— witness.example/w1 ')
  })

  it('up to an older size: that size is the latest, and days are judged up to it', async () => {
    expect(sizes(await exportCheckpointsPage(t.app.db, 0, cp.F, 1000))).toEqual([cp.A, cp.C, cp.E, cp.F])
    expect(sizes(await exportCheckpointsPage(t.app.db, 0, cp.D, 1000))).toEqual([cp.A, cp.C, cp.D])
  })

  it('pages after a size, at most `limit` at a time', async () => {
    expect(sizes(await exportCheckpointsPage(t.app.db, cp.A, cp.G, 1))).toEqual([cp.C])
    expect(sizes(await exportCheckpointsPage(t.app.db, cp.C, cp.G, 2))).toEqual([cp.E, cp.G])
    expect(await exportCheckpointsPage(t.app.db, cp.G, cp.G, 10)).toEqual([])
  })

  it('the API answers selection=export, and all of them by default', async () => {
    const get = (q: string) =>
      t.server.inject({
        method: 'GET',
        url: `/api/v1/audit/checkpoints?${q}`,
        headers: { authorization: `Bearer ${auditor.token}` },
      })
    const selected = await get('selection=export')
    expect(selected.statusCode).toBe(200)
    expect(sizes(selected.json().items)).toEqual([cp.A, cp.C, cp.E, cp.G])
    expect(sizes((await get('after=0')).json().items)).toEqual(Object.values(cp).sort((x, y) => x - y))
    expect((await get('selection=some')).statusCode).toBe(400)
  })

  it('an export holds them, says so in its manifest, and verifies offline', async () => {
    const api = new Api(await listen(t), auditor.token)
    const out = await writeBundle(join(dir, 'bundle'), apiBundleSource(api))
    expect(out).toMatchObject({ size: cp.G, checkpoints: 4 })
    const lines = (await readFile(join(dir, 'bundle', 'checkpoints.jsonl'), 'utf8')).trim().split('\n')
    expect(lines.map((l) => JSON.parse(l).size)).toEqual([cp.A, cp.C, cp.E, cp.G])
    const manifest = JSON.parse(await readFile(join(dir, 'bundle', 'manifest.json'), 'utf8'))
    expect(manifest).toMatchObject({ size: cp.G, checkpoints_selected: 'cosigned, daily, latest' })
    const report = await verifyBundle(join(dir, 'bundle'), {
      key: signerFor(t.app).vkey,
      witnesses: [witness.vkey],
      threads: 1,
    })
    expect(report.failures).toEqual([])
    expect(report.ok).toBe(true)
    // An older export ends with the checkpoint of its own size.
    const older = await writeBundle(join(dir, 'older'), apiBundleSource(api), { size: cp.D })
    expect(older).toMatchObject({ size: cp.D, checkpoints: 3 })
    const again = await verifyBundle(join(dir, 'older'), { key: signerFor(t.app).vkey, witnesses: [witness.vkey] })
    expect(again.failures).toEqual([])
  })
})
