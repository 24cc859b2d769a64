// Issue 9 item 4: the console and Swagger UI work under the Content-Security-Policy (nothing inline, nothing
// foreign), and the console's own cookie-authenticated changes pass the Origin check.
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedDemo } from '../../src/demo/seed.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { ensureConsoleBuilt, launchChromium } from '../helpers/browser.ts'

const WAIT = 30_000
let t: TestApp
let base: string
let browser: Browser

beforeAll(async () => {
  ensureConsoleBuilt()
  t = await openTestApp()
  await seedDemo(t.app.deps)
  base = await t.server.listen({ host: '127.0.0.1', port: 0 })
  browser = await launchChromium()
}, 120_000)
afterAll(async () => {
  await browser?.close()
  await t?.close()
})

/** A page that records every CSP violation the browser reports. */
async function watchedPage(): Promise<{ page: Page; violations: string[] }> {
  const context = await browser.newContext()
  const page = await context.newPage()
  page.setDefaultTimeout(WAIT)
  const violations: string[] = []
  page.on('console', (m) => {
    if (m.text().includes('Content Security Policy')) violations.push(m.text())
  })
  await page.exposeFunction('__cspViolation', (v: string) => violations.push(v))
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      (window as unknown as { __cspViolation(v: string): void }).__cspViolation(
        `${e.violatedDirective} ${e.blockedURI}`,
      ),
    )
  })
  return { page, violations }
}

describe('Content-Security-Policy in Chromium', () => {
  it('lets the console sign in, show the dashboard and sign out with no violation', async () => {
    const { page, violations } = await watchedPage()
    await page.goto(`${base}/sign-in`)
    await page.getByTestId('sign-in-username').fill('agent.pp1')
    await page.getByTestId('sign-in-password').fill('demo-agent-pp1')
    await page.getByTestId('sign-in-submit').click()
    await page.getByTestId('page-dashboard').waitFor()
    // A cookie-authenticated change from the console itself: its Origin is the server's own.
    const status = await page.evaluate(async () => {
      const res = await fetch('/api/v1/auth/sign-out', { method: 'POST', credentials: 'same-origin' })
      return res.status
    })
    expect(status).toBeLessThan(300)
    expect(violations).toEqual([])
    await page.context().close()
  })

  it('renders Swagger UI at /docs with no violation', async () => {
    const { page, violations } = await watchedPage()
    await page.goto(`${base}/docs/`)
    await page.locator('.opblock').first().waitFor()
    // Swagger UI renders the spec progressively as the page scrolls: what shows first is its first tags' operations.
    await expect.poll(() => page.locator('.opblock-tag').count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(2)
    expect(await page.locator('.opblock').count()).toBeGreaterThanOrEqual(5)
    expect(violations).toEqual([])
    await page.context().close()
  })
})
