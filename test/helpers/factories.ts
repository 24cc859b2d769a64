// Factories that build their parents, through the same commands the routes use.
import { randomUUID } from 'node:crypto'
import { completeMfa } from '../../src/access/mfa.ts'
import { mfaSettingsOf, sealMfaSecret } from '../../src/access/mfa-secrets.ts'
import type { StaffActor } from '../../src/access/policies.ts'
import { hashPassword } from '../../src/access/secrets.ts'
import { staffActor } from '../../src/access/sessions.ts'
import { type SignInResult, signIn } from '../../src/access/sign-in.ts'
import { base32Decode, TOTP_STEP_SECONDS, totp } from '../../src/access/totp.ts'
import type { App } from '../../src/app.ts'
import { audited, recordAudit } from '../../src/audit/record.ts'
import { runCommand } from '../../src/audit/run-command.ts'
import type { Actor } from '../../src/domain/actor.ts'
import { parseRange } from '../../src/domain/msisdn.ts'
import { mfaRequiredFor, type Role } from '../../src/domain/roles.ts'
import { importRange } from '../../src/inventory/ranges.ts'
import { sellNumber } from '../../src/inventory/sales.ts'
import { allocateSims, importSims } from '../../src/inventory/sims.ts'
import type { NewSubscriber } from '../../src/subscribers/commands.ts'
import { actAsOwnerInThisTransaction } from './owner-fixture.ts'

export const SYSTEM: Actor = { kind: 'system', component: 'test' }
const PASSWORD = 'test-password-1'
let seq = 0
const next = () => ++seq

export async function makeShop(app: App, id = `shop-${next()}`): Promise<string> {
  await app.db
    .insertInto('shops')
    .values({ id, name: `Shop ${id}`, created_at: app.clock.now() })
    .onConflict((oc) => oc.doNothing())
    .execute()
  return id
}

export interface TestStaff {
  id: string
  username: string
  roles: Role[]
  shopId: string | null
  token: string
  actor: StaffActor
}

/** The TOTP secret of every test account whose role needs MFA (enrolled when the factory creates it). */
export const TEST_TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'

/**
 * A staff account, audited like any staff change, not signed in. Supervisors, compliance officers and admins are
 * enrolled in MFA with TEST_TOTP_SECRET unless `mfa: false` (a first sign-in then asks them to enrol).
 */
export async function createStaffAccount(
  app: App,
  roles: Role[],
  shopId: string | null,
  password: string,
  options: { mfa?: boolean } = {},
) {
  const username = `${(roles[0] ?? 'staff').replaceAll('_', '')}.${next()}.${randomUUID().slice(0, 6)}`
  const id = randomUUID()
  const passwordHash = await hashPassword(password)
  const enrol = options.mfa ?? mfaRequiredFor(roles)
  await runCommand(app.deps, SYSTEM, async (ctx) => {
    // Migration 037 gives roles only by an executed role_grant (or the bootstrap of a role nobody holds): the factory
    // stands in for that history as the owner, as the lawful path would take minutes of requests per test.
    await actAsOwnerInThisTransaction(ctx.tx)
    await ctx.tx
      .insertInto('staff')
      .values({
        id,
        username,
        display_name: username,
        password_hash: passwordHash,
        roles,
        shop_id: shopId,
        status: 'active',
        created_at: ctx.now,
        updated_at: ctx.now,
        ...(enrol
          ? {
              mfa_secret: sealMfaSecret(app.config.kycKey, id, base32Decode(TEST_TOTP_SECRET)),
              mfa_enrolled_at: ctx.now,
            }
          : {}),
      })
      .execute()
    return audited(id, [
      await recordAudit(ctx, { action: 'staff.created', after: { staff_id: id, roles, shop_id: shopId } }),
    ])
  })
  return { id, username }
}

/** A staff member with a signed-in session (token usable as a bearer token). */
export async function makeStaff(app: App, roles: Role[], options: { shopId?: string | null } = {}): Promise<TestStaff> {
  const shopId =
    options.shopId === undefined
      ? roles.includes('agent') || roles.includes('supervisor')
        ? await makeShop(app)
        : null
      : options.shopId
  const { id, username } = await createStaffAccount(app, roles, shopId, PASSWORD)
  const out = await signInStaff(app, username, PASSWORD)
  const actor: StaffActor = {
    kind: 'staff',
    staffId: id,
    sessionId: out.session.id,
    username,
    roles,
    shopId,
    client: {},
  }
  return { id, username, roles, shopId, token: out.token, actor }
}

let rangeBase = 85512100000
/** Imports a fresh range of `size` numbers (Cambodian mobile) and returns their MSISDNs. */
export async function makeRange(app: App, size = 10): Promise<string[]> {
  const first = rangeBase
  rangeBase += Math.max(size, 1000)
  const range = parseRange(`+${first}`, `+${first + size - 1}`)
  await runCommand(app.deps, SYSTEM, (ctx) => importRange(ctx, range, 'standard'))
  return Array.from({ length: size }, (_, i) => `+${first + i}`)
}

let iccidBase = 8985501000000000000n
/** Imports `count` SIMs and allocates them to the shop; returns their ICCIDs. */
export async function makeSims(app: App, shopId: string, count = 1): Promise<string[]> {
  const rows = Array.from({ length: count }, () => {
    iccidBase += 1n
    return { iccid: iccidBase.toString(), imsi: `45606${iccidBase.toString().slice(-10)}` }
  })
  await runCommand(app.deps, SYSTEM, (ctx) => importSims(ctx, rows.map((r) => `${r.iccid},${r.imsi}`).join('\n')))
  await runCommand(app.deps, SYSTEM, (ctx) => allocateSims(ctx, shopId, count))
  return rows.map((r) => r.iccid)
}

export function newSubscriber(overrides: Partial<NewSubscriber> = {}): NewSubscriber {
  return {
    party_kind: 'person',
    account_type: 'prepaid',
    name: 'Sokha Chan',
    kyc_doc_kind: 'national_id',
    kyc_doc_number: `KH${100000 + next()}`,
    language: 'km',
    ...overrides,
  }
}

/** An active number held by a new subscriber, sold by `agent` (made if not given). */
export async function makeActiveNumber(
  app: App,
  options: { agent?: TestStaff; msisdn?: string; subscriber?: Partial<NewSubscriber> } = {},
) {
  const agent = options.agent ?? (await makeStaff(app, ['agent']))
  const msisdn = options.msisdn ?? (await makeRange(app, 1))[0]
  const [iccid] = await makeSims(app, agent.shopId as string, 1)
  const subscriber = newSubscriber(options.subscriber)
  const sale = await runCommand(app.deps, agent.actor, (ctx) =>
    sellNumber(ctx, agent.actor, { msisdn, iccid, subscriber }, app.config.kycKey),
  )
  return { msisdn, iccid, agent, sale, subscriber }
}

/**
 * Signs a staff member in as a person would, through both steps: the password, then (where their role or enrolment
 * asks) the TOTP code of TEST_TOTP_SECRET, or of the secret offered at a first enrolment. The code is the one an
 * authenticator shows at the first 30-second step not used yet, so signing in twice at one test instant works.
 */
export async function signInStaff(
  app: App,
  username: string,
  password = PASSWORD,
  secret = TEST_TOTP_SECRET,
): Promise<SignInResult> {
  const settings = mfaSettingsOf(app)
  const out = await signIn(app.deps, { username, password, client: {}, ttlHours: 12, mfa: settings })
  if (out.status === 'signed_in') return out
  const row = await app.db.selectFrom('staff').select('mfa_last_step').where('id', '=', out.staff.id).executeTakeFirst()
  const stepMs = TOTP_STEP_SECONDS * 1000
  const at = new Date(Math.max(settings.wallClock.now().getTime(), ((row?.mfa_last_step ?? -1) + 1) * stepMs))
  const code = totp(base32Decode(out.enrolment?.secret ?? secret), at)
  return completeMfa(app.deps, staffActor(out.staff, out.session.id, {}), {
    code,
    client: {},
    ttlHours: 12,
    mfa: { ...settings, wallClock: { now: () => at } },
  })
}
