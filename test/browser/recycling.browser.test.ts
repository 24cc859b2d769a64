// The recycling demo in Chromium: an agent walks the demo clock from the Recycling page; a suspended holder who
// let their number lapse is warned and withdrawn on the way, the number page shows it ageing (reclaimable), and the
// phone page shows the SMS that holder received, the withdrawal last.
import { sql } from 'kysely'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedDemo } from '../../src/demo/seed.ts'
import { startSms, whenBound } from '../../src/sms/index.ts'
import type { RunningSms } from '../../src/sms/runtime.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { ensureConsoleBuilt, launchChromium } from '../helpers/browser.ts'

const WAIT = 60_000

describe('the recycling demo in Chromium', () => {
  let t: TestApp
  let sms: RunningSms
  let base: string
  let browser: Browser
  let page: Page
  let lapsed: string

  beforeAll(async () => {
    ensureConsoleBuilt()
    t = await openTestApp({}, { demoClock: true })
    sms = await startSms(t.app, { sendLoop: false })
    await whenBound(sms.link.transport)
    await seedDemo(t.app.deps, { rangeSize: 1000 })
    // The suspended holder nearest to withdrawal who makes no calls (no usage veto) and does not come back.
    const { rows } = await sql<{ msisdn: string }>`
      SELECT r.msisdn FROM recycling_state r JOIN numbers n ON n.msisdn = r.msisdn AND n.state = 'suspended'
       WHERE r.stage = 'in_cycle' AND right(r.msisdn, 2)::int % 25 <> 3
         AND NOT EXISTS (SELECT 1 FROM activity_events e WHERE e.custody_id = r.custody_id AND e.kind = 'usage')
       ORDER BY r.cycle_started_at, r.msisdn LIMIT 1`.execute(t.app.db)
    lapsed = rows[0].msisdn
    base = await t.server.listen({ host: '127.0.0.1', port: 0 })
    browser = await launchChromium()
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    page = await context.newPage()
    page.setDefaultTimeout(WAIT)
    await page.goto(`${base}/sign-in`)
    await page.getByTestId('sign-in-username').fill('agent.pp1')
    await page.getByTestId('sign-in-password').fill('demo-agent-pp1')
    await page.getByTestId('sign-in-submit').click()
    await page.getByTestId('page-dashboard').waitFor()
  }, 240_000)

  afterAll(async () => {
    // What the page showed last, for a person to look at when the scenario failed.
    await page?.screenshot({ path: '/tmp/numguard-recycling.png', fullPage: true }).catch(() => {})
    await browser?.close()
    await sms?.close()
    await t?.close()
  })

  it('walks the clock until a lapsed holder’s number ages, with its SMS in the phone', async () => {
    await page.getByTestId('nav-recycling').click()
    await page.getByTestId('page-recycling').waitFor()
    await expect.poll(() => page.getByTestId('stage-suspended').locator('.stat-figure').textContent()).not.toBe('0')

    // A week is enough: warned at once on the first day (its warnings were due), withdrawn five days after the last
    // warning's delivery receipt.
    await page.getByTestId('walk-7').click()
    await page.getByTestId('walk-progress').waitFor()
    await page.getByTestId('walk-progress').waitFor({ state: 'detached', timeout: 180_000 })
    await expect.poll(() => page.getByTestId('stage-aging').locator('.stat-figure').textContent()).not.toBe('0')

    await page.goto(`${base}/numbers/${encodeURIComponent(lapsed)}`)
    await expect.poll(() => page.getByTestId('recycling-group').getAttribute('data-group')).toBe('aging')
    await expect(page.getByTestId('number-state').getAttribute('data-state')).resolves.toBe('aging')
    await page.getByTestId('reclaim-until').waitFor()
    await page.getByTestId('reclaim-button').waitFor()
    await expect.poll(() => page.getByTestId('notice-row').count()).toBeGreaterThanOrEqual(2)

    await page.getByRole('link', { name: 'open the phone' }).click()
    await page.getByTestId('page-phone').waitFor()
    await expect.poll(() => page.getByTestId('phone-message').count()).toBeGreaterThanOrEqual(2)
    const last = await page.getByTestId('phone-message').last().textContent()
    // The holder's language decides: Khmer "ដកហូត" (withdrawn) or English "withdrawn".
    expect(last).toMatch(/withdrawn|ដកហូត/)
  }, 300_000)
})
