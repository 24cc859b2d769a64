// The demo partner console in Chromium: an agent opens Partner (demo), which acts as the demo bank with the partner
// client `npm start` prints; it runs a SIM-swap check and a number-recycling check on a number and sees CAMARA's
// answers, subscribes to the number's SIM swaps with the demo sink, and once the holder's swap executes and the outbox
// delivers, the swapped CloudEvent shows on the page and the check answers swapped. A compliance officer then finds
// those questions, with their answers, on the Partner access page.
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mfaSettingsOf } from '../../src/access/mfa-secrets.ts'
import { hashPassword } from '../../src/access/secrets.ts'
import { base32Decode, totp } from '../../src/access/totp.ts'
import { DEMO_MACHINE_CLIENTS } from '../../src/demo/seed-accounts.ts'
import { localDate } from '../../src/domain/zoned-time.ts'
import { partnerDb } from '../../src/partner/db.ts'
import { deliverDueEvents } from '../../src/partner/index.ts'
import { whenBound } from '../../src/sms/runtime.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { ensureConsoleBuilt, launchChromium } from '../helpers/browser.ts'
import {
  makeActiveNumber,
  makeShop,
  makeSims,
  signInStaff,
  TEST_TOTP_SECRET,
  type TestStaff,
} from '../helpers/factories.ts'
import { makeStaffWithPassword } from '../http/support.ts'
import { codeOnPhone, http, num, reply } from '../scenarios/consent-harness.ts'

const WAIT = 30_000
const DAY = 86_400_000
const TZ = 'Asia/Phnom_Penh'
const PASSWORD = 'partner-page-password-1'
const BANK = DEMO_MACHINE_CLIENTS.find((c) => c.clientId === 'bank-demo')

describe('the demo partner console in Chromium', () => {
  let t: TestApp
  let base: string
  let browser: Browser
  let page: Page
  let agent: TestStaff
  let msisdn: string
  let document: string
  let soldOn: string

  beforeAll(async () => {
    ensureConsoleBuilt()
    t = await openTestApp({}, { sms: 'simulator' })
    await whenBound(t.app.sms?.transport as NonNullable<typeof t.app.sms>['transport'])
    if (!BANK?.purpose) throw new Error('the demo data has no partner client')
    // The demo partner as the demo seed writes it (src/demo/seed-accounts.ts), without the rest of the demo data.
    await t.app.db
      .insertInto('machine_clients')
      .values({
        id: BANK.clientId,
        name: BANK.name,
        secret_hash: await hashPassword(BANK.secret),
        scopes: [...BANK.scopes],
        created_at: t.clock.now(),
      })
      .execute()
    await partnerDb(t.app.db)
      .insertInto('partner_clients')
      .values({ client_id: BANK.clientId, purpose: BANK.purpose, created_at: t.clock.now() })
      .execute()
    // One agent (the first of the role may be created with it): at the console as the bank, and at the shop for the swap.
    const shopId = await makeShop(t.app)
    const created = await makeStaffWithPassword(t.app, ['agent'], PASSWORD, shopId)
    agent = await signedIn({ ...created, shopId, token: '', actor: undefined as never })
    const sold = await makeActiveNumber(t.app, { agent })
    msisdn = sold.msisdn
    document = sold.subscriber.kyc_doc_number
    soldOn = localDate(t.clock.now(), TZ)
    // Eleven days on (same time of day, inside the SMS send window): the sale's SIM binding is older than maxAge 240 h.
    t.clock.advance(11 * DAY)
    base = await t.server.listen({ host: '127.0.0.1', port: 0 })
    browser = await launchChromium()
  }, 180_000)

  afterAll(async () => {
    await page?.screenshot({ path: '/tmp/numguard-partner.png', fullPage: true }).catch(() => {})
    await browser?.close()
    await t?.close()
  })

  /** A fresh API session for the agent (the clock moves by days, sessions last hours). */
  async function signedIn(staff: TestStaff): Promise<TestStaff> {
    const out = await signInStaff(t.app, staff.username, PASSWORD)
    const actor = { kind: 'staff' as const, staffId: staff.id, sessionId: out.session.id, username: staff.username }
    return {
      ...staff,
      token: out.token,
      actor: { ...actor, roles: staff.roles, shopId: staff.shopId, client: {} },
    }
  }

  async function signIn(p: Page, username: string, password: string) {
    await p.goto(`${base}/sign-in`)
    await p.getByTestId('sign-in-username').fill(username)
    await p.getByTestId('sign-in-password').fill(password)
    await p.getByTestId('sign-in-submit').click()
    // A compliance officer owes a TOTP code: the one an authenticator holding TEST_TOTP_SECRET shows now.
    await p.getByTestId('page-dashboard').or(p.getByTestId('mfa-form')).first().waitFor()
    if (await p.getByTestId('mfa-form').isVisible()) {
      const now = mfaSettingsOf(t.app).wallClock.now()
      await p.getByTestId('mfa-code').fill(totp(base32Decode(TEST_TOTP_SECRET), now))
      await p.getByTestId('mfa-submit').click()
    }
    await p.getByTestId('page-dashboard').waitFor()
  }

  async function runCheck(operation: 'sim-swap-check' | 'number-recycling-check', fill: () => Promise<void>) {
    await page.getByTestId('partner-operation').selectOption(operation)
    await page.getByTestId('partner-number').fill(msisdn)
    await fill()
    // Each answer differs from the one before it in this story: a new answer is a changed body.
    const answer = page.getByTestId('partner-answer-body')
    const before = (await answer.count()) > 0 ? await answer.textContent() : null
    await page.getByTestId('partner-run').click()
    await expect
      .poll(async () => ((await answer.count()) > 0 ? answer.textContent() : null), { timeout: WAIT })
      .not.toBe(before)
    return {
      status: await page.getByTestId('partner-answer-status').textContent(),
      body: JSON.parse((await page.getByTestId('partner-answer-body').textContent()) ?? 'null'),
    }
  }

  /** The holder swaps their SIM at a shop, as in the SIM swap scenarios: verified by ID, agreed by SMS reply. */
  async function swapSim(): Promise<void> {
    agent = await signedIn(agent)
    const [iccid] = await makeSims(t.app, agent.shopId as string, 1)
    const session = await http(t).post(agent, '/api/v1/customer-sessions', { msisdn, method: 'id_document', document })
    expect(session.statusCode, session.body).toBe(200)
    const filed = await http(t).post(agent, `${num(msisdn)}/sim-swap`, { iccid })
    expect(filed.statusCode, filed.body).toBe(200)
    expect((await reply(t, msisdn, `YES ${await codeOnPhone(t, msisdn)}`)).outcome).toBe('consent_recorded')
  }

  it('runs checks as the demo bank, receives the swapped event, and compliance finds every question', async () => {
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage()
    page.setDefaultTimeout(WAIT)
    await signIn(page, agent.username, PASSWORD)
    await page.getByTestId('nav-partner').click()
    await page.getByTestId('page-partner').waitFor()
    expect(await page.getByTestId('partner-client').textContent()).toBe('bank-demo')
    await page.getByTestId('partner-no-events').waitFor()

    const notSwapped = await runCheck('sim-swap-check', () => page.getByTestId('partner-max-age').fill('240'))
    expect(notSwapped).toEqual({ status: '200', body: { swapped: false } })
    // The day after the sale the holder was today's: the number has not changed hands since.
    const dayAfter = localDate(new Date(Date.parse(`${soldOn}T12:00:00Z`) + DAY), 'UTC')
    const recycled = await runCheck('number-recycling-check', () => page.getByTestId('partner-date').fill(dayAfter))
    expect(recycled).toEqual({ status: '200', body: { phoneNumberRecycled: false } })

    await page.getByTestId('partner-subscribe').click()
    await page.getByTestId('partner-subscription').waitFor()
    expect(await page.getByTestId('partner-subscription-status').textContent()).toBe('201')
    const subscription = JSON.parse((await page.getByTestId('partner-subscription-body').textContent()) ?? '{}')
    expect(subscription).toMatchObject({ status: 'ACTIVE', config: { subscriptionDetail: { phoneNumber: msisdn } } })

    // The swap executes; the outbox (the worker's pass) delivers its CloudEvent to the demo sink over HTTP.
    await swapSim()
    expect(await deliverDueEvents(t.app)).toMatchObject({ delivered: 1, dead: 0 })
    const event = page.getByTestId('partner-event')
    await expect.poll(() => event.count(), { timeout: WAIT }).toBe(1)
    const row = (await event.textContent()) ?? ''
    expect(row).toContain('swapped')
    expect(row).toContain(msisdn)
    expect(row).toContain(subscription.id)

    const swapped = await runCheck('sim-swap-check', () => page.getByTestId('partner-max-age').fill('240'))
    expect(swapped).toEqual({ status: '200', body: { swapped: true } })

    // Compliance: the Partner access page lists the three checks on the number, newest first, with their answers.
    const officer = await makeStaffWithPassword(t.app, ['compliance_officer'], PASSWORD)
    const compliance = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage()
    compliance.setDefaultTimeout(WAIT)
    await signIn(compliance, officer.username, officer.password)
    await compliance.getByTestId('nav-partner-access').click()
    await compliance.getByTestId('page-partner-access').waitFor()
    await compliance.getByTestId('access-msisdn').fill(msisdn)
    await compliance.getByTestId('access-client').fill('bank-demo')
    await compliance.getByTestId('access-search').click()
    const rows = compliance.getByTestId('access-row')
    await expect.poll(() => rows.count(), { timeout: WAIT }).toBeGreaterThanOrEqual(3)
    const texts = await rows.allTextContents()
    for (const text of texts) {
      expect(text).toContain('bank-demo')
      expect(text).toContain(msisdn)
    }
    const answers = texts.filter((x) => /"swapped"|"phoneNumberRecycled"/.test(x))
    expect(answers).toHaveLength(3)
    expect(answers[0]).toMatch(/"swapped":\s*true/)
    expect(answers[1]).toMatch(/"phoneNumberRecycled":\s*false/)
    expect(answers[2]).toMatch(/"swapped":\s*false/)
    await compliance.close()
  }, 180_000)
})
