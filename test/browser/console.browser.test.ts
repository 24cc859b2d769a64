// The staff console end to end in Debian's Chromium: a real numguard server on a seeded test database, an agent
// selling a number and being refused on a held one, and compliance seeing the risk alert that names the agent.
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { seedDemo } from '../../src/demo/seed.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { ensureConsoleBuilt, launchChromium } from '../helpers/browser.ts'

const WAIT = 30_000

describe('staff console in Chromium', () => {
  let t: TestApp
  let base: string
  let browser: Browser
  let agent: BrowserContext
  let heldNumber: string
  const contexts: BrowserContext[] = []

  async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    contexts.push(context)
    const page = await context.newPage()
    page.setDefaultTimeout(WAIT)
    page.on('pageerror', (err) => console.warn(`console page error: ${err.message}`))
    return { context, page }
  }

  async function signIn(page: Page, username: string, password: string): Promise<void> {
    await page.goto(`${base}/sign-in`)
    await page.getByTestId('sign-in-username').fill(username)
    await page.getByTestId('sign-in-password').fill(password)
    await page.getByTestId('sign-in-submit').click()
    // Supervisors, compliance officers and the admin owe a TOTP code: the demo fills in its demo account's code.
    const done = page.getByTestId('page-dashboard').or(page.getByTestId('mfa-form'))
    await done.first().waitFor()
    if (await page.getByTestId('mfa-form').isVisible()) {
      await page.getByTestId('mfa-demo-code').click()
      await expect.poll(() => page.getByTestId('mfa-code').inputValue(), { timeout: WAIT }).toMatch(/^[0-9]{6}$/)
      await page.getByTestId('mfa-submit').click()
    }
    await page.getByTestId('page-dashboard').waitFor()
  }

  /** agent.pp1's page, signed in once and shared by the scenarios (each can also run alone). */
  async function agentPage(): Promise<Page> {
    if (agent) return agent.pages()[0]
    const { context, page } = await newPage()
    agent = context
    await signIn(page, 'agent.pp1', 'demo-agent-pp1')
    return page
  }

  async function lookUp(page: Page, msisdn: string): Promise<void> {
    await page.getByTestId('lookup-input').fill(msisdn)
    await page.getByTestId('lookup-submit').click()
    await page.waitForURL((u) => u.pathname === `/numbers/${encodeURIComponent(msisdn)}`)
    await expect.poll(() => page.getByTestId('number-msisdn').textContent(), { timeout: WAIT }).toBe(msisdn)
  }

  /** Picks the first SIM the sell page offers and fills in a new subscriber. */
  async function fillSale(page: Page, name: string): Promise<void> {
    await page.getByTestId('sell-form').waitFor()
    const sim = page.getByTestId('sell-sim')
    await sim.locator('option:not([value=""])').first().waitFor({ state: 'attached' })
    const iccid = await sim.locator('option:not([value=""])').first().getAttribute('value')
    await sim.selectOption(iccid as string)
    await page.getByTestId('sell-name').fill(name)
    await page.getByTestId('sell-doc-number').fill(`N${Date.now().toString().slice(-9)}`)
  }

  beforeAll(async () => {
    ensureConsoleBuilt()
    t = await openTestApp()
    const summary = await seedDemo(t.app.deps)
    heldNumber = summary.samples.active ?? '+85512000002'
    base = await t.server.listen({ host: '127.0.0.1', port: 0 })
    browser = await launchChromium()
  }, 180_000)

  // A failing scenario leaves what each open page showed, for a person to look at.
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return
    const pages = contexts.flatMap((c) => c.pages())
    for (const [i, p] of pages.entries()) {
      await p.screenshot({ path: `/tmp/numguard-failure-${i}.png`, fullPage: true }).catch(() => {})
      console.warn(`failure screenshot /tmp/numguard-failure-${i}.png of ${p.url()}`)
    }
  })

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {})
    await browser?.close()
    await t?.close()
  })

  it('an agent sells an available number with a SIM of their shop to a new subscriber', async () => {
    const page = await agentPage()

    // The dashboard: total and chart of numbers by state.
    await expect.poll(() => page.getByTestId('stats-total').textContent(), { timeout: WAIT }).toMatch(/^10[,.\s]?100$/)
    await page.getByTestId('stats-chart').locator('.recharts-bar-rectangle').first().waitFor()
    await page.screenshot({ path: '/tmp/numguard-dashboard.png', fullPage: true })

    const row = await t.app.db
      .selectFrom('numbers')
      .select('msisdn')
      .where('state', '=', 'available')
      .orderBy('msisdn')
      .executeTakeFirstOrThrow()
    const msisdn = row.msisdn
    await lookUp(page, msisdn)
    await expect(page.getByTestId('number-state').getAttribute('data-state')).resolves.toBe('available')

    await page.getByTestId('sell-button').click()
    await page.waitForURL((u) => u.pathname.endsWith('/sell'))
    await fillSale(page, 'Sok Dara')
    await page.getByTestId('sell-submit').click()
    await page.getByTestId('sell-success').waitFor()

    await page.getByTestId('sell-success').getByRole('link', { name: 'Open the number' }).click()
    // The seller has no customer session: the account is withheld, with the way to verify the customer.
    await page.getByTestId('account-withheld').getByTestId('verify-customer-button').waitFor()
    await expect
      .poll(() => page.getByTestId('number-state').getAttribute('data-state'), { timeout: WAIT })
      .toBe('active')
    await page.screenshot({ path: '/tmp/numguard-number.png', fullPage: true })

    const open = await t.app.db
      .selectFrom('custodies')
      .select(['id', 'subscriber_id'])
      .where('msisdn', '=', msisdn)
      .where('ended_at', 'is', null)
      .execute()
    expect(open).toHaveLength(1)
  }, 90_000)

  it('a sale of a held number is refused with number_in_custody and compliance sees the risk alert', async () => {
    const page = await agentPage()
    await lookUp(page, heldNumber)
    await expect(page.getByTestId('number-state').getAttribute('data-state')).resolves.toBe('active')
    // The server does not offer the sale; the agent goes to the sell page by its address.
    expect(await page.getByTestId('sell-button').count()).toBe(0)
    await page.goto(`${base}/numbers/${encodeURIComponent(heldNumber)}/sell`)
    await page.getByTestId('sell-not-allowed').waitFor()
    await fillSale(page, 'Chhay Lina')
    const refused = page.waitForResponse((r) => r.url().endsWith('/sell') && r.request().method() === 'POST')
    await page.getByTestId('sell-submit').click()
    expect((await refused).status()).toBe(409)
    const error = page.getByTestId('error')
    await error.waitFor()
    await expect(error.getAttribute('data-code')).resolves.toBe('number_in_custody')
    await expect(page.getByTestId('error-code').textContent()).resolves.toBe('number_in_custody')
    expect(await page.getByTestId('error-message').textContent()).toContain(heldNumber)
    await page.screenshot({ path: '/tmp/numguard-sell-refused.png', fullPage: true })

    // The number still has exactly one holder.
    const open = await t.app.db
      .selectFrom('custodies')
      .select('id')
      .where('msisdn', '=', heldNumber)
      .where('ended_at', 'is', null)
      .execute()
    expect(open).toHaveLength(1)

    const { page: officer } = await newPage()
    await signIn(officer, 'compliance1', 'demo-compliance1')
    await officer.getByTestId('nav-alerts').click()
    await officer.getByTestId('page-alerts').waitFor()
    const alert = officer.getByTestId('alerts-table').getByTestId('alert-row').filter({ hasText: heldNumber })
    await alert.first().waitFor()
    await expect(alert.first().getByTestId('alert-severity').getAttribute('data-state')).resolves.toBe('risk')
    expect(await alert.first().getAttribute('data-kind')).toBe('attempt_on_active_number')
    expect(await alert.first().textContent()).toContain('agent.pp1')
    await officer.screenshot({ path: '/tmp/numguard-alerts.png', fullPage: true })
  }, 90_000)
})
