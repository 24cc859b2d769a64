// The console's cases in Debian's Chromium (issue 11): a number is sold and lawfully transferred to a new holder;
// its former holder complains in another shop. The agent opens the complaint from the number's page on the former
// holder's ID document and sees the reference and the hold; the number's page then says it is on hold for that case.
// A compliance officer finds the case in the list with its hold clock met, opens it, takes it, and reads the case
// file from the audit log: the sale, the transfer and the complaint, each leaf's proof checked; then confirms it,
// records a declined offer, files the restoration and downloads the incident report. Last, the current holder proves
// themselves by a code sent to their alternate contact, for a complaint that holds nothing; the officer holds the
// number for that case too and files the hold's release (a hold_release request; the hold stays meanwhile).
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mfaSettingsOf } from '../../src/access/mfa-secrets.ts'
import { base32Decode, totp } from '../../src/access/totp.ts'
import { runAuditLogPass } from '../../src/audit/log-service.ts'
import { integrateAll } from '../../src/audit/tree-store.ts'
import { executeDueRequests } from '../../src/changes/due.ts'
import type { TestApp } from '../helpers/app.ts'
import { ensureConsoleBuilt, launchChromium, signedInPage } from '../helpers/browser.ts'
import { openCustomerSession } from '../helpers/customer-session.ts'
import {
  makeActiveNumber,
  makeShop,
  makeSims,
  makeStaff,
  newSubscriber,
  TEST_TOTP_SECRET,
} from '../helpers/factories.ts'
import { makeStaffWithPassword } from '../http/support.ts'
import { codeOnPhone, HOUR, http, num, openConsentApp, phone, reply } from '../scenarios/consent-harness.ts'

const WAIT = 30_000
const PASSWORD = 'cases-page-password-1'
/** The alternate contact the new (current) holder registered at the transfer. */
const ALT_CONTACT = '+85577123456'

describe('cases, holds and the case file in Chromium', () => {
  let t: TestApp
  let browser: Browser
  let base: string
  let msisdn: string
  let formerDocument: string
  let complaintAgent: { username: string }
  let officer: { id: string; username: string }
  let reference: string
  let secondReference: string
  /** The officer's signed-in page (a second TOTP sign-in within one 30-second step would be refused as a replay). */
  let officerPage: Page
  let shopIccid: string
  let complaintShop: string
  const pages: Page[] = []

  beforeAll(async () => {
    ensureConsoleBuilt()
    t = await openConsentApp()
    const api = http(t)
    const seller = await makeStaff(t.app, ['agent'])
    const supervisor = await makeStaff(t.app, ['supervisor']) // of its own shop: the transfer's approver
    // Sold, then transferred with the holder's YES, the approval and the 24-hour wait: the seller's customer is now
    // the FORMER holder.
    const sold = await makeActiveNumber(t.app, { agent: seller })
    msisdn = sold.msisdn
    formerDocument = sold.subscriber.kyc_doc_number
    await openCustomerSession(t.server, seller, msisdn, formerDocument)
    const [iccid] = await makeSims(t.app, seller.shopId as string, 1)
    const filed = await api.post(seller, `${num(msisdn)}/transfer`, {
      iccid,
      new_subscriber: newSubscriber({ alt_contact: ALT_CONTACT, language: 'en' }),
    })
    expect(filed.statusCode, filed.body).toBe(200)
    expect((await reply(t, msisdn, `YES ${await codeOnPhone(t, msisdn)}`)).outcome).toBe('consent_recorded')
    const approved = await api.post(supervisor, `/api/v1/requests/${filed.json().id}/approve`, {
      payload_sha256: filed.json().payload_sha256,
    })
    expect(approved.statusCode, approved.body).toBe(200)
    t.clock.advance(25 * HOUR)
    expect(await executeDueRequests(t.app)).toEqual({ executed: 1, failed: 0 })
    const custodies = await t.app.db.selectFrom('custodies').select('ended_at').where('msisdn', '=', msisdn).execute()
    expect(custodies.map((c) => c.ended_at === null).sort()).toEqual([false, true])
    // A signed checkpoint over that history: the case file's leaves before it have proofs to check.
    await runAuditLogPass(t.app)

    complaintShop = await makeShop(t.app)
    complaintAgent = await makeStaffWithPassword(t.app, ['agent'], PASSWORD, complaintShop)
    ;[shopIccid] = await makeSims(t.app, complaintShop, 1) // the new SIM the former holder takes home
    officer = await makeStaffWithPassword(t.app, ['compliance_officer'], PASSWORD)
    await makeStaff(t.app, ['compliance_officer']) // another officer, to approve what the case's owner files
    base = await t.server.listen({ host: '127.0.0.1', port: 0 })
    browser = await launchChromium()
  }, 180_000)

  afterAll(async () => {
    for (const [i, p] of pages.entries())
      await p.screenshot({ path: `/tmp/numguard-cases-${i}.png`, fullPage: true }).catch(() => {})
    await browser?.close()
    await t?.close()
  })

  /** Signs in through the console; a compliance officer owes the TOTP code an authenticator shows now. */
  async function signIn(username: string): Promise<Page> {
    const p = await browser.newPage()
    p.setDefaultTimeout(WAIT)
    pages.push(p)
    await p.goto(`${base}/sign-in`)
    await p.getByTestId('sign-in-username').fill(username)
    await p.getByTestId('sign-in-password').fill(PASSWORD)
    await p.getByTestId('sign-in-submit').click()
    await p.getByTestId('page-dashboard').or(p.getByTestId('mfa-form')).first().waitFor()
    if (await p.getByTestId('mfa-form').isVisible()) {
      await p.getByTestId('mfa-code').fill(totp(base32Decode(TEST_TOTP_SECRET), mfaSettingsOf(t.app).wallClock.now()))
      await p.getByTestId('mfa-submit').click()
    }
    await p.getByTestId('page-dashboard').waitFor()
    return p
  }

  it('an agent opens a complaint on the former holder’s ID document; the number shows it is on hold', async () => {
    const page = await signedInPage(browser, base, { username: complaintAgent.username, password: PASSWORD }, WAIT)
    pages.push(page)
    await page.goto(`${base}/numbers/${encodeURIComponent(msisdn)}`)
    await page.getByTestId('page-number').waitFor()
    await page.getByTestId('complaint-open').click()
    expect(await page.getByTestId('hold-banner').count()).toBe(0)
    await page.getByTestId('complaint-category').selectOption('number_taken')
    await page.getByTestId('complaint-description').fill('My number was given to someone else without my consent.')
    await page.getByTestId('complaint-contact').fill('+85570999111')
    await page.getByTestId('complaint-method-id').check()
    await page.getByTestId('complaint-document').fill(formerDocument)
    await page.getByTestId('complaint-submit').click()

    const opened = page.getByTestId('complaint-opened')
    await opened.waitFor()
    reference = (await opened.getAttribute('data-reference')) as string
    expect(reference).toMatch(/^KH-\d{4}-\d{6}$/)
    expect(await page.getByTestId('complaint-reference').textContent()).toBe(reference)
    expect(await page.getByTestId('complaint-holds').textContent()).toContain(`Hold placed on ${msisdn}`)
    // The banner follows from GET /numbers/:msisdn/holds, for everyone who views the number.
    const banner = page.getByTestId('hold-banner-case')
    await banner.waitFor()
    expect(await banner.getAttribute('data-reference')).toBe(reference)
    expect(await banner.textContent()).toContain(`On hold — case ${reference}`)
    expect(await banner.textContent()).toContain('not barred on the network')
    // The row behind it: the hold of that case, placed when the case was opened.
    const hold = await t.app.db
      .selectFrom('holds as h')
      .innerJoin('cases as c', 'c.id', 'h.case_id')
      .select(['c.reference', 'h.placed_at', 'c.opened_at', 'c.complainant_custody_id'])
      .where('h.msisdn', '=', msisdn)
      .executeTakeFirstOrThrow()
    expect(hold.reference).toBe(reference)
    expect(hold.placed_at.getTime()).toBe(hold.opened_at.getTime())
    const former = await t.app.db
      .selectFrom('custodies')
      .select('id')
      .where('msisdn', '=', msisdn)
      .where('ended_at', 'is not', null)
      .executeTakeFirstOrThrow()
    expect(hold.complainant_custody_id).toBe(former.id)
  }, 120_000)

  it('a compliance officer sees the case with its hold clock met, takes it and reads its file with proofs', async () => {
    expect(reference).toBeTruthy()
    // The log integrates the complaint's leaves as the worker would, with no checkpoint signed over them yet.
    expect((await integrateAll(t.app.db)).integrated).toBeGreaterThan(0)
    officerPage = await signIn(officer.username)
    const page = officerPage
    await page.getByTestId('nav-cases').click()
    await page.getByTestId('page-cases').waitFor()
    const row = page.locator(`[data-testid="case-row"][data-reference="${reference}"]`)
    await row.waitFor()
    expect(await row.getByTestId('case-category').textContent()).toBe('number taken')
    expect(await row.getByTestId('case-status').getAttribute('data-state')).toBe('open')
    expect(await row.getByTestId('sla-hold').getAttribute('data-state')).toBe('met')
    expect(await row.getByTestId('sla-first_response').getAttribute('data-state')).toBe('pending')
    expect(await row.getByTestId('sla-resolution').getAttribute('data-state')).toBe('pending')

    await row.getByTestId('case-link').click()
    await page.getByTestId('page-case').waitFor()
    expect(await page.getByTestId('case-reference').textContent()).toBe(reference)
    expect(await page.getByTestId('complainant-method').textContent()).toBe('id document')
    expect(await page.locator('[data-testid="case-hold"][data-active="yes"]').count()).toBe(1)
    expect(await page.getByTestId('hold-minutes').textContent()).toBe('0 min')

    // Taking the case makes the officer its owner; the first-response clock stops when they record their answer.
    const firstResponse = () =>
      page.getByTestId('sla-clock-first_response').getByTestId('sla-first_response').getAttribute('data-state')
    await page.getByTestId('case-take').click()
    await expect.poll(() => page.getByTestId('case-owner').textContent(), { timeout: WAIT }).toContain(officer.username)
    expect(await firstResponse()).toBe('pending')
    await page.getByTestId('case-responded').click()
    await expect.poll(firstResponse, { timeout: WAIT }).toBe('met')

    // The case file: the number's history and the case's events from the log, each leaf's proof checked.
    const entries = page.getByTestId('case-file-entry')
    await entries.first().waitFor()
    const shown = await entries.evaluateAll((rows) =>
      rows.map((r) => ({ action: r.getAttribute('data-action'), proof: r.getAttribute('data-proof') })),
    )
    const actions = shown.map((e) => e.action)
    expect(actions).toContain('case.opened')
    expect(actions.some((a) => a?.startsWith('request.'))).toBe(true)
    expect(shown.every((e) => e.proof === 'verified' || e.proof === 'awaiting_checkpoint')).toBe(true)
    // The sale and the transfer came before the checkpoint: verified. The complaint came after: awaiting the next.
    expect(shown.filter((e) => e.proof === 'verified').length).toBeGreaterThan(0)
    expect(shown.find((e) => e.action === 'case.opened')?.proof).toBe('awaiting_checkpoint')
    expect(await page.getByTestId('proof-status').first().textContent()).toBe('proof verified')
    // The same leaves the API gives, less each text's SMSC submissions until the officer asks for them.
    const file = await page.request.get(`${base}/api/v1/cases/${reference}/file`)
    expect(file.status()).toBe(200)
    const all: string[] = (await file.json()).entries.map((e: { action: string }) => e.action)
    const steps = all.filter((a) => /^sms\.(part|notice)_(submitting|submitted)$/.test(a))
    expect(steps.length).toBeGreaterThan(0)
    expect(actions).toEqual(all.filter((a) => !steps.includes(a)))
    await page.getByTestId('case-file-all-steps').check()
    await expect.poll(() => entries.count(), { timeout: WAIT }).toBe(all.length)

    // The analysis ranks the staff who touched the number.
    await page.getByTestId('analysis-row').first().waitFor()
    expect(await page.getByTestId('analysis-row').count()).toBeGreaterThan(0)
  }, 120_000)

  it('the officer confirms the case, records a declined offer and files the restoration to the former holder', async () => {
    expect(reference).toBeTruthy()
    const page = officerPage
    await page.getByTestId('case-confirm').click()
    await expect.poll(() => page.getByTestId('case-confirmed').textContent(), { timeout: WAIT }).toContain('barred')
    expect(await page.getByTestId('case-status').first().getAttribute('data-state')).toBe('investigating')

    await page.getByTestId('offer-kind').selectOption('money')
    await page.getByTestId('offer-amount').fill('50')
    await page.getByTestId('offer-currency').fill('USD')
    await page.getByTestId('offer-submit').click()
    const offer = page.getByTestId('case-offer')
    await offer.waitFor()
    expect(await offer.textContent()).toContain('50 USD')
    await offer.getByTestId('offer-response-declined').click()
    await expect.poll(() => offer.getAttribute('data-response'), { timeout: WAIT }).toBe('declined')

    // The restoration form starts from the complainant's custody and the shop the complaint was opened in.
    await page.getByTestId('case-open-restoration').click()
    const former = await t.app.db
      .selectFrom('custodies')
      .select('id')
      .where('msisdn', '=', msisdn)
      .where('ended_at', 'is not', null)
      .executeTakeFirstOrThrow()
    expect(await page.getByTestId('restoration-custody').inputValue()).toBe(former.id)
    expect(await page.getByTestId('restoration-msisdn').inputValue()).toBe(msisdn)
    expect(await page.getByTestId('restoration-shop').inputValue()).toBe(complaintShop)
    await page.getByTestId('restoration-iccid').fill(shopIccid)
    await page.getByTestId('restoration-submit').click()
    const filed = page.getByTestId('restoration-filed')
    await filed.waitFor()
    expect(await filed.getByTestId('request-status').textContent()).toBe('pending')
    await expect
      .poll(() => page.locator('[data-testid="case-request"][data-kind="restoration"]').count(), { timeout: WAIT })
      .toBe(1)
    const request = await t.app.db
      .selectFrom('requests')
      .select(['kind', 'status', 'msisdn'])
      .where('kind', '=', 'restoration')
      .executeTakeFirstOrThrow()
    expect(request).toEqual({ kind: 'restoration', status: 'pending', msisdn })

    // The regulator's account of the case downloads from the page (src/reports' incident report).
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('incident-report-pdf').click(),
    ])
    expect(download.suggestedFilename()).toBe(`numguard-incident-${reference}.pdf`)
    const json = await page.request.get(`${base}${await page.getByTestId('incident-report-json').getAttribute('href')}`)
    expect(json.status()).toBe(200)
    expect(JSON.stringify(await json.json())).toContain(reference)

    // The number's page now says the bar followed the confirmation.
    await page.goto(`${base}/numbers/${encodeURIComponent(msisdn)}`)
    const banner = page.getByTestId('hold-banner-case')
    await banner.waitFor()
    expect(await banner.textContent()).toContain('barred on the network')
    expect(await banner.textContent()).not.toContain('not barred')
  }, 120_000)

  it('an agent opens a complaint on a code sent to the holder’s alternate contact; a missed warning holds nothing', async () => {
    const page = await signedInPage(browser, base, { username: complaintAgent.username, password: PASSWORD }, WAIT)
    pages.push(page)
    await page.goto(`${base}/numbers/${encodeURIComponent(msisdn)}`)
    await page.getByTestId('complaint-open').click()
    await page.getByTestId('complaint-category').selectOption('missed_warning')
    await page
      .getByTestId('complaint-description')
      .fill('I never received the warnings before my number was suspended.')
    await page.getByTestId('complaint-method-code').check()
    await page.getByTestId('complaint-alt-contact').fill(ALT_CONTACT)
    await page.getByTestId('complaint-send-code').click()
    await page.getByTestId('complaint-code-sent').waitFor()
    const texts = await phone(t, ALT_CONTACT)
    const code = texts.flatMap((text) => [...text.matchAll(/Your code (\d{6})/g)].map((m) => m[1])).pop()
    expect(code, texts.join(' | ')).toMatch(/^\d{6}$/)
    await page.getByTestId('complaint-code').fill(code as string)
    await page.getByTestId('complaint-submit').click()
    const opened = page.getByTestId('complaint-opened')
    await opened.waitFor()
    const second = (await opened.getAttribute('data-reference')) as string
    expect(second).not.toBe(reference)
    expect(await page.getByTestId('complaint-holds').textContent()).toContain('No hold placed')
    const row = await t.app.db
      .selectFrom('cases')
      .select(['complainant_method', 'category'])
      .where('reference', '=', second)
      .executeTakeFirstOrThrow()
    expect(row).toEqual({ complainant_method: 'alt_contact_code', category: 'missed_warning' })
    // The banner still names the first case only: this one placed no hold.
    expect(await page.getByTestId('hold-banner-case').getAttribute('data-reference')).toBe(reference)
    secondReference = second
  }, 120_000)

  it('the officer holds the number for the second case too, then files that hold’s release', async () => {
    expect(secondReference).toBeTruthy()
    const page = officerPage
    await page.goto(`${base}/cases/${secondReference}`)
    await page.getByTestId('page-case').waitFor()
    expect(await page.getByTestId('sla-clock-hold').getByTestId('sla-hold').getAttribute('data-state')).toBe(
      'not_required',
    )
    await page.getByTestId('case-open-hold').click()
    expect(await page.getByTestId('case-hold-msisdn').inputValue()).toBe(msisdn)
    await page.getByTestId('case-hold-reason').fill('hold while the warnings are checked')
    await page.getByTestId('case-hold-submit').click()
    const hold = page.locator('[data-testid="case-hold"][data-active="yes"]')
    await hold.waitFor()
    await hold.getByTestId('hold-release').click()
    await hold.getByTestId('hold-release-reason').fill('the warnings were delivered')
    await hold.getByTestId('hold-release-submit').click()
    const filed = page.getByTestId('hold-release-filed')
    await filed.waitFor()
    expect(await filed.getByTestId('request-status').textContent()).toBe('pending')
    // The hold stays until another officer approves and the release executes.
    expect(await page.locator('[data-testid="case-hold"][data-active="yes"]').count()).toBe(1)
    const release = await t.app.db
      .selectFrom('requests')
      .select(['status', 'msisdn'])
      .where('kind', '=', 'hold_release')
      .executeTakeFirstOrThrow()
    expect(release).toEqual({ status: 'pending', msisdn })
    // Reloaded, the page says the release waits instead of offering a second one.
    await page.reload()
    await page.getByTestId('hold-release-pending').waitFor()
    expect(await page.getByTestId('hold-release').count()).toBe(0)
  }, 120_000)
})
