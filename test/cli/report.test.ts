// `numguard report disconnections --month`: the CLI asks the running server for the month's file and saves it; a
// re-run saves the same bytes; an existing different file is never overwritten. `numguard report monthly` saves the
// monthly report as CSV or, written by the server, as PDF; `numguard report incident CASE` the account of a case.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/access/secrets.ts'
import { runAuditLogPass } from '../../src/audit/log-service.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { makeStaff } from '../helpers/factories.ts'
import { lineWith, readPdf } from '../helpers/pdf.ts'
import { DAY, sellTo, withdrawForInactivity } from '../helpers/reclaim-fixtures.ts'
import { auth } from '../http/support.ts'
import { cliEnv, errorLines, numguard } from './support.ts'

let t: TestApp
let url: string
let dir: string
let msisdn: string
let kycDocument: string
let env: NodeJS.ProcessEnv

beforeAll(async () => {
  t = await openTestApp() // 2026-03-02 in Phnom Penh
  url = await t.server.listen({ host: '127.0.0.1', port: 0 })
  dir = mkdtempSync(join(tmpdir(), 'numguard-cli-report-'))
  const held = await sellTo(t.app, { agent: await makeStaff(t.app, ['agent']) })
  msisdn = held.msisdn
  kycDocument = held.subscriber.kyc_doc_number
  await withdrawForInactivity(t.app, held)
  t.clock.advance(10 * DAY) // 2026-03-12: the 10th has ended
  // A compliance officer signs in with TOTP: the CLI uses the session token it got.
  const officer = await makeStaff(t.app, ['compliance_officer'])
  env = cliEnv({
    NUMGUARD_URL: url,
    XDG_CONFIG_HOME: join(dir, 'config'),
    NUMGUARD_DATA: join(dir, 'data'),
    NUMGUARD_TOKEN: officer.token,
  })
})
afterAll(async () => {
  await t?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('numguard report disconnections', () => {
  it('saves the month’s file and says what it holds', async () => {
    const out = join(dir, 'march.csv')
    const run = await numguard(['report', 'disconnections', '--month', '2026-03', '--out', out], env)
    expect(run.code, run.stderr).toBe(0)
    const content = readFileSync(out, 'utf8')
    expect(content).toBe(`number,disconnection_date,record\r\n${msisdn.slice(1)},2026-03-02,disconnected\r\n`)
    expect(run.stdout).toContain(
      'disconnections-2026-03.csv: 1 disconnection(s) and 0 cancellation(s) through 2026-03-10',
    )
    expect(run.stdout).toContain(`SHA-256 ${sha256Hex(content)}`)

    const again = await numguard(['report', 'disconnections', '--month', '2026-03', '--out', out], env)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain('(the file written earlier)')
    expect(readFileSync(out, 'utf8')).toBe(content)
  })

  it('never overwrites a different file, and refuses a malformed month', async () => {
    const out = join(dir, 'other.csv')
    writeFileSync(out, 'something else\n')
    const run = await numguard(['report', 'disconnections', '-m', '2026-03', '-o', out], env)
    expect(run.code).toBe(1)
    expect(errorLines(run.stderr).join('\n')).toMatch(/exists and differs/)
    expect(readFileSync(out, 'utf8')).toBe('something else\n')
    const bad = await numguard(['report', 'disconnections', '--month', '2026-3'], env)
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/YYYY-MM/)
  })
})

describe('numguard report monthly', () => {
  it('saves the month as CSV by default and as PDF with --format pdf', async () => {
    await runAuditLogPass(t.app) // the month's leaves enter the tree and a checkpoint is signed
    const csv = join(dir, 'monthly.csv')
    const run = await numguard(['report', 'monthly', '--month', '2026-03', '--out', csv], env)
    expect(run.code, run.stderr).toBe(0)
    const rows = readFileSync(csv, 'utf8').split('\r\n')
    expect(rows[0]).toBe('section,item,value')
    expect(rows).toContain('numbers,withdrawn,1')

    const out = join(dir, 'monthly.pdf')
    const pdfRun = await numguard(['report', 'monthly', '--month', '2026-03', '--format', 'pdf', '--out', out], env)
    expect(pdfRun.code, pdfRun.stderr).toBe(0)
    expect(pdfRun.stdout).toContain(`saved to ${out}`)
    const pdf = await readPdf(readFileSync(out))
    expect(lineWith(pdf, 'Monthly report 2026-03')).toBeDefined()
    expect(lineWith(pdf, 'Withdrawn for inactivity', '1')).toBeDefined()

    const bad = await numguard(['report', 'monthly', '--month', '2026-03', '--format', 'docx'], env)
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/csv or pdf/)
  })
})

describe('numguard report incident', () => {
  it('saves the account of a case as PDF by default, or as JSON', async () => {
    const agent = await makeStaff(t.app, ['agent'])
    const opened = await t.server.inject({
      method: 'POST',
      url: '/api/v1/cases',
      headers: auth(agent.token),
      payload: {
        category: 'missed_warning',
        description: 'My number was withdrawn and I never got a warning.',
        msisdns: [msisdn],
        complainant: { method: 'id_document', document: kycDocument },
      },
    })
    expect(opened.statusCode, opened.body).toBe(201)
    const { id, reference } = opened.json()
    await runAuditLogPass(t.app)

    const out = join(dir, 'incident.pdf')
    const run = await numguard(['report', 'incident', reference, '--out', out], env)
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain(`${reference} (open)`)
    expect(run.stdout).toContain(`saved to ${out}`)
    const pdf = await readPdf(readFileSync(out))
    expect(lineWith(pdf, `Incident report ${reference}`)).toBeDefined()
    expect(lineWith(pdf, 'Case', id)).toBeDefined()

    const json = join(dir, 'incident.json')
    const asJson = await numguard(['report', 'incident', id, '--format', 'json', '--out', json], env)
    expect(asJson.code, asJson.stderr).toBe(0)
    const report = JSON.parse(readFileSync(json, 'utf8'))
    expect(report.case).toMatchObject({ id, reference, category: 'missed_warning' })
    expect(report.numbers).toEqual([msisdn])

    const missing = await numguard(['report', 'incident', 'KH-2026-999999'], env)
    expect(missing.code).toBe(1)
  })
})
