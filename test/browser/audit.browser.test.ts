// The console's audit log page in Debian's Chromium: an auditor opens a number's timeline and every leaf's proof is
// checked in the browser (WebCrypto) against the signed checkpoint.
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAuditLogPass } from '../../src/audit/log-service.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { ensureConsoleBuilt, launchChromium, signedInPage } from '../helpers/browser.ts'
import { createStaffAccount, makeActiveNumber } from '../helpers/factories.ts'

const WAIT = 30_000
const PASSWORD = 'auditor-password-1'

describe('the audit log page in Chromium', () => {
  let t: TestApp
  let browser: Browser
  let base: string
  let auditor: { username: string }
  let msisdn: string

  beforeAll(async () => {
    ensureConsoleBuilt()
    t = await openTestApp()
    auditor = await createStaffAccount(t.app, ['auditor'], null, PASSWORD)
    msisdn = (await makeActiveNumber(t.app)).msisdn
    await runAuditLogPass(t.app)
    base = await t.server.listen({ host: '127.0.0.1', port: 0 })
    browser = await launchChromium()
  }, 180_000)
  afterAll(async () => {
    await browser?.close()
    await t?.close()
  })

  it("shows a number's timeline with every proof verified in the browser", async () => {
    const page = await signedInPage(browser, base, { username: auditor.username, password: PASSWORD }, WAIT)
    await page.getByTestId('nav-audit').click()
    await page.getByTestId('audit-checkpoint').waitFor()
    await expect
      .poll(() => page.getByTestId('audit-signature').textContent(), { timeout: WAIT })
      .toMatch(/verified here ✓|checked by the server/)
    await page.getByTestId('audit-timeline-value').fill(msisdn)
    await page.getByTestId('audit-timeline-show').click()
    await page.getByTestId('audit-timeline').waitFor()
    const statuses = page.getByTestId('audit-proof-status')
    // Rows render as their proofs arrive: wait until the sale's leaf is shown and every proof has been checked.
    await expect
      .poll(
        async () => {
          const all = await statuses.allTextContents()
          const text = (await page.getByTestId('audit-timeline').textContent()) ?? ''
          return all.length >= 1 && text.includes('number.sold') && !all.includes('checking…')
        },
        { timeout: WAIT },
      )
      .toBe(true)
    expect(new Set(await statuses.allTextContents())).toEqual(new Set(['verified ✓']))
    await page.screenshot({ path: '/tmp/numguard-audit-page.png', fullPage: true })
  }, 90_000)
})
