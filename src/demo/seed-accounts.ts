// Demo shops, staff and machine clients. Every one is marked is_demo: production mode refuses to start while any
// is_demo staff member exists, because these passwords are printed on the console.
import { createHash, randomUUID } from 'node:crypto'
import { base32Decode, base32Encode, hashPassword, sealMfaSecret } from '../access/index.ts'
import type { CommandContext } from '../audit/index.ts'
import { mfaRequiredFor, type Role } from '../domain/roles.ts'
import { partnerDb } from '../partner/index.ts'

export const DEMO_SHOPS = [
  { id: 'phnom-penh-central', name: 'Phnom Penh Central', code: 'pp' },
  { id: 'siem-reap', name: 'Siem Reap', code: 'sr' },
  { id: 'battambang', name: 'Battambang', code: 'bb' },
] as const

export interface DemoCredential {
  username: string
  password: string
  role: Role
  shop: string | null
  displayName: string
  /**
   * The published DEMO TOTP secret (base32, starting DEMO) of an account whose role needs MFA: seeded enrolled so
   * the demo works with any authenticator app, or `NUMGUARD_TOTP_SECRET` for the CLI. Production refuses demo accounts.
   */
  totpSecret: string | null
}

/** A demo account's TOTP secret: "DEMO" then 28 base32 characters derived from the username (160 bits in all). */
export function demoTotpSecret(username: string): string {
  return `DEMO${base32Encode(createHash('sha256').update(`numguard-demo-totp:${username}`).digest()).slice(0, 28)}`
}

const STAFF_NAMES = [
  'Chan Sokha',
  'Keo Vanna',
  'Heng Sophea',
  'Ly Rithy',
  'Meas Chenda',
  'Prak Bopha',
  'Ouk Piseth',
  'Seng Sreymom',
  'Tep Visal',
]

function demoStaff(): DemoCredential[] {
  const staff: DemoCredential[] = []
  DEMO_SHOPS.forEach((shop, s) => {
    const at = (username: string, role: Role, i: number): DemoCredential => ({
      username,
      password: `demo-${username.replace('.', '-')}`,
      role,
      shop: shop.id,
      displayName: STAFF_NAMES[s * 3 + i],
      totpSecret: mfaRequiredFor([role]) ? demoTotpSecret(username) : null,
    })
    staff.push(at(`agent.${shop.code}1`, 'agent', 0), at(`agent.${shop.code}2`, 'agent', 1))
    staff.push(at(`supervisor.${shop.code}`, 'supervisor', 2))
  })
  const central = (username: string, role: Role, displayName: string): DemoCredential => ({
    username,
    password: `demo-${username}`,
    role,
    shop: null,
    displayName,
    totpSecret: mfaRequiredFor([role]) ? demoTotpSecret(username) : null,
  })
  staff.push(
    central('inventory', 'inventory_manager', 'Chea Kosal'),
    central('compliance1', 'compliance_officer', 'Nget Malis'),
    central('compliance2', 'compliance_officer', 'Sar Ratana'),
    central('auditor', 'auditor', 'Yim Kanha'),
    central('admin', 'admin', 'Hun Narin'),
  )
  return staff
}

/** The demo sign-ins, printed by `numguard serve` in demo mode. */
export const DEMO_CREDENTIALS: readonly DemoCredential[] = demoStaff()

export interface DemoMachineClient {
  clientId: string
  name: string
  secret: string
  scopes: readonly string[]
  /** A partner of the CAMARA APIs (src/partner): its declared purpose. */
  purpose?: string
}

export const DEMO_MACHINE_CLIENTS: readonly DemoMachineClient[] = [
  {
    clientId: 'charging-demo',
    name: 'Charging system (demo)',
    secret: 'demo-secret-charging',
    scopes: ['activity:ingest'],
  },
  {
    clientId: 'provisioning-demo',
    name: 'HLR/HSS provisioning (demo)',
    secret: 'demo-secret-provisioning',
    scopes: ['provisioning'],
  },
  {
    clientId: 'bank-demo',
    name: 'Partner bank (demo)',
    secret: 'demo-secret-bank',
    scopes: [
      'number-recycling:check',
      'sim-swap:check',
      'sim-swap:retrieve-date',
      'sim-swap-subscriptions:org.camaraproject.sim-swap-subscriptions.v0.swapped:create',
      'sim-swap-subscriptions:read',
      'sim-swap-subscriptions:delete',
    ],
    purpose: 'check numbers before trusting them for sign-in and payment one-time codes (CAMARA partner APIs)',
  },
]

export interface HashedSecrets {
  staff: Map<string, string>
  clients: Map<string, string>
}

/** Hashes every distinct demo password and secret once, before the transaction opens (argon2 takes tens of ms each). */
export async function hashDemoSecrets(): Promise<HashedSecrets> {
  const staff = await Promise.all(
    DEMO_CREDENTIALS.map(async (c) => [c.username, await hashPassword(c.password)] as const),
  )
  const clients = await Promise.all(
    DEMO_MACHINE_CLIENTS.map(async (c) => [c.clientId, await hashPassword(c.secret)] as const),
  )
  return { staff: new Map(staff), clients: new Map(clients) }
}

/** Inserts the shops, staff and machine clients; returns how many of each. */
export async function insertDemoAccounts(ctx: CommandContext, hashes: HashedSecrets, secretKey: string) {
  const now = ctx.now
  await ctx.tx
    .insertInto('shops')
    .values(DEMO_SHOPS.map((s) => ({ id: s.id, name: s.name, created_at: now })))
    .execute()
  await ctx.tx
    .insertInto('staff')
    .values(
      DEMO_CREDENTIALS.map((c) => ({
        id: randomUUID(),
        username: c.username,
        display_name: c.displayName,
        password_hash: hashes.staff.get(c.username) as string,
        roles: [c.role],
        shop_id: c.shop,
        status: 'active' as const,
        is_demo: true,
        created_at: now,
        updated_at: now,
      })).map((row, i) => {
        const secret = DEMO_CREDENTIALS[i].totpSecret
        if (!secret) return row
        // Sealed for the account's id like any enrolment; enrolled at seeding, so no first-sign-in enrolment.
        return { ...row, mfa_secret: sealMfaSecret(secretKey, row.id, base32Decode(secret)), mfa_enrolled_at: now }
      }),
    )
    .execute()
  await ctx.tx
    .insertInto('machine_clients')
    .values(
      DEMO_MACHINE_CLIENTS.map((c) => ({
        id: c.clientId,
        name: c.name,
        secret_hash: hashes.clients.get(c.clientId) as string,
        scopes: [...c.scopes],
        status: 'active' as const,
        is_demo: true,
        created_at: now,
      })),
    )
    .execute()
  const partners = DEMO_MACHINE_CLIENTS.filter((c) => c.purpose)
  await partnerDb(ctx.tx)
    .insertInto('partner_clients')
    .values(partners.map((c) => ({ client_id: c.clientId, purpose: c.purpose as string, created_at: now })))
    .execute()
  return { shops: DEMO_SHOPS.length, staff: DEMO_CREDENTIALS.length, machineClients: DEMO_MACHINE_CLIENTS.length }
}
