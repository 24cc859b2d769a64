// The signer and the loop around it: it refuses what does not extend its last checkpoint, signs at least daily,
// retries witnesses without flooding alerts, and integrates promptly after commands. Runs on both suites.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { makeStaff } from '../../test/helpers/factories.ts'
import { DEMO_LOG_KEY_FILE } from './log-config.ts'
import { runAuditLogPass, signerFor, startAuditLog } from './log-service.ts'
import { loadSigner, SignerRefusal, signLatestCheckpoint } from './signer.ts'
import { asOwner, writeRecords } from './test-support.ts'
import { openCheckpoint } from './tlog/checkpoint.ts'
import { generateWitnessKey } from './tlog/keys.ts'
import { currentHead, integrateAll } from './tree-store.ts'
import { startWitnessServer } from './witness/server.ts'
import { submitToWitnesses } from './witnesses.ts'

const HOUR = 3_600_000

async function latestCheckpoint(t: TestApp) {
  return t.app.db.selectFrom('audit_checkpoints').selectAll().orderBy('size', 'desc').executeTakeFirst()
}
const alertsOf = (t: TestApp, kind: string) =>
  t.app.db.selectFrom('alerts').select(['kind', 'severity', 'attempt']).where('kind', '=', kind).execute()

describe('the signer', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await openTestApp()
  })
  afterAll(() => t.close())

  it('signs the head once, with the configured origin, and not again while nothing grew', async () => {
    await writeRecords(t, 5)
    const first = await runAuditLogPass(t.app)
    expect(first.checkpoint).toBe(first.size)
    const cp = await latestCheckpoint(t)
    const opened = openCheckpoint(cp?.note ?? '', signerFor(t.app).vkey, { origin: 'numguard.demo/log' })
    expect(opened.size).toBe(first.size)
    expect((await currentHead(t.app.db)).root.equals(opened.rootHash)).toBe(true)
    expect((await runAuditLogPass(t.app)).checkpoint).toBeUndefined()
  })

  it('refuses to sign a tree that does not extend the last checkpoint, and raises one risk alert', async () => {
    const signed = await latestCheckpoint(t)
    // A superuser rewrites a leaf below the signed size and recomputes the tree, without the key.
    await asOwner(
      t,
      `SET session_replication_role = replica;
       UPDATE audit_leaves SET leaf = convert_to('{"forged":true}', 'UTF8'), leaf_hash = sha256('\\x00'::bytea || convert_to('{"forged":true}', 'UTF8')) WHERE index = 1;
       UPDATE audit_tree_nodes n SET hash = l.leaf_hash FROM audit_leaves l WHERE n.level = 0 AND n.index = 1 AND l.index = 1;
       DELETE FROM audit_tree_nodes WHERE level > 0;
       SET session_replication_role = origin;`,
    )
    await asOwner(t, REBUILD_NODES)
    await writeRecords(t, 1)
    await integrateAll(t.app.db)
    // A signer that remembers nothing still checks the stored checkpoint, signed with its key.
    await expect(signLatestCheckpoint(t.app.db, loadSigner({}), t.app.clock.now())).rejects.toBeInstanceOf(
      SignerRefusal,
    )
    await expect(runAuditLogPass(t.app)).rejects.toThrow(/not consistent with the checkpoint of size/)
    await expect(runAuditLogPass(t.app)).rejects.toBeInstanceOf(SignerRefusal)
    expect(await alertsOf(t, 'checkpoint_refused')).toEqual([
      expect.objectContaining({ severity: 'risk', attempt: expect.objectContaining({ error: 'checkpoint_refused' }) }),
    ])
    expect((await latestCheckpoint(t))?.size).toBe(signed?.size)
  })
})

// Recomputes every node above level 0 from the leaves, level by level (what an attacker with the database would do).
const REBUILD_NODES = `
  SET session_replication_role = replica;
  DO $$
  DECLARE lvl int := 1; n bigint;
  BEGIN
    SELECT size INTO n FROM audit_log_state;
    WHILE (n >> lvl) > 0 LOOP
      INSERT INTO audit_tree_nodes (level, index, hash)
      SELECT lvl, i, sha256('\\x01'::bytea || l.hash || r.hash)
        FROM generate_series(0, (n >> lvl) - 1) i
        JOIN audit_tree_nodes l ON l.level = lvl - 1 AND l.index = 2 * i
        JOIN audit_tree_nodes r ON r.level = lvl - 1 AND r.index = 2 * i + 1;
      lvl := lvl + 1;
    END LOOP;
  END $$;
  SET session_replication_role = origin;`

describe('a signer that remembers what it signed', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await openTestApp()
  })
  afterAll(() => t.close())

  it('notices a removed checkpoint', async () => {
    await writeRecords(t, 3)
    await runAuditLogPass(t.app)
    const signed = await latestCheckpoint(t)
    await asOwner(
      t,
      `SET session_replication_role = replica; DELETE FROM audit_checkpoints WHERE size = ${signed?.size}; SET session_replication_role = origin;`,
    )
    await writeRecords(t, 1)
    await expect(runAuditLogPass(t.app)).rejects.toThrow(/checkpoints were removed/)
  })
})

describe('at least one checkpoint a day', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await openTestApp()
  })
  afterAll(() => t.close())

  it('writes a heartbeat leaf when a day passed without a new one, so a fresh checkpoint is signed', async () => {
    await writeRecords(t, 2)
    const first = await runAuditLogPass(t.app)
    t.clock.advance(23 * HOUR)
    expect(await runAuditLogPass(t.app)).toMatchObject({ heartbeat: false, checkpoint: undefined })
    t.clock.advance(2 * HOUR)
    const daily = await runAuditLogPass(t.app)
    expect(daily).toMatchObject({ heartbeat: true, checkpoint: first.size + 1 })
    const leaf = await t.app.db
      .selectFrom('audit_leaves')
      .select(['action', 'leaf'])
      .where('index', '=', first.size)
      .executeTakeFirstOrThrow()
    expect(JSON.parse(Buffer.from(leaf.leaf).toString('utf8'))).toMatchObject({
      action: 'audit.heartbeat',
      actor: { kind: 'system', component: 'audit-log' },
      data: { size: first.size },
    })
    expect((await runAuditLogPass(t.app)).heartbeat).toBe(false)
  })
})

describe('witnesses', () => {
  let t: TestApp
  let dir: string
  const key = generateWitnessKey('regulator.example/witness')
  beforeAll(async () => {
    t = await openTestApp()
    dir = await mkdtemp(join(tmpdir(), 'numguard-witness-'))
  })
  afterAll(async () => {
    await t.close()
    await rm(dir, { recursive: true, force: true })
  })

  const witnessOn = (port: number) =>
    startWitnessServer({
      port,
      host: '127.0.0.1',
      stateFile: join(dir, 'state.json'),
      witnessSkey: key.skey,
      logs: [{ origin: 'numguard.demo/log', vkey: loadSigner({}).vkey }],
      log: () => {},
    })

  it('a witness that is down raises one alert, is retried with backoff, and cosigns when it is back', async () => {
    const probe = await witnessOn(0)
    const url = probe.url
    const port = Number(new URL(url).port)
    await probe.close()
    const witnesses = [{ url, vkey: key.vkey }]
    t.app.config.auditLog = {
      keyFile: DEMO_LOG_KEY_FILE,
      origin: 'numguard.demo/log',
      witnesses,
      personalRetentionDays: 1825,
    }

    await writeRecords(t, 4)
    const pass = await runAuditLogPass(t.app)
    expect(pass.witnesses).toEqual([expect.objectContaining({ url, status: 'failed' })])
    expect(await alertsOf(t, 'witness_unreachable')).toHaveLength(1)
    // Its own alert grew the log; the next offer waits out the backoff and raises nothing new.
    await runAuditLogPass(t.app)
    expect(await submitToWitnesses(t.app.deps, witnesses)).toEqual([expect.objectContaining({ status: 'waiting' })])
    t.clock.advance(60_000)
    expect(await submitToWitnesses(t.app.deps, witnesses)).toEqual([expect.objectContaining({ status: 'failed' })])
    expect(await alertsOf(t, 'witness_unreachable')).toHaveLength(1)

    const back = await witnessOn(port)
    try {
      t.clock.advance(HOUR)
      const [outcome] = await submitToWitnesses(t.app.deps, witnesses)
      expect(outcome.status).toBe('cosigned')
      const state = await t.app.db.selectFrom('log_witnesses').selectAll().executeTakeFirstOrThrow()
      expect(state).toMatchObject({ failing_since: null, last_error: null, accepted_size: outcome.size })
      const cp = await latestCheckpoint(t)
      const cosigs = await t.app.db
        .selectFrom('audit_cosignatures')
        .selectAll()
        .where('size', '=', Number(cp?.size))
        .execute()
      expect(cosigs).toHaveLength(1)
      const opened = openCheckpoint((cp?.note ?? '') + cosigs[0].line, signerFor(t.app).vkey, {
        witnesses: [key.vkey],
        requireWitnesses: 'all',
      })
      expect(opened.cosignatures).toHaveLength(1)
      // A later checkpoint is proved consistent with the one the witness holds.
      await writeRecords(t, 3)
      await runAuditLogPass(t.app)
      expect(await submitToWitnesses(t.app.deps, witnesses)).toEqual([
        expect.objectContaining({ status: expect.stringMatching(/^(cosigned|up_to_date)$/) }),
      ])
      const state2 = await t.app.db.selectFrom('log_witnesses').selectAll().executeTakeFirstOrThrow()
      expect(Number(state2.accepted_size)).toBe((await currentHead(t.app.db)).size)
    } finally {
      await back.close()
    }
  })
})

describe('the service in the server', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await openTestApp()
  })
  afterAll(() => t.close())

  it('integrates and signs right after a command, without waiting for its timer', async () => {
    const service = startAuditLog(t.app, { idleMs: 3_600_000 })
    try {
      await service.idle()
      const staff = await makeStaff(t.app, ['auditor']) // commands: staff.created, session.signed_in
      await service.idle()
      const leaf = await t.app.db
        .selectFrom('audit_leaves')
        .select('index')
        .where('session_id', '=', staff.actor.sessionId)
        .executeTakeFirst()
      expect(leaf).toBeDefined()
      const cp = await latestCheckpoint(t)
      expect(Number(cp?.size)).toBeGreaterThan(Number(leaf?.index))
    } finally {
      await service.stop()
    }
    expect(t.app.deps.onAudited).toBeUndefined()
  })
})
