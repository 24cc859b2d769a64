// The console's monthly report in Debian's Chromium: an auditor opens it and it shows last month's figures (the
// month before the server's clock), final and covered by a signed checkpoint, with the staff member whose refused
// calls raised alerts; its Download PDF link saves the month's PDF.
import { readFileSync } from 'node:fs'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAuditLogPass } from '../../src/audit/log-service.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { ensureConsoleBuilt, launchChromium, signedInPage } from '../helpers/browser.ts'
import { createStaffAccount, makeStaff, type TestStaff } from '../helpers/factories.ts'
import { lineWith, readPdf } from '../helpers/pdf.ts'
import { DAY, sellTo } from '../helpers/reclaim-fixtures.ts'
import { queueTestNotice } from '../helpers/sms.ts'
import { auth } from '../http/support.ts'

const WAIT = 30_000
const PASSWORD = 'auditor-password-1'

describe('the monthly report page in Chromium', () => {
  let t: TestApp
  let browser: Browser
  let base: string
  let auditor: { username: string }
  let agent: TestStaff

  beforeAll(async () => {
    ensureConsoleBuilt()
    t = await openTestApp()
    agent = await makeStaff(t.app, ['agent'])
    const held = await sellTo(t.app, { agent })
    await queueTestNotice(t.app, { msisdn: held.msisdn, custodyId: held.custodyId })
    const refused = await t.server.inject({
      method: 'GET',
      url: '/api/v1/reports/monthly?month=2026-03',
      headers: auth(agent.token),
    })
    expect(refused.statusCode).toBe(403)
    t.clock.advance(31 * DAY)
    await runAuditLogPass(t.app)
    auditor = await createStaffAccount(t.app, ['auditor'], null, PASSWORD)
    base = await t.server.listen({ host: '127.0.0.1', port: 0 })
    browser = await launchChromium()
  }, 180_000)
  afterAll(async () => {
    await browser?.close()
    await t?.close()
  })

  it("shows last month's figures, final, with the staff member behind the alerts", async () => {
    const page = await signedInPage(browser, base, { username: auditor.username, password: PASSWORD }, WAIT)
    await page.getByTestId('nav-monthly-report').click()
    await page.getByTestId('monthly-summary').waitFor()
    expect(await page.getByTestId('monthly-month').inputValue()).toBe('2026-03')
    expect(await page.getByTestId('monthly-numbers-warned').textContent()).toBe('1')
    expect(await page.getByTestId('monthly-warnings-queued').textContent()).toBe('1')
    expect(await page.getByTestId('monthly-complete').textContent()).toBe('final')
    expect(await page.getByTestId('monthly-staff').textContent()).toContain(agent.username)
    await page.screenshot({ path: '/tmp/numguard-monthly-page.png', fullPage: true })
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('monthly-pdf').click()])
    expect(download.suggestedFilename()).toBe('numguard-monthly-2026-03.pdf')
    const pdf = await readPdf(readFileSync(await download.path()))
    expect(lineWith(pdf, 'Numbers warned', '1')).toBeDefined()
  }, 90_000)
})
