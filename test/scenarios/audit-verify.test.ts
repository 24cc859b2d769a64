// The offline verifier on a real log: a number warned three times (SMS over SMPP with delivery receipts), withdrawn
// for inactivity on day 90, reclaimed on a request approved by a supervisor of another shop; the log is integrated,
// signed, exported through the API and verified with nothing but the public key — every business rule holds. Then a
// withdrawal recorded without its warnings (as a careless or rogue path would) is named by its leaf.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeBundle } from '../../src/audit/bundle.ts'
import { runAuditLogPass, signerFor } from '../../src/audit/log-service.ts'
import { problemText, verifyBundle } from '../../src/audit/verify/index.ts'
import { Api } from '../../src/cli/api-client.ts'
import { apiBundleSource } from '../../src/cli/audit.ts'
import { makeActiveNumber, makeStaff, type TestStaff } from '../helpers/factories.ts'
import { signInAgain, withdrawForInactivity } from '../helpers/reclaim-fixtures.ts'
import { type Harness, openHarness, walkToWithdrawalDay } from './recycling-harness.ts'

let h: Harness
let dir: string
let auditor: TestStaff
let api: Api
let msisdn: string

const auth = (s: TestStaff) => ({ authorization: `Bearer ${s.token}` })
const post = (who: TestStaff, url: string, payload: Record<string, unknown> = {}) =>
  h.t.server.inject({ method: 'POST', url, headers: auth(who), payload })

/** Integrates and signs everything queued, then exports the bundle through the API as the auditor would. */
async function exportBundle(name: string): Promise<string> {
  await runAuditLogPass(h.t.app)
  const at = join(dir, name)
  await writeBundle(at, apiBundleSource(api))
  return at
}

beforeAll(async () => {
  h = await openHarness()
  dir = await mkdtemp(join(tmpdir(), 'numguard-audit-verify-'))
  const sold = await makeActiveNumber(h.t.app, { agent: h.agent })
  msisdn = sold.msisdn
  await walkToWithdrawalDay(h)
  h.at(90, '08:00')
  await h.heartbeat()
  expect((await h.sweep()).outcomes.withdrawn).toBe(1)

  // Day 100: the former holder reclaims the number in the agent's shop; a supervisor of another shop approves.
  h.at(100, '10:00')
  const supervisor = await makeStaff(h.t.app, ['supervisor'])
  await signInAgain(h.t.app, h.agent)
  const filed = await post(h.agent, `/api/v1/numbers/${encodeURIComponent(msisdn)}/reclaim`, {
    kyc_doc_number: sold.subscriber.kyc_doc_number,
  })
  expect(filed.statusCode).toBe(200)
  const { id, payload_sha256 } = filed.json()
  expect((await post(supervisor, `/api/v1/requests/${id}/approve`, { payload_sha256 })).statusCode).toBe(200)
  expect((await post(h.agent, `/api/v1/requests/${id}/execute`)).statusCode).toBe(200)

  auditor = await makeStaff(h.t.app, ['auditor'])
  api = new Api(await h.t.server.listen({ host: '127.0.0.1', port: 0 }), auditor.token)
}, 120_000)
afterAll(async () => {
  await h.close()
  await rm(dir, { recursive: true, force: true })
})

describe('a real log, exported and verified offline', () => {
  it('verifies: signatures, the root at every checkpoint, canonical leaves and every business rule', async () => {
    const bundle = await exportBundle('lawful')
    const kept = await api.request<{ note: string; size: number }>('GET', '/api/v1/audit/checkpoint')
    const r = await verifyBundle(bundle, { key: signerFor(h.t.app).vkey, threads: 2 })
    expect(r.failures.map(problemText)).toEqual([])
    expect(r.warnings.map(problemText)).toEqual([])
    expect(r.ok).toBe(true)
    expect(r.leaves).toBe(kept.size)
    expect(r.rules).toMatchObject({ withdrawals: 1, requestsExecuted: 1 })
    expect(r.rules.noticesEvidenced).toBeGreaterThanOrEqual(3)
    expect(r.rules.signIns).toBeGreaterThanOrEqual(4)

    // Later: the log grew; it is still consistent with the checkpoint kept now.
    await makeActiveNumber(h.t.app, { agent: h.agent })
    const later = await exportBundle('later')
    const again = await verifyBundle(later, { key: signerFor(h.t.app).vkey, since: kept.note, threads: 1 })
    expect(again.failures.map(problemText)).toEqual([])
    expect(again.since).toMatchObject({ size: kept.size, consistent: true })
  })

  it('names the leaf of a withdrawal for inactivity recorded without its warnings', async () => {
    const other = await makeActiveNumber(h.t.app, { agent: h.agent })
    await withdrawForInactivity(h.t.app, { msisdn: other.msisdn, custodyId: other.sale.custody_id })
    const bundle = await exportBundle('careless')
    const r = await verifyBundle(bundle, { key: signerFor(h.t.app).vkey, threads: 1 })
    expect(r.ok).toBe(false)
    expect(problemText(r.failures[0])).toMatch(
      new RegExp(
        `^leaf \\d+ \\(event [0-9a-f-]{36}\\): number.withdrawn of \\${other.msisdn} for inactivity names 0 warning notice\\(s\\) in data.warnings; at least 2 must be evidenced before it$`,
      ),
    )
  })
})
