// Shared pieces of the HTTP end-to-end tests: a demo-mode app (movable clock), path parameters, machine clients,
// extra sessions and staff suspension.
import { randomUUID } from 'node:crypto'
import { hashPassword, hashToken, newToken } from '../../src/access/secrets.ts'
import type { App } from '../../src/app.ts'
import { runCommand } from '../../src/audit/run-command.ts'
import type { Config } from '../../src/config.ts'
import type { MovableClock } from '../../src/domain/clock.ts'
import type { Role } from '../../src/domain/roles.ts'
import { suspendStaff as suspendStaffCommand } from '../../src/staff/suspension.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { createStaffAccount, SYSTEM } from '../helpers/factories.ts'

export const auth = (token: string) => ({ authorization: `Bearer ${token}` })

/** openTestApp in demo mode with a movable clock, so the demo-only routes (`/api/v1/demo/clock/advance`) exist. */
export async function openDemoTestApp(overrides: Partial<Config> = {}): Promise<TestApp & { movable: MovableClock }> {
  return (await openTestApp(overrides, { demoClock: true })) as TestApp & { movable: MovableClock }
}

/**
 * Plausible values for every path parameter a route declares. A parameter named `…_id` (`:event_id`, `:case_id`)
 * takes a UUID like `:id`; any other unknown parameter fails the test loudly, so its author adds a value here.
 */
export const PARAM_VALUES: Record<string, string> = {
  msisdn: '+85512100001',
  iccid: '8985501000000000001',
  id: '0b8f4b8e-6c1a-4d1e-9d0a-3f7c2b1a9e55',
  event_id: '5d7c1e0a-2b3f-4c6d-8e9f-0a1b2c3d4e5f',
  source: 'charging',
  kind: 'transfer',
  subscriptionId: '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b',
}

export function fillParams(url: string, values: Record<string, string> = PARAM_VALUES): string {
  return url.replace(/:(\w+)/g, (_, name: string) => {
    const value = values[name] ?? (name.endsWith('_id') ? values.id : undefined)
    if (value === undefined) throw new Error(`no test value for path parameter :${name} in ${url}`)
    return encodeURIComponent(value)
  })
}

/** A machine client with an argon2 secret, as an operator would register the charging system. */
export async function makeMachineClient(app: App, scopes: string[], secret = `s3cret-${randomUUID()}`) {
  const id = `client-${randomUUID().slice(0, 8)}`
  await app.db
    .insertInto('machine_clients')
    .values({ id, name: `Test ${id}`, secret_hash: await hashPassword(secret), scopes, created_at: app.clock.now() })
    .execute()
  return { id, secret, scopes }
}

/**
 * Another signed-in session (MFA done) for an existing staff member, without a password round trip (sessions
 * carry no audit guard).
 */
export async function extraSession(app: App, staffId: string): Promise<{ id: string; token: string }> {
  const token = newToken('ngs')
  const id = randomUUID()
  const now = app.clock.now()
  await app.db
    .insertInto('sessions')
    .values({
      id,
      staff_id: staffId,
      token_hash: hashToken(token),
      created_at: now,
      expires_at: new Date(now.getTime() + 3_600_000),
      last_seen_at: now,
      client: JSON.stringify({}),
      mfa: 'verified',
    })
    .execute()
  return { id, token }
}

/** Suspends a staff member through the staff feature's command, as numguard itself (src/staff/suspension.ts). */
export async function suspendStaff(app: App, staffId: string, reason = 'suspended by a test'): Promise<void> {
  await runCommand(app.deps, SYSTEM, (ctx) => suspendStaffCommand(ctx, staffId, { reason }))
}

/** A staff member with a password of the test's choosing, not signed in: for the sign-in tests. */
export async function makeStaffWithPassword(app: App, roles: Role[], password: string, shopId: string | null = null) {
  const { id, username } = await createStaffAccount(app, roles, shopId, password)
  return { id, username, password, roles }
}

/** Every 4xx body is `{code, message, details}`; this checks the part the fuzz and matrix rely on. */
export function isErrorBody(body: string): boolean {
  try {
    const json = JSON.parse(body) as { code?: unknown; message?: unknown }
    return typeof json.code === 'string' && typeof json.message === 'string'
  } catch {
    return false
  }
}

/** An audit envelope as stored (jsonb comes back parsed on both drivers; text would not). */
export function envelopeOf(row: {
  envelope: unknown
}): Record<string, unknown> & { basis?: string | null; after?: unknown; data?: Record<string, unknown> } {
  return (typeof row.envelope === 'string' ? JSON.parse(row.envelope) : row.envelope) as Record<string, unknown>
}
