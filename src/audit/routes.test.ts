// The audit log's API: checkpoint, proofs that verify with the pure core alone, leaves, timelines, personal data.
// Runs on both suites.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { makeActiveNumber, makeStaff, type TestStaff } from '../../test/helpers/factories.ts'
import { commitmentOf } from './leaf.ts'
import { runAuditLogPass, signerFor } from './log-service.ts'
import { writeRecords } from './test-support.ts'
import { openCheckpoint } from './tlog/checkpoint.ts'
import { leafHash } from './tlog/hash.ts'
import { verifyConsistency, verifyInclusion } from './tlog/merkle.ts'

let t: TestApp
let auditor: TestStaff
let compliance: TestStaff
let agent: TestStaff
let sold: { msisdn: string; subscriberId: string }
const b64 = (s: string) => Buffer.from(s, 'base64')

beforeAll(async () => {
  t = await openTestApp()
  auditor = await makeStaff(t.app, ['auditor'])
  compliance = await makeStaff(t.app, ['compliance_officer'])
  agent = await makeStaff(t.app, ['agent'])
  const active = await makeActiveNumber(t.app, { agent })
  sold = { msisdn: active.msisdn, subscriberId: active.sale.subscriber_id }
  await runAuditLogPass(t.app)
})
afterAll(() => t.close())

const get = async (url: string, staff: TestStaff = auditor) => {
  const res = await t.server.inject({ method: 'GET', url, headers: { authorization: `Bearer ${staff.token}` } })
  return { status: res.statusCode, body: res.headers['content-type']?.includes('json') ? res.json() : res.body }
}

describe('GET /api/v1/audit/checkpoint', () => {
  it('is the latest signed checkpoint, which opens with the published key', async () => {
    const key = (await t.server.inject({ method: 'GET', url: '/api/v1/audit/public-key' })).json()
    expect(key).toEqual({ origin: 'numguard.demo/log', vkey: signerFor(t.app).vkey, witnesses: [] })
    const { status, body } = await get('/api/v1/audit/checkpoint')
    expect(status).toBe(200)
    const head = await t.app.db.selectFrom('audit_log_state').select('size').executeTakeFirstOrThrow()
    expect(body).toMatchObject({
      size: Number(head.size),
      cosignatures: [],
      note: expect.stringContaining('— numguard.demo/log '),
    })
    const opened = openCheckpoint(body.note, key.vkey, { origin: key.origin })
    expect(opened.size).toBe(body.size)
    expect(opened.rootHash.toString('base64')).toBe(body.root_hash)
    const note = await get('/api/v1/audit/checkpoint?format=note')
    expect(note.body).toBe(body.note)
  })

  it('needs a session (401) and the view_audit permission (403)', async () => {
    expect((await t.server.inject({ method: 'GET', url: '/api/v1/audit/checkpoint' })).statusCode).toBe(401)
    expect((await get('/api/v1/audit/checkpoint', agent)).status).toBe(403)
    expect((await get('/api/v1/audit/checkpoint', compliance)).status).toBe(200)
  })
})

describe('proofs', () => {
  it('an inclusion proof, by index or event id, verifies against the signed checkpoint with the pure core', async () => {
    const { body: cp } = await get('/api/v1/audit/checkpoint')
    const root = b64(cp.root_hash)
    for (const index of [0, 1, Math.floor(cp.size / 2), cp.size - 1]) {
      const { status, body } = await get(`/api/v1/audit/proofs/inclusion?index=${index}`)
      expect(status).toBe(200)
      expect(body.tree_size).toBe(cp.size)
      verifyInclusion(leafHash(b64(body.leaf)), index, cp.size, body.proof.map(b64), root)
      const byEvent = await get(`/api/v1/audit/proofs/inclusion?event_id=${body.event_id}`)
      expect(byEvent.body.proof).toEqual(body.proof)
      // A proof for another leaf's bytes fails.
      const other = (index + 1) % cp.size
      expect(() => verifyInclusion(leafHash(b64(body.leaf)), other, cp.size, body.proof.map(b64), root)).toThrow()
    }
  })

  it('answers 400 without a leaf, 404 for an unknown one, 409 for a leaf the checkpoint does not hold yet', async () => {
    expect((await get('/api/v1/audit/proofs/inclusion')).status).toBe(400)
    expect((await get('/api/v1/audit/proofs/inclusion?index=abc')).status).toBe(400)
    const unknown = await get('/api/v1/audit/proofs/inclusion?event_id=0b8f4b8e-6c1a-4d1e-9d0a-3f7c2b1a9e55')
    expect(unknown).toMatchObject({ status: 404, body: { code: 'not_found' } })
    const { body: cp } = await get('/api/v1/audit/checkpoint')
    await writeRecords(t, 1)
    const { integrateAll } = await import('./tree-store.ts')
    await integrateAll(t.app.db) // integrated, not yet signed
    const late = await get(`/api/v1/audit/proofs/inclusion?index=${cp.size}`)
    expect(late).toMatchObject({ status: 409, body: { code: 'not_yet_checkpointed' } })
    await runAuditLogPass(t.app)
    expect((await get(`/api/v1/audit/proofs/inclusion?index=${cp.size}`)).status).toBe(200)
  })

  it('a consistency proof between two checkpoints verifies; from beyond to is 400', async () => {
    const { body: older } = await get('/api/v1/audit/checkpoint')
    await writeRecords(t, 9)
    await runAuditLogPass(t.app)
    const { body: newer } = await get('/api/v1/audit/checkpoint')
    expect(newer.size).toBe(older.size + 9)
    const { status, body } = await get(`/api/v1/audit/proofs/consistency?from=${older.size}`)
    expect(status).toBe(200)
    expect(body).toMatchObject({
      from: older.size,
      to: newer.size,
      from_root: older.root_hash,
      to_root: newer.root_hash,
    })
    verifyConsistency(older.size, newer.size, b64(older.root_hash), b64(newer.root_hash), body.proof.map(b64))
    expect((await get(`/api/v1/audit/proofs/consistency?from=${newer.size + 1}&to=${newer.size}`)).status).toBe(400)
    expect((await get('/api/v1/audit/proofs/consistency')).status).toBe(400)
  })
})

describe('GET /api/v1/audit/leaves', () => {
  it('gives the exact bytes of a range, at most 1,000', async () => {
    const { body } = await get('/api/v1/audit/leaves?start=0&end=5')
    expect(body.items.map((l: { index: number }) => l.index)).toEqual([0, 1, 2, 3, 4])
    for (const l of body.items) {
      expect(leafHash(b64(l.leaf)).toString('base64')).toBe(l.leaf_hash)
      expect(JSON.parse(b64(l.leaf).toString('utf8'))).toEqual(l.envelope)
    }
    expect((await get('/api/v1/audit/leaves?start=0&end=1001')).status).toBe(400)
    expect((await get('/api/v1/audit/leaves?start=5&end=1')).status).toBe(400)
  })

  it('streams a range as one canonical JSON per line for export', async () => {
    const res = await t.server.inject({
      method: 'GET',
      url: '/api/v1/audit/export/leaves?start=0&end=4',
      headers: { authorization: `Bearer ${auditor.token}` },
    })
    expect(res.statusCode).toBe(200)
    const lines = res.rawPayload.toString('utf8').split('\n')
    expect(lines).toHaveLength(5)
    expect(lines[4]).toBe('')
    const { body } = await get('/api/v1/audit/leaves?start=0&end=4')
    expect(lines.slice(0, 4).map((l) => Buffer.from(l).toString('base64'))).toEqual(
      body.items.map((l: { leaf: string }) => l.leaf),
    )
  })
})

describe('GET /api/v1/audit/timeline', () => {
  it("shows a number's leaves oldest first, each with a proof that verifies", async () => {
    await runAuditLogPass(t.app)
    const { status, body } = await get(`/api/v1/audit/timeline?msisdn=${encodeURIComponent(sold.msisdn)}`)
    expect(status).toBe(200)
    const actions = body.items.map((i: { action: string }) => i.action)
    expect(actions).toContain('number.sold')
    const root = b64(body.checkpoint.root_hash)
    let last = -1
    for (const item of body.items) {
      expect(item.index).toBeGreaterThan(last)
      last = item.index
      expect(item.proof_status).toBe('in_checkpoint')
      verifyInclusion(b64(item.leaf_hash), item.index, body.checkpoint.size, item.proof.map(b64), root)
    }
  })

  it("shows a session's leaves starting with its sign-in, and a staff member's", async () => {
    await runAuditLogPass(t.app)
    const session = await get(`/api/v1/audit/timeline?session_id=${agent.actor.sessionId}`)
    expect(session.body.items[0]).toMatchObject({ action: 'session.signed_in', session_id: agent.actor.sessionId })
    expect(session.body.items.map((i: { action: string }) => i.action)).toContain('number.sold')
    const staff = await get(`/api/v1/audit/timeline?staff_id=${agent.id}`)
    expect(staff.body.items.every((i: { staff_id: string }) => i.staff_id === agent.id)).toBe(true)
    expect(staff.body.items.length).toBeGreaterThanOrEqual(session.body.items.length)
  })

  it('marks a leaf newer than the checkpoint as awaiting it, and needs exactly one filter', async () => {
    await writeRecords(t, 1)
    const { integrateAll } = await import('./tree-store.ts')
    await integrateAll(t.app.db)
    const staff = await makeStaff(t.app, ['supervisor'])
    await integrateAll(t.app.db)
    const { body } = await get(`/api/v1/audit/timeline?staff_id=${staff.id}`)
    expect(body.items.at(-1)).toMatchObject({ proof_status: 'awaiting_checkpoint', proof: null })
    expect((await get('/api/v1/audit/timeline')).status).toBe(400)
    expect((await get(`/api/v1/audit/timeline?staff_id=${staff.id}&msisdn=%2B85512000001`)).status).toBe(400)
  })
})

describe('personal data committed by leaves', () => {
  it('is revealed to compliance with salts that reproduce the commitments in the leaf', async () => {
    await runAuditLogPass(t.app)
    const created = await t.app.db
      .selectFrom('audit_leaves')
      .select(['event_id', 'leaf'])
      .where('action', '=', 'subscriber.created')
      .orderBy('index', 'desc')
      .executeTakeFirstOrThrow()
    const envelope = JSON.parse(Buffer.from(created.leaf).toString('utf8'))
    expect(JSON.stringify(envelope)).not.toContain('Sokha')
    const { status, body } = await get(`/api/v1/audit/personal-data/${created.event_id}`, compliance)
    expect(status).toBe(200)
    expect(body.items.map((i: { field: string }) => i.field)).toEqual(['kyc_doc_last4', 'name'])
    for (const item of body.items) {
      expect(commitmentOf(Buffer.from(item.salt, 'hex'), item.value)).toBe(item.commitment)
      expect(envelope.personal[item.field]).toBe(item.commitment)
    }
    expect(body.items.find((i: { field: string }) => i.field === 'name').value).toBe('Sokha Chan')
    expect((await get(`/api/v1/audit/personal-data/${created.event_id}`, auditor)).status).toBe(403)
  })

  it('is erased only past its retention, by compliance, with a leaf of its own; the tree is untouched', async () => {
    const erase = (before: string, staff?: TestStaff) =>
      t.server.inject({
        method: 'POST',
        url: '/api/v1/audit/personal-data/erase',
        headers: { authorization: `Bearer ${(staff ?? compliance).token}` },
        payload: { before },
      })
    const tooSoon = await erase(t.clock.now().toISOString())
    expect(tooSoon.statusCode).toBe(400)
    expect(tooSoon.json()).toMatchObject({ code: 'invalid_input', details: { field: 'before' } })
    expect((await erase('2020-01-01T00:00:00Z', auditor)).statusCode).toBe(403)
    const kept = await t.app.db.selectFrom('audit_personal_data').select('event_id').execute()
    expect(kept.length).toBeGreaterThan(0)
    await runAuditLogPass(t.app)
    const before = await get('/api/v1/audit/checkpoint')

    t.clock.advance(1826 * 86_400_000)
    // Sessions do not last five years: sign in again.
    compliance = await makeStaff(t.app, ['compliance_officer'])
    auditor = await makeStaff(t.app, ['auditor'])
    const after = new Date(t.clock.now().getTime() - 1825 * 86_400_000).toISOString()
    const res = await erase(after)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ erased: kept.length, before: after })
    expect(await t.app.db.selectFrom('audit_personal_data').select('event_id').execute()).toEqual([])
    await runAuditLogPass(t.app)
    const { body } = await get(`/api/v1/audit/proofs/consistency?from=${before.body.size}`)
    verifyConsistency(body.from, body.to, b64(body.from_root), b64(body.to_root), body.proof.map(b64))
    const leaf = await t.app.db
      .selectFrom('audit_leaves')
      .select('leaf')
      .where('action', '=', 'audit.personal_data_erased')
      .executeTakeFirstOrThrow()
    expect(JSON.parse(Buffer.from(leaf.leaf).toString('utf8'))).toMatchObject({
      actor: { staff_id: compliance.id },
      data: { erased: kept.length, retention_days: 1825 },
    })
  })
})
