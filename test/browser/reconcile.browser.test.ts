// The console's reconciliation card in Debian's Chromium: an auditor (view_audit, as compliance officers hold it) opens
// the audit page and sees the last reconcile run (when, numbers checked, differences, which numbers) with a link to
// the risk alerts it raised.
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { reconcileNumbers } from '../../src/audit/reconcile.ts'
import { runCommand } from '../../src/audit/run-command.ts'
import { asOwner } from '../../src/audit/test-support.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { ensureConsoleBuilt, launchChromium, signedInPage } from '../helpers/browser.ts'
import { createStaffAccount, makeActiveNumber, makeRange, SYSTEM } from '../helpers/factories.ts'

const WAIT = 30_000
const PASSWORD = 'auditor-password-1'

describe('the reconciliation card in Chromium', () => {
  let t: TestApp
  let browser: Browser
  let base: string
  let auditor: { username: string }
  let changed: string

  beforeAll(async () => {
    ensureConsoleBuilt()
    t = await openTestApp()
    auditor = await createStaffAccount(t.app, ['auditor'], null, PASSWORD)
    await makeActiveNumber(t.app)
    ;[changed] = await makeRange(t.app, 1)
    // A number retired behind the application's back: the run finds one difference and raises its risk alert.
    await asOwner(
      t,
      `BEGIN; ALTER TABLE numbers DISABLE TRIGGER USER;
       UPDATE numbers SET state = 'retired' WHERE msisdn = '${changed}';
       ALTER TABLE numbers ENABLE TRIGGER USER; COMMIT;`,
    )
    const run = await runCommand(t.app.deps, SYSTEM, (ctx) => reconcileNumbers(ctx, 'cli'))
    expect(run.differences).toBe(1)
    base = await t.server.listen({ host: '127.0.0.1', port: 0 })
    browser = await launchChromium()
  }, 180_000)
  afterAll(async () => {
    await browser?.close()
    await t?.close()
  })

  it('shows the last run and links to the risk alerts, where the difference is', async () => {
    const page = await signedInPage(browser, base, { username: auditor.username, password: PASSWORD }, WAIT)
    await page.getByTestId('nav-audit').click()
    await page.getByTestId('audit-reconcile').waitFor()
    expect(await page.getByTestId('audit-reconcile-when').textContent()).toMatch(/^last run .+ \(cli\)$/)
    expect(await page.getByTestId('audit-reconcile-summary').textContent()).toMatch(
      /^2 numbers checked against [\d,]+ leaves: 1 difference$/,
    )
    expect(await page.getByTestId('audit-reconcile-differing').textContent()).toBe(`${changed} (state)`)
    await page.getByTestId('audit-reconcile-alerts').click()
    await page.getByTestId('page-alerts').waitFor()
    await expect.poll(() => page.getByTestId('page-alerts').textContent(), { timeout: WAIT }).toContain(changed)
    expect(new URL(page.url()).search).toBe('?severity=risk')
  }, 90_000)
})
