// Hardening (issue 5, item 6): the application role only inserts into the queue; nobody updates, deletes or
// truncates an audit table; a rewrite by a superuser who recomputes the tree and re-signs it is caught by the
// verifier against a checkpoint a witness cosigned earlier, and by the witness itself. Runs on both suites.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { makeActiveNumber, makeStaff, type TestStaff } from '../../test/helpers/factories.ts'
import { Api } from '../cli/api-client.ts'
import { apiBundleSource } from '../cli/audit.ts'
import { writeBundle } from './bundle.ts'
import { DEMO_LOG_KEY_FILE } from './log-config.ts'
import { runAuditLogPass, signerFor } from './log-service.ts'
import { loadSigner, signLatestCheckpoint } from './signer.ts'
import { asOwner, listen, writeRecords } from './test-support.ts'
import { generateWitnessKey } from './tlog/keys.ts'
import { verifyBundle } from './verify/index.ts'
import { startWitnessServer, type WitnessServer } from './witness/server.ts'
import { submitToWitnesses } from './witnesses.ts'

const TABLES = [
  'audit_queue',
  'audit_log_state',
  'audit_leaves',
  'audit_tree_nodes',
  'audit_tree_heads',
  'audit_checkpoints',
  'audit_cosignatures',
  'audit_personal_data',
]

let t: TestApp
let dir: string
let witness: WitnessServer
let auditor: TestStaff
let url: string
const witnessKey = generateWitnessKey('regulator.example/witness')

beforeAll(async () => {
  t = await openTestApp()
  dir = await mkdtemp(join(tmpdir(), 'numguard-hardening-'))
  witness = await startWitnessServer({
    port: 0,
    host: '127.0.0.1',
    stateFile: join(dir, 'witness-state.json'),
    witnessSkey: witnessKey.skey,
    logs: [{ origin: 'numguard.demo/log', vkey: loadSigner({}).vkey }],
    log: () => {},
  })
  t.app.config.auditLog = {
    keyFile: DEMO_LOG_KEY_FILE,
    origin: 'numguard.demo/log',
    witnesses: [{ url: witness.url, vkey: witnessKey.vkey }],
    personalRetentionDays: 1825,
  }
  auditor = await makeStaff(t.app, ['auditor'])
  await makeActiveNumber(t.app)
  await writeRecords(t, 20)
  await runAuditLogPass(t.app)
  url = await listen(t)
})
afterAll(async () => {
  await t.close()
  await witness.close()
  await rm(dir, { recursive: true, force: true })
})

describe('the application role', () => {
  it.each(TABLES)('may not UPDATE, DELETE or TRUNCATE %s (42501)', async (table) => {
    for (const statement of [
      `UPDATE ${table} SET ${firstColumn(table)} = ${firstColumn(table)}`,
      `DELETE FROM ${table}`,
      `TRUNCATE ${table}`,
    ])
      await expect(sql.raw(statement).execute(t.app.db), statement).rejects.toMatchObject({ code: '42501' })
  })

  it('may not read the queue nor write leaves, nodes or heads itself (42501)', async () => {
    for (const statement of [
      'SELECT * FROM audit_queue',
      `INSERT INTO audit_tree_nodes VALUES (0, 999999, sha256(''::bytea))`,
      `INSERT INTO audit_tree_heads VALUES (999999, sha256(''::bytea), now())`,
      `INSERT INTO audit_leaves (index, event_id, seq, txid, at, action, leaf, leaf_hash, integrated_at)
       VALUES (999999, gen_random_uuid(), 999999, 0, now(), 'x', '\\x7b7d', sha256(''::bytea), now())`,
    ])
      await expect(sql.raw(statement).execute(t.app.db), statement).rejects.toMatchObject({ code: '42501' })
  })

  it('may not UPDATE or DELETE through the audit_records view (42501)', async () => {
    for (const statement of ["UPDATE audit_records SET action = 'x'", 'DELETE FROM audit_records'])
      await expect(sql.raw(statement).execute(t.app.db)).rejects.toMatchObject({ code: '42501' })
  })

  it('may not erase personal data without an audit record of the erasure (NG001)', async () => {
    const before = await t.app.db.selectFrom('audit_personal_data').select('event_id').execute()
    expect(before.length).toBeGreaterThan(0)
    await expect(
      // A cut-off past the retention (038 refuses a later one with NG038); without the erasure's own record: NG001.
      sql`SELECT audit_erase_personal_data('2000-01-01T00:00:00Z')`.execute(t.app.db),
    ).rejects.toMatchObject({
      code: 'NG001',
    })
    expect(await t.app.db.selectFrom('audit_personal_data').select('event_id').execute()).toHaveLength(before.length)
  })

  it('may not store a checkpoint whose root is not the tree’s at its size (NG009)', async () => {
    const head = await t.app.db.selectFrom('audit_log_state').select(['size']).executeTakeFirstOrThrow()
    const forged = `numguard.demo/log\n${head.size}\n${Buffer.alloc(32, 7).toString('base64')}\n\n— x AAAA\n`
    await expect(
      t.app.db
        .insertInto('audit_checkpoints')
        .values({ size: Number(head.size) + 1, note: forged, signed_at: new Date() })
        .execute(),
    ).rejects.toMatchObject({ code: expect.stringMatching(/^(NG009|23503)$/) })
    await expect(
      sql`INSERT INTO audit_checkpoints (size, note, signed_at) VALUES (0, ${forged}, now())`.execute(t.app.db),
    ).rejects.toMatchObject({ code: expect.stringMatching(/^(NG009|23505)$/) })
  })
})

describe('the owner (a superuser)', () => {
  beforeAll(() => writeRecords(t, 2)) // something queued: a row trigger fires only on rows
  it.each(TABLES)('is refused UPDATE, DELETE and TRUNCATE of %s by the triggers (NG002)', async (table) => {
    for (const statement of [
      `UPDATE ${table} SET ${firstColumn(table)} = ${firstColumn(table)}`,
      `DELETE FROM ${table}`,
      `TRUNCATE ${table}`,
    ]) {
      const rows = await countRows(table)
      // TRUNCATE of a table another references stops even earlier (0A000); either way nothing moves.
      const codes = statement.startsWith('TRUNCATE') ? /^(NG002|0A000)$/ : /^NG002$/
      await expect(asOwner(t, statement), statement).rejects.toMatchObject({ code: expect.stringMatching(codes) })
      expect(await countRows(table)).toBe(rows)
    }
  })
})

describe('a rewrite by a superuser who recomputes the tree and re-signs it', () => {
  it('is caught by the verifier against the witnessed checkpoint, and refused by the witness', async () => {
    await runAuditLogPass(t.app)
    const api = new Api(url, auditor.token)
    // Before: a bundle that verifies, and a checkpoint the witness cosigned, kept (e.g. by the regulator).
    const before = await writeBundle(join(dir, 'before'), apiBundleSource(api))
    const vkey = signerFor(t.app).vkey
    const good = await verifyBundle(join(dir, 'before'), { key: vkey, witnesses: [witnessKey.vkey], threads: 1 })
    expect(good.failures).toEqual([])
    expect(good.ok).toBe(true)
    const kept = await api.request<{ note: string; size: number; cosignatures: unknown[] }>(
      'GET',
      '/api/v1/audit/checkpoint',
    )
    expect(kept.size).toBe(before.size)
    expect(kept.cosignatures).toHaveLength(1)

    // The attack: one leaf says something else; the whole tree is recomputed and signed again with the log's key.
    await asOwner(t, REWRITE)
    await signLatestCheckpoint(t.app.db, loadSigner({}), t.app.clock.now())

    const after = await writeBundle(join(dir, 'after'), apiBundleSource(api))
    expect(after.size).toBe(before.size)
    expect(after.root.equals(before.root)).toBe(false)
    // On its own the rewritten bundle is consistent: only a checkpoint kept outside the operator's reach shows it.
    const rewritten = await verifyBundle(join(dir, 'after'), { key: vkey, since: kept.note, threads: 1 })
    expect(rewritten.ok).toBe(false)
    expect(rewritten.failures.map((f) => f.where)).toEqual(['since'])
    expect(rewritten.failures[0].message).toContain('the log was rewritten')

    // The witness refuses the forked checkpoint; the log raises a risk alert about it.
    const [outcome] = await submitToWitnesses(t.app.deps, t.app.config.auditLog?.witnesses ?? [])
    expect(outcome).toMatchObject({ status: 'failed', size: before.size })
    const alert = await t.app.db
      .selectFrom('alerts')
      .select(['kind', 'severity'])
      .where('kind', '=', 'witness_refused_checkpoint')
      .executeTakeFirst()
    expect(alert).toEqual({ kind: 'witness_refused_checkpoint', severity: 'risk' })
  })
})

/** Rebuilds the log from its leaves with one record altered, as someone with full database access could. */
const REWRITE = `
  SET session_replication_role = replica;  -- a superuser switches the triggers off
  DELETE FROM audit_cosignatures; DELETE FROM audit_checkpoints;
  DELETE FROM audit_tree_nodes; DELETE FROM audit_tree_heads WHERE size > 0;
  UPDATE audit_leaves SET leaf = convert_to(replace(convert_from(leaf, 'UTF8'), '"i":0}', '"i":99}'), 'UTF8')
   WHERE index = (SELECT min(index) FROM audit_leaves WHERE action = 'clock.advanced');
  INSERT INTO audit_queue (event_id, txid, recorded_at, action, msisdn, leaf, basis, staff_id, session_id, request_id)
    SELECT event_id, txid, at, action, msisdn, leaf, basis, staff_id, session_id, request_id FROM audit_leaves ORDER BY index;
  DELETE FROM audit_leaves;
  UPDATE audit_log_state SET size = 0, root = sha256(''::bytea);
  SET session_replication_role = origin;
  SELECT * FROM audit_integrate(1000000);
`

function firstColumn(table: string): string {
  const columns: Record<string, string> = {
    audit_queue: 'action',
    audit_log_state: 'size',
    audit_leaves: 'action',
    audit_tree_nodes: 'hash',
    audit_tree_heads: 'root',
    audit_checkpoints: 'note',
    audit_cosignatures: 'line',
    audit_personal_data: 'value',
  }
  return columns[table]
}

async function countRows(table: string): Promise<number> {
  const rows = await asOwner(t, `SELECT count(*)::int AS n FROM ${table}`)
  return Number(rows[0].n)
}
