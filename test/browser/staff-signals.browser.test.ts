// The console's staff risk signals in Debian's Chromium: an auditor opens an agent's signals on the Administration
// page and sees the refused attempts with a link to each leaf behind them, which fetches the leaf with its proof.
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAuditLogPass } from '../../src/audit/log-service.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { ensureConsoleBuilt, launchChromium, signedInPage } from '../helpers/browser.ts'
import {
  createStaffAccount,
  makeActiveNumber,
  makeSims,
  makeStaff,
  newSubscriber,
  type TestStaff,
} from '../helpers/factories.ts'
import { auth } from '../http/support.ts'

const WAIT = 30_000
const PASSWORD = 'auditor-password-1'

describe('a staff member’s risk signals in Chromium', () => {
  let t: TestApp
  let browser: Browser
  let base: string
  let auditor: { username: string }
  let rogue: TestStaff

  beforeAll(async () => {
    ensureConsoleBuilt()
    t = await openTestApp()
    const { msisdn } = await makeActiveNumber(t.app)
    t.clock.advance(40 * 86_400_000) // the holder has used the number for weeks (an instant later it is a race)
    rogue = await makeStaff(t.app, ['agent'])
    const [iccid] = await makeSims(t.app, rogue.shopId as string, 1)
    // The incident's first move: selling a number somebody holds. Refused, with a risk alert in the rogue's name.
    const sell = await t.server.inject({
      method: 'POST',
      url: `/api/v1/numbers/${encodeURIComponent(msisdn)}/sell`,
      headers: auth(rogue.token),
      payload: { iccid, subscriber: newSubscriber() },
    })
    expect(sell.statusCode).toBe(409)
    await runAuditLogPass(t.app)
    auditor = await createStaffAccount(t.app, ['auditor'], null, PASSWORD)
    base = await t.server.listen({ host: '127.0.0.1', port: 0 })
    browser = await launchChromium()
  }, 180_000)
  afterAll(async () => {
    await browser?.close()
    await t?.close()
  })

  it('shows the refused attempt with a link to its leaf, which answers the leaf and its proof', async () => {
    const page = await signedInPage(browser, base, { username: auditor.username, password: PASSWORD }, WAIT)
    await page.getByTestId('nav-admin').click()
    const row = page.locator(`[data-testid="admin-staff-row"][data-username="${rogue.username}"]`)
    await row.getByTestId('staff-signals-open').click()
    const section = page.locator(`[data-testid="staff-signals"][data-username="${rogue.username}"]`)
    const refused = section.locator('[data-testid="staff-signal"][data-signal="refused_attempts"]')
    await refused.waitFor()
    expect(await refused.textContent()).toContain('refused attempts')
    const link = refused.locator('a').first()
    const href = (await link.getAttribute('href')) as string
    expect(href).toMatch(/^\/api\/v1\/audit\/proofs\/inclusion\?index=\d+$/)
    // The console's own session fetches it: the leaf with its inclusion proof in the latest checkpoint.
    const answer = await page.request.get(`${base}${href}`)
    expect(answer.status()).toBe(200)
    const body = await answer.json()
    expect(String(body.index)).toBe(href.split('=')[1])
    expect(Buffer.from(body.leaf, 'base64').toString('utf8')).toContain('attempt_on_active_number')
  }, 90_000)
})
