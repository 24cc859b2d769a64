// Filing a SIM swap from the number's page in Chromium: the agent verifies the customer, files the swap with a SIM
// of their shop, and sees it wait for the holder's YES from their phone; the holder replies (embedded SMSC) and
// the page shows the swap executed and in the number's SIM-swap history.
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SmsLink } from '../../src/sms/runtime.ts'
import { whenBound } from '../../src/sms/runtime.ts'
import { sendDueNotices } from '../../src/sms/sender.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { ensureConsoleBuilt, launchChromium } from '../helpers/browser.ts'
import { sessionCodeOnPhone, textsOnPhone } from '../helpers/customer-session.ts'
import { makeActiveNumber, makeShop, makeSims } from '../helpers/factories.ts'
import { makeStaffWithPassword } from '../http/support.ts'

const WAIT = 30_000

describe('a SIM swap filed in the console', () => {
  let t: TestApp
  let sms: SmsLink
  let base: string
  let browser: Browser
  let page: Page

  beforeAll(async () => {
    ensureConsoleBuilt()
    t = await openTestApp({}, { sms: 'simulator' })
    sms = t.app.sms as SmsLink
    await whenBound(sms.transport)
    sms.smsc?.setBehaviour({ dropReceipts: true })
    base = await t.server.listen({ host: '127.0.0.1', port: 0 })
    browser = await launchChromium()
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage()
    page.setDefaultTimeout(WAIT)
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    await t?.close()
  })

  /** The latest consent code (`YES <code>`) the holder's phone received. */
  async function consentCodeOnPhone(msisdn: string): Promise<string> {
    await sendDueNotices(t.app, sms.transport)
    const texts = sms.smsc?.inbox(msisdn).map((m) => m.text) ?? []
    const code = texts.flatMap((x) => [...x.matchAll(/YES (\d{6})/g)].map((m) => m[1])).at(-1) ?? ''
    expect(code, texts.join(' | ')).toMatch(/^\d{6}$/)
    return code
  }

  it('waits for the holder’s YES from their phone, then shows the swap in the history', async () => {
    const { msisdn } = await makeActiveNumber(t.app)
    const shopId = await makeShop(t.app)
    const [iccid] = await makeSims(t.app, shopId, 1)
    const agent = await makeStaffWithPassword(t.app, ['agent'], 'browser-agent-password', shopId)
    await page.goto(`${base}/sign-in`)
    await page.getByTestId('sign-in-username').fill(agent.username)
    await page.getByTestId('sign-in-password').fill(agent.password)
    await page.getByTestId('sign-in-submit').click()
    await page.getByTestId('page-dashboard').waitFor()

    // Outside a customer session the changes are not offered.
    await page.goto(`${base}/numbers/${encodeURIComponent(msisdn)}`)
    await page.getByTestId('changes-panel').waitFor()
    expect(await page.getByTestId('change-sim_swap').count()).toBe(0)
    await page.getByTestId('verify-customer-button').click()
    const earlier = textsOnPhone(t.app, msisdn)
    await page.getByTestId('verify-customer-start').click()
    await page.getByTestId('verify-customer-sent').waitFor()
    await page.getByTestId('verify-customer-code').fill(await sessionCodeOnPhone(t.app, msisdn, earlier))
    await page.getByTestId('verify-customer-verify').click()
    await page.waitForURL((u) => u.pathname.startsWith('/subscribers/'))

    await page.goto(`${base}/numbers/${encodeURIComponent(msisdn)}`)
    await page.getByTestId('swap-lock-status').waitFor()
    await page.getByTestId('change-sim_swap').click()
    const form = page.getByTestId('change-form-sim-swap')
    await form.getByTestId('sell-sim').selectOption(iccid)
    await form.getByTestId('change-submit').click()

    const filed = page.getByTestId('filed-request')
    await expect.poll(() => filed.getByTestId('request-status').textContent(), { timeout: WAIT }).toBe('pending')
    const outstanding = filed.getByTestId('consent-outstanding')
    await expect.poll(() => outstanding.textContent(), { timeout: WAIT }).toContain('reply YES <code>')
    expect(await outstanding.textContent()).toContain('from their phone')
    await filed.getByTestId('send-new-code').waitFor()

    // The holder replies from their phone: the swap executes, and the page follows.
    await sms.smsc?.injectMo(msisdn, 'numguard', `YES ${await consentCodeOnPhone(msisdn)}`)
    await expect
      .poll(() => filed.getByTestId('request-status').textContent(), { timeout: WAIT, interval: 500 })
      .toBe('executed')
    await page.reload()
    await expect.poll(() => page.getByTestId('sim-swaps').textContent(), { timeout: WAIT }).toContain(iccid)
  }, 120_000)
})
