// The "Verify customer" dialog in Chromium: an agent on a number's page sends a code to the holder's phone (the
// embedded SMSC), types what the phone shows, and lands on the customer's account in full; without a session the
// subscriber page asks to authenticate the customer first.
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SmsLink } from '../../src/sms/runtime.ts'
import { whenBound } from '../../src/sms/runtime.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { ensureConsoleBuilt, launchChromium } from '../helpers/browser.ts'
import { sessionCodeOnPhone, textsOnPhone } from '../helpers/customer-session.ts'
import { makeActiveNumber } from '../helpers/factories.ts'
import { makeStaffWithPassword } from './support.ts'

const WAIT = 30_000

describe('Verify customer in the console', () => {
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

  it('opens the holder’s account only after the code from their phone is typed', async () => {
    const { msisdn, sale } = await makeActiveNumber(t.app)
    const agent = await makeStaffWithPassword(t.app, ['agent'], 'browser-agent-password', null)
    await page.goto(`${base}/sign-in`)
    await page.getByTestId('sign-in-username').fill(agent.username)
    await page.getByTestId('sign-in-password').fill(agent.password)
    await page.getByTestId('sign-in-submit').click()
    await page.getByTestId('page-dashboard').waitFor()

    await page.goto(`${base}/subscribers/${sale.subscriber_id}`)
    await page.getByTestId('subscriber-needs-session').waitFor()
    await page.goto(`${base}/numbers/${encodeURIComponent(msisdn)}`)
    // Before: the number's page withholds the account (no holder, no custody timeline, no SIM) and offers the way in.
    await page.getByTestId('account-withheld').waitFor()
    expect(await page.getByTestId('custody-timeline').count()).toBe(0)
    expect(await page.getByTestId('number-holder').textContent()).not.toContain('S****')
    await page.getByTestId('verify-customer-button').click()
    const earlier = textsOnPhone(t.app, msisdn)
    await page.getByTestId('verify-customer-start').click()
    await page.getByTestId('verify-customer-sent').waitFor()

    const code = await sessionCodeOnPhone(t.app, msisdn, earlier)
    await page.getByTestId('verify-customer-code').fill(code)
    await page.getByTestId('verify-customer-verify').click()
    await page.waitForURL((u) => u.pathname === `/subscribers/${sale.subscriber_id}`)
    await expect.poll(() => page.getByTestId('subscriber-name').textContent(), { timeout: WAIT }).toBe('Sokha Chan')
    await page.getByTestId('subscriber-sims').waitFor()
    // Back on the number's page the account is shown in full: the holder by name, the custody timeline and SIM.
    await page.goto(`${base}/numbers/${encodeURIComponent(msisdn)}`)
    await expect.poll(() => page.getByTestId('number-holder').textContent(), { timeout: WAIT }).toContain('Sokha Chan')
    await page.getByTestId('custody-timeline').waitFor()
    await page.getByTestId('bindings-table').waitFor()
    await page.getByTestId('customer-verified').waitFor()
    await page.goto(`${base}/subscribers/${sale.subscriber_id}`)
    await page.getByTestId('subscriber-close-session').click()
    await page.getByTestId('subscriber-needs-session').waitFor()
  }, 90_000)
})
