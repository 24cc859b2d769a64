// The monthly report counts a month's leaves and partner checks; anyone recomputes the same counts from an audit
// export of the leaf range the report names, and the checkpoint it names covers that range.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ALL_CHECK_SCOPES, camara, partnerClient } from '../../test/camara/support.ts'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { makeStaff, type TestStaff } from '../../test/helpers/factories.ts'
import { embeddedFonts, khmerChars, lineWith, pdfInfo, readPdf } from '../../test/helpers/pdf.ts'
import { DAY, sellTo, withdrawForInactivity } from '../../test/helpers/reclaim-fixtures.ts'
import { queueTestNotice } from '../../test/helpers/sms.ts'
import { auth } from '../../test/http/support.ts'
import { writeBundle } from '../audit/bundle.ts'
import { runAuditLogPass } from '../audit/log-service.ts'
import { Api } from '../cli/api-client.ts'
import { apiBundleSource } from '../cli/audit.ts'
import type { MonthlyReport } from './monthly.ts'
import { countMonth, type ReportLeaf } from './monthly-counts.ts'
import { MONTHLY_FIGURES } from './monthly-pdf.ts'

let t: TestApp
let auditor: TestStaff
let agent: TestStaff
let dir: string

const report = (who: TestStaff, query: string) =>
  t.server.inject({ method: 'GET', url: `/api/v1/reports/monthly?${query}`, headers: auth(who.token) })

beforeAll(async () => {
  t = await openTestApp()
  dir = await mkdtemp(join(tmpdir(), 'numguard-monthly-'))
  agent = await makeStaff(t.app, ['agent'])
  // March 2026 (the test clock starts on the 2nd): two numbers sold, three warnings to two of them, one withdrawn,
  // one agent's refused call made twice (one alert, one repeat), three partner checks (one refused: a number outside the operator's ranges),
  // one complaint with its hold.
  const a = await sellTo(t.app, { agent })
  const b = await sellTo(t.app, { agent })
  for (const [held, n] of [
    [a, 1],
    [a, 2],
    [b, 1],
  ] as const)
    await queueTestNotice(t.app, { msisdn: held.msisdn, custodyId: held.custodyId, dedupeKey: `m:${held.msisdn}:${n}` })
  await withdrawForInactivity(t.app, a)
  for (let i = 0; i < 2; i++) expect((await report(agent, 'month=2026-03')).statusCode).toBe(403)
  const bank = await partnerClient(t, ALL_CHECK_SCOPES)
  const ask = camara(t, bank.token)
  expect((await ask('/sim-swap/v2/check', { phoneNumber: b.msisdn, maxAge: 24 })).statusCode).toBe(200)
  expect(
    (await ask('/number-recycling/v0.2/check', { phoneNumber: b.msisdn, specifiedDate: '2026-03-02' })).statusCode,
  ).toBe(200)
  expect((await ask('/sim-swap/v2/check', { phoneNumber: '+4915112345678', maxAge: 24 })).statusCode).toBe(404)
  // A complaint that b was taken: the case and its hold, in time.
  const complaint = await t.server.inject({
    method: 'POST',
    url: '/api/v1/cases',
    headers: auth(agent.token),
    payload: {
      category: 'number_taken',
      description: 'not me',
      msisdns: [b.msisdn],
      complainant: { method: 'id_document', document: b.subscriber.kyc_doc_number },
    },
  })
  expect(complaint.statusCode, complaint.body).toBe(201)
  // April: a warning that March's report must not count.
  t.clock.advance(31 * DAY)
  await queueTestNotice(t.app, { msisdn: b.msisdn, custodyId: b.custodyId, dedupeKey: `m:${b.msisdn}:april` })
  await runAuditLogPass(t.app)
  auditor = await makeStaff(t.app, ['auditor'])
})
afterAll(async () => {
  await t?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('the monthly report', () => {
  let march: MonthlyReport

  it("counts the month's numbers, warnings, alerts by staff member and partner checks", async () => {
    const res = await report(auditor, 'month=2026-03')
    expect(res.statusCode, res.body).toBe(200)
    march = res.json()
    expect(march).toMatchObject({ month: '2026-03', time_zone: 'Asia/Phnom_Penh', complete: true })
    expect(march.from).toBe('2026-02-28T17:00:00.000Z')
    expect(march.to).toBe('2026-03-31T17:00:00.000Z')
    expect(march.counts.numbers).toMatchObject({ warned: 2, withdrawn: 1, suspended: 0, recycled: 0 })
    expect(march.counts.warnings.queued).toBe(3)
    expect(march.counts.alerts.by_staff).toEqual([
      expect.objectContaining({ staff_id: agent.id, username: agent.username, raised: 1, repeats: 1 }),
    ])
    expect(march.counts.complaints_by_category).toEqual({ number_taken: 1 })
    expect(march.counts.cases).toMatchObject({ complaints: 1, holds_placed: 1, holds_within_sla: 1, holds_late: 0 })
    expect(march.partner.checks).toBe(3)
    expect(march.partner.by_operation).toEqual({
      sim_swap_check: { answered: 1, refused: 1 },
      number_recycling_check: { answered: 1, refused: 0 },
    })
  })

  it('names a signed checkpoint that covers its leaf range', () => {
    expect(march.leaves.first_index).toBe(0)
    expect(march.leaves.last_index).not.toBeNull()
    expect(march.checkpoint?.size).toBeGreaterThan(march.leaves.last_index as number)
    expect(march.checkpoint?.note).toContain(`\n${march.checkpoint?.size}\n`)
  })

  it('gives the same counts as an audit export of that leaf range, recounted offline', async () => {
    const api = new Api(await t.server.listen({ host: '127.0.0.1', port: 0 }), auditor.token)
    const bundle = join(dir, 'bundle')
    await writeBundle(bundle, apiBundleSource(api))
    const manifest = JSON.parse(await readFile(join(bundle, 'manifest.json'), 'utf8'))
    const lines = (await readFile(join(bundle, manifest.leaves), 'utf8')).trimEnd().split('\n')
    const first = march.leaves.first_index as number
    const last = march.leaves.last_index as number
    const leaves = lines.slice(first, last + 1).map((l) => JSON.parse(l) as ReportLeaf)
    expect(countMonth(leaves, march.from, march.to)).toEqual(march.counts)
    // The April warning is in the export, outside March's range.
    expect(lines.length).toBeGreaterThan(last + 1)
  })

  it('writes CSV, one row per figure', async () => {
    const res = await report(auditor, 'month=2026-03&format=csv')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toContain('text/csv')
    const rows = res.body.split('\r\n')
    expect(rows[0]).toBe('section,item,value')
    expect(rows).toEqual(expect.arrayContaining(['numbers,warned,2', 'warnings,queued,3', 'partner,checks,3']))
    expect(rows).toContain(`alerts_by_staff,${agent.username},2`)
  })

  it('writes a PDF carrying every figure of the CSV, the leaf range and the signed checkpoint', async () => {
    const officer = await makeStaff(t.app, ['compliance_officer'])
    const csv = (await report(auditor, 'month=2026-03&format=csv')).body.trimEnd().split('\r\n').slice(1)
    // Items in tables (alert kinds, staff members, complaint categories, partner operations and clients) stand beside their figure;
    // one-figure rows by their label, with their CSV `section.item` printed under it.
    const tables = [
      'alerts_by_kind',
      'alerts_by_staff',
      'complaints_by_category',
      'partner_answered',
      'partner_refused',
      'partner_by_client',
    ]
    const shown = (v: string) => (v === '' ? '—' : v === 'true' ? 'yes' : v === 'false' ? 'no' : v)
    for (const who of [auditor, officer]) {
      const res = await report(who, 'month=2026-03&format=pdf')
      expect(res.statusCode, res.body).toBe(200)
      expect(res.headers['content-type']).toBe('application/pdf')
      expect(res.headers['content-disposition']).toBe('attachment; filename="numguard-monthly-2026-03.pdf"')
      const pdf = await readPdf(res.rawPayload)
      for (const row of csv) {
        expect(row).not.toContain('"')
        const [section, item, value] = row.split(',')
        if (tables.includes(section)) {
          expect(lineWith(pdf, item, value), row).toBeDefined()
          continue
        }
        const label = MONTHLY_FIGURES[`${section}.${item}`]
        expect(label, row).toBeDefined()
        expect(lineWith(pdf, label.en, shown(value)), row).toBeDefined()
        expect(lineWith(pdf, `${section}.${item}`), row).toBeDefined()
      }
      expect(lineWith(pdf, agent.username, agent.id, '1', '1', '2')).toBeDefined()
      expect(lineWith(pdf, 'sim_swap_check', '1', '1')).toBeDefined()
      expect(pdf.text).toContain(`leaves ${march.leaves.first_index}–${march.leaves.last_index}`)
      const checkpoint = march.checkpoint as NonNullable<MonthlyReport['checkpoint']>
      const [origin, , root] = checkpoint.note.split('\n')
      expect(pdf.text).toContain(`${origin}, size ${checkpoint.size}, signed ${checkpoint.signed_at}`)
      expect(pdf.text).toContain(`root hash ${root}`)
      expect(lineWith(pdf, 'Monthly report 2026-03')).toBeDefined()
      // Khmer: the labels are there (in glyph order) in the shipped font, embedded.
      expect(khmerChars(pdf.text)).toBeGreaterThan(200)
      expect(embeddedFonts(res.rawPayload)).toEqual(['NotoSansKhmer-Bold', 'NotoSansKhmer-Regular'])
      const created = t.clock
        .now()
        .toISOString()
        .replace(/[-:T]|\.\d{3}/g, '')
      expect((await pdfInfo(res.rawPayload)).CreationDate).toBe(`D:${created}`)
    }
    // The first agent's session ended with March; a fresh one is still refused, and no session at all is a 401.
    expect((await report(await makeStaff(t.app, ['agent']), 'month=2026-03&format=pdf')).statusCode).toBe(403)
    const anonymous = await t.server.inject({ method: 'GET', url: '/api/v1/reports/monthly?month=2026-03&format=pdf' })
    expect(anonymous.statusCode).toBe(401)
  })

  it('says a month that has not ended is not final, and refuses a malformed month', async () => {
    const april = (await report(auditor, 'month=2026-04')).json()
    expect(april.complete).toBe(false)
    expect(april.counts.warnings.queued).toBe(1)
    // Without a month: last month by the server's clock (now in April).
    expect((await report(auditor, '')).json()).toMatchObject({ month: '2026-03', counts: march.counts })
    expect((await report(auditor, 'month=2026-13')).statusCode).toBe(400)
  })
})
