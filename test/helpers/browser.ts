// What every browser test needs: the console built into web/dist, and Debian's Chromium launched the way this
// machine allows (headless, no sandbox, no GPU, no background networking).
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium, type Page } from 'playwright-core'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const CHROMIUM = '/usr/bin/chromium'

/** Newest modification time under a directory (the console sources). */
function newest(dir: string): number {
  let max = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    max = Math.max(max, e.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return max
}

/** web/dist is built by `npm install`; build it here when it is missing or older than web/src. */
export function ensureConsoleBuilt(): void {
  const index = join(ROOT, 'web/dist/index.html')
  if (existsSync(index) && statSync(index).mtimeMs >= newest(join(ROOT, 'web/src'))) return
  const out = spawnSync(join(ROOT, 'node_modules/.bin/node'), ['scripts/build-web.mjs'], {
    cwd: ROOT,
    stdio: 'inherit',
  })
  if (out.status !== 0 || !existsSync(index)) throw new Error('could not build the console into web/dist')
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  })
}

/** A new page signed in to the console at `base` as a staff member without MFA (an auditor), on the dashboard. */
export async function signedInPage(
  browser: Browser,
  base: string,
  who: { username: string; password: string },
  timeoutMs: number,
): Promise<Page> {
  const page = await browser.newPage()
  page.setDefaultTimeout(timeoutMs)
  await page.goto(`${base}/sign-in`)
  await page.getByTestId('sign-in-username').fill(who.username)
  await page.getByTestId('sign-in-password').fill(who.password)
  await page.getByTestId('sign-in-submit').click()
  await page.getByTestId('page-dashboard').waitFor()
  return page
}
