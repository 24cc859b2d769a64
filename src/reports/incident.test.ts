// The incident report: the account of one case as JSON and PDF — summary, SLA figures (a hold placed after its
// deadline shows breached), the numbers' history with every inclusion proof checked, holds, compensation offers,
// findings and measures — each figure naming its row id and the leaf that recorded it. Auditors and compliance
// officers fetch it; agents do not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { makeStaff, type TestStaff } from '../../test/helpers/factories.ts'
import { embeddedFonts, khmerChars, lineAfter, lineWith, readPdf } from '../../test/helpers/pdf.ts'
import { sellTo } from '../../test/helpers/reclaim-fixtures.ts'
import { auth } from '../../test/http/support.ts'
import { runAuditLogPass } from '../audit/log-service.ts'
import type { IncidentReport } from './incident.ts'

const HOUR = 3_600_000

let t: TestApp
let agent: TestStaff
let officer: TestStaff
let auditor: TestStaff
let caseId: string
let lateCaseId: string
let msisdn: string

const call = async (who: TestStaff, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => {
  const res = await t.server.inject({ method, url, headers: auth(who.token), payload })
  expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300)
  return res.json()
}
const incident = (who: TestStaff | null, ref: string, format = 'json') =>
  t.server.inject({
    method: 'GET',
    url: `/api/v1/reports/incident/${ref}?format=${format}`,
    headers: who ? auth(who.token) : {},
  })
const actionAt = async (index: number) =>
  (await t.app.db.selectFrom('audit_leaves').select('action').where('index', '=', index).executeTakeFirstOrThrow())
    .action

beforeAll(async () => {
  t = await openTestApp()
  agent = await makeStaff(t.app, ['agent'])
  officer = await makeStaff(t.app, ['compliance_officer'])
  const held = await sellTo(t.app, { agent })
  msisdn = held.msisdn
  // The holder complains in a shop, proven by their ID document: the hold lands with the case.
  const opened = await call(agent, 'POST', '/api/v1/cases', {
    category: 'number_taken',
    description: 'My number was given to someone else while I was still using it.',
    msisdns: [msisdn],
    complainant: { method: 'id_document', document: held.subscriber.kyc_doc_number },
  })
  caseId = opened.id
  t.clock.advance(2 * HOUR)
  await call(officer, 'PATCH', `/api/v1/cases/${caseId}`, { owner_id: officer.id, responded: true })
  for (const amount of [50, 120]) {
    const offer = await call(officer, 'POST', `/api/v1/cases/${caseId}/offers`, {
      kind: 'money',
      amount,
      currency: 'USD',
    })
    await call(officer, 'POST', `/api/v1/offers/${offer.id}/response`, { response: 'declined' })
  }
  await call(officer, 'POST', `/api/v1/cases/${caseId}/findings`, {
    conclusion: 'staff_misconduct',
    findings: 'The agent sold the active number again without the holder.',
    staff: [{ staff_id: agent.id, suspend: true }],
    measures: [{ kind: 'process_change', description: 'Second person checks every resale of a number.' }],
  })
  // A complaint that needs no automatic hold; the officer places one 25 hours later, past the 24 h deadline.
  const other = await sellTo(t.app)
  const late = await call(await makeStaff(t.app, ['agent']), 'POST', '/api/v1/cases', {
    category: 'missed_warning',
    description: 'I never got a warning before my number was suspended.',
    msisdns: [other.msisdn],
    complainant: { method: 'id_document', document: other.subscriber.kyc_doc_number },
  })
  lateCaseId = late.id
  t.clock.advance(25 * HOUR)
  officer = await makeStaff(t.app, ['compliance_officer']) // the first one's session has ended by now
  await call(officer, 'POST', `/api/v1/cases/${lateCaseId}/holds`, { msisdn: other.msisdn, reason: 'investigating' })
  await runAuditLogPass(t.app)
  auditor = await makeStaff(t.app, ['auditor'])
}, 120_000)
afterAll(async () => {
  await t?.close()
})

describe('the incident report', () => {
  let r: IncidentReport

  it('gives the case, its SLA figures and every row with the leaf that recorded it', async () => {
    const res = await incident(auditor, caseId)
    expect(res.statusCode, res.body).toBe(200)
    r = res.json()
    expect(r.case).toMatchObject({ id: caseId, category: 'number_taken', status: 'resolved' })
    expect(r.case.opened_by).toEqual({ staff_id: agent.id, username: agent.username })
    expect(await actionAt(r.case.leaf as number)).toBe('case.opened')
    expect(r.numbers).toEqual([msisdn])

    expect(r.holds).toHaveLength(1)
    const hold = r.holds[0]
    expect(hold.placed_at).toBe(r.case.opened_at) // the same transaction as the case
    expect(await actionAt(hold.leaves.placed as number)).toBe('hold.placed')
    expect(r.sla.hold).toMatchObject({ state: 'met', row: hold.id, leaf: hold.leaves.placed, hours_taken: 0 })
    expect(r.sla.first_response).toMatchObject({ state: 'met', hours_taken: 2 })
    expect(r.sla.resolution.state).toBe('met')
    expect(await actionAt(r.sla.resolution.leaf as number)).toBe('case.findings_recorded')

    expect(r.compensation_offers.map((o) => [o.amount, o.currency, o.response])).toEqual([
      ['50.00', 'USD', 'declined'],
      ['120.00', 'USD', 'declined'],
    ])
    for (const o of r.compensation_offers) {
      expect(await actionAt(o.leaves.offered as number)).toBe('compensation.offered')
      expect(await actionAt(o.leaves.responded as number)).toBe('compensation.responded')
    }
    expect(r.findings).toMatchObject({ conclusion: 'staff_misconduct', leaf: r.sla.resolution.leaf })
    expect(r.findings.staff).toEqual([expect.objectContaining({ staff_id: agent.id, status: 'suspended' })])
    expect(r.measures.map((m) => [m.kind, m.staff?.staff_id ?? null, m.leaf])).toEqual([
      ['staff_suspended', agent.id, r.findings.leaf],
      ['process_change', null, r.findings.leaf],
    ])
    expect(r.restorations).toEqual([])
  })

  it("tells the number's history from the audit log, each leaf's proof checked against the signed checkpoint", async () => {
    const actions = r.timeline.map((l) => l.action)
    expect(actions).toEqual(expect.arrayContaining(['number.sold', 'case.opened', 'hold.placed']))
    expect(actions).toContain('compensation.offered')
    const indexes = r.timeline.map((l) => l.index)
    expect(indexes).toEqual([...indexes].sort((a, b) => a - b))
    expect(r.timeline.every((l) => l.proof === 'verified')).toBe(true)
    expect(r.proofs).toMatchObject({ verified: r.timeline.length, failed: 0, awaiting_checkpoint: 0, complete: true })
    expect(r.checkpoint?.size).toBeGreaterThan(Math.max(...indexes))
    const sale = r.timeline.find((l) => l.action === 'number.sold')
    expect(sale).toMatchObject({ msisdn, staff_id: agent.id, username: agent.username, shop_id: agent.shopId })
  })

  it('shows a hold placed after its deadline as breached', async () => {
    const late: IncidentReport = (await incident(auditor, lateCaseId)).json()
    expect(late.sla.hold.state).toBe('breached')
    expect(late.sla.hold.hours_taken).toBe(25)
    expect(late.holds).toHaveLength(1)
    expect(late.sla.hold.row).toBe(late.holds[0].id)
  })

  it('writes the same account as a PDF, for auditors and compliance officers', async () => {
    for (const who of [auditor, officer]) {
      const res = await incident(who, r.case.reference, 'pdf')
      expect(res.statusCode, res.body).toBe(200)
      expect(res.headers['content-type']).toBe('application/pdf')
      expect(res.headers['content-disposition']).toBe(
        `attachment; filename="numguard-incident-${r.case.reference}.pdf"`,
      )
      const pdf = await readPdf(res.rawPayload)
      expect(lineWith(pdf, `Incident report ${r.case.reference}`)).toBeDefined()
      expect(lineAfter(pdf, 'Case', caseId)).toEqual([`leaf ${r.case.leaf}`])
      expect(lineWith(pdf, 'Hold placed', 'met')).toBeDefined()
      expect(lineWith(pdf, 'Hold', r.holds[0].id)).toBeDefined()
      for (const o of r.compensation_offers) {
        expect(lineWith(pdf, 'Offer', o.id)).toBeDefined()
      }
      // Each offer's time with the leaf that recorded it under the label, in the log's order.
      const offered = pdf.lines.flatMap((l, i) => (l[0].startsWith('Offered at') ? [pdf.lines[i + 1][0]] : []))
      expect(offered).toEqual(r.compensation_offers.map((o) => `leaf ${o.leaves.offered}`))
      expect(lineWith(pdf, 'Terms', '120.00 USD')).toBeDefined()
      expect(lineWith(pdf, 'Response', 'declined')).toBeDefined()
      expect(lineWith(pdf, 'Conclusion', 'staff_misconduct')).toBeDefined()
      expect(lineAfter(pdf, 'Conclusion', 'staff_misconduct')).toEqual([`leaf ${r.findings.leaf}`])
      for (const m of r.measures) expect(lineWith(pdf, 'Measure', m.id)).toBeDefined()
      expect(pdf.text).toContain('The agent sold the active number again without the holder.')
      for (const l of r.timeline) expect(lineWith(pdf, String(l.index), l.at, l.action), l.action).toBeDefined()
      expect(lineWith(pdf, 'Proofs verified', String(r.proofs.verified))).toBeDefined()
      expect(pdf.text).toContain(`size ${r.checkpoint?.size}, signed ${r.checkpoint?.signed_at}`)
      expect(khmerChars(pdf.text)).toBeGreaterThan(200)
      expect(embeddedFonts(res.rawPayload)).toEqual(['NotoSansKhmer-Bold', 'NotoSansKhmer-Regular'])
    }
    const late = await readPdf((await incident(auditor, lateCaseId, 'pdf')).rawPayload)
    expect(lineWith(late, 'Hold placed', 'breached')).toBeDefined()
  })

  it('is refused to agents and without a session, and says so for an unknown case', async () => {
    expect((await incident(await makeStaff(t.app, ['agent']), caseId)).statusCode).toBe(403)
    expect((await incident(null, caseId, 'pdf')).statusCode).toBe(401)
    expect((await incident(auditor, 'KH-2026-999999')).statusCode).toBe(404)
    expect((await incident(auditor, caseId, 'docx')).statusCode).toBe(400)
  })
})
