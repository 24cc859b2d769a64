// The first start of an empty installation, as an operator runs it: `numguard staff bootstrap-admin` straight on
// the database, once (and `bootstrap-compliance`: role grants need a compliance officer to approve them); then
// shops, staff and machine clients through the API as that admin, who enrols MFA at the first sign-in.
import { mkdtempSync, rmSync } from 'node:fs'
import { hostname, tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { buildServer } from '../../src/http/server.ts'
import { openApp } from '../../src/runtime.ts'
import { envelopeOf } from '../http/support.ts'
import { cliEnv, numguard as run } from './support.ts'

// The first command migrates a fresh embedded database: seconds when idle, more on a busy machine.
const COMMAND_MS = 90_000

const ADMIN = { username: 'root.admin', password: 'first-admin-password' }
const AGENT = { username: 'agent.kampot1', password: 'agent-kampot-password' }

let dataDir: string
let configDir: string

/** Runs `numguard ...args` to its end on this file's own embedded database and config directory. */
const numguard = (args: string[], env: Record<string, string> = {}) =>
  run(args, cliEnv({ NUMGUARD_MODE: 'demo', NUMGUARD_DATA: dataDir, XDG_CONFIG_HOME: configDir, ...env }), COMMAND_MS)

/** Opens the data directory in this process, as a server would (it takes the lock). */
async function openDirectly() {
  const opened = await openApp(loadConfig({ NUMGUARD_MODE: 'demo', NUMGUARD_DATA: dataDir, LOG_LEVEL: 'silent' }))
  const { server } = await buildServer(opened.app, { logRequests: false })
  await server.ready()
  return {
    ...opened,
    server,
    close: async () => {
      await server.close()
      await opened.close()
    },
  }
}

const asAdmin: Record<string, string> = { NUMGUARD_USERNAME: ADMIN.username, NUMGUARD_PASSWORD: ADMIN.password }
let clientSecret: string

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'numguard-bootstrap-'))
  configDir = mkdtempSync(join(tmpdir(), 'numguard-config-'))
})
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true })
  rmSync(configDir, { recursive: true, force: true })
})

describe('numguard staff bootstrap-admin', () => {
  it(
    'creates the first admin on a fresh database',
    async () => {
      const out = await numguard(['staff', 'bootstrap-admin', '--username', ADMIN.username], {
        NUMGUARD_PASSWORD: ADMIN.password,
      })
      expect(out.code, out.stderr).toBe(0)
      expect(out.stdout).toContain(`admin ${ADMIN.username} created`)
    },
    COMMAND_MS + 10_000,
  )

  it(
    'refuses a second bootstrap once an active admin exists',
    async () => {
      const out = await numguard([
        'staff',
        'bootstrap-admin',
        '--username',
        'second.admin',
        '--password',
        'another-long-password',
      ])
      expect(out.code).toBe(1)
      expect(out.stderr).toContain('[admin_exists]')
      expect(out.stderr).toContain(`An active admin (${ADMIN.username}) already exists`)
      expect(out.stderr).not.toMatch(/^\s+at /m)
    },
    COMMAND_MS + 10_000,
  )

  it(
    'refuses while another process holds the embedded database, saying why',
    async () => {
      const held = await openDirectly()
      try {
        const out = await numguard(['staff', 'bootstrap-admin', '-u', 'third.admin', '--password', 'a-long-password!'])
        expect(out.code).toBe(1)
        expect(out.stderr).toContain('is in use')
        expect(out.stderr).toContain(`pid ${process.pid}`)
      } finally {
        await held.close()
      }
    },
    COMMAND_MS + 10_000,
  )
})

describe('then, as that admin through the API', () => {
  it(
    'the admin’s first sign-in asks to enrol MFA: without a terminal it shows the secret and stops',
    async () => {
      const out = await numguard(['shop', 'add', 'kampot', 'Kampot'], asAdmin)
      expect(out.code).toBe(1)
      expect(out.stderr).toContain('must enrol an authenticator app')
      expect(out.stderr).toMatch(/otpauth URI: otpauth:\/\/totp\/numguard%3Aroot\.admin\?secret=/)
      expect(out.stderr).toContain('set NUMGUARD_TOTP_SECRET to the secret above')
      asAdmin.NUMGUARD_TOTP_SECRET = (out.stderr.match(/secret: +([A-Z2-7]{32})/) as RegExpMatchArray)[1]
    },
    COMMAND_MS + 10_000,
  )

  it(
    '`numguard shop add` creates a shop, the code computed from NUMGUARD_TOTP_SECRET (which enrols the admin)',
    async () => {
      const out = await numguard(['shop', 'add', 'kampot', 'Kampot'], asAdmin)
      expect(out.code, out.stderr).toBe(0)
      expect(out.stdout).toContain('shop kampot (Kampot) created')
    },
    COMMAND_MS + 10_000,
  )

  it(
    '`numguard staff bootstrap-compliance` creates the first compliance officer, once',
    async () => {
      const args = ['staff', 'bootstrap-compliance', '-u', 'first.compliance', '--password', 'compliance-password-1']
      const out = await numguard(args)
      expect(out.code, out.stderr).toBe(0)
      expect(out.stdout).toContain('compliance officer first.compliance created')
      const again = await numguard([...args.slice(0, 3), 'second.compliance', ...args.slice(4)])
      expect(again.code).toBe(1)
      expect(again.stderr).toContain('[compliance_officer_exists]')
    },
    COMMAND_MS + 10_000,
  )

  it(
    '`numguard staff add` creates an agent of that shop, the password from NUMGUARD_NEW_PASSWORD',
    async () => {
      const out = await numguard(
        ['staff', 'add', AGENT.username, '--role', 'agent', '--shop', 'kampot', '--display-name', 'Sok Dara'],
        { ...asAdmin, NUMGUARD_NEW_PASSWORD: AGENT.password },
      )
      expect(out.code, out.stderr + out.stdout).toBe(0)
      expect(out.stdout).toContain(
        `staff ${AGENT.username} created @ kampot, without roles until a compliance officer approves them`,
      )
      expect(out.stdout).toMatch(/role grant agent: request [0-9a-f-]{36}, assigned to a compliance officer/)
    },
    COMMAND_MS + 10_000,
  )

  it(
    '`numguard staff add` of admin with a number role is refused with roles_conflict',
    async () => {
      const out = await numguard(['staff', 'add', 'mixed.admin', '-r', 'admin', '-r', 'agent', '--shop', 'kampot'], {
        ...asAdmin,
        NUMGUARD_NEW_PASSWORD: 'a-long-enough-password',
      })
      expect(out.code).toBe(1)
      expect(out.stderr).toContain('[roles_conflict]')
    },
    COMMAND_MS + 10_000,
  )

  it(
    '`numguard client add` prints the secret once, with a warning to store it',
    async () => {
      const out = await numguard(
        ['client', 'add', 'charging', '--name', 'Charging system', '--scope', 'activity:ingest', 'provisioning'],
        asAdmin,
      )
      expect(out.code, out.stderr).toBe(0)
      expect(out.stdout).toContain('machine client charging created with scopes activity:ingest provisioning')
      expect(out.stdout).toMatch(/will not show it again/)
      clientSecret = (out.stdout.match(/client_secret: (ngc_\S+)/) as RegExpMatchArray)[1]
    },
    COMMAND_MS + 10_000,
  )

  it(
    'the new agent signs in, the client gets a token, and the audit records name who ran each command',
    async () => {
      const opened = await openDirectly()
      try {
        const signIn = await opened.server.inject({
          method: 'POST',
          url: '/api/v1/auth/sign-in',
          payload: AGENT,
        })
        expect(signIn.statusCode, signIn.body).toBe(200)
        // No role yet: the admin asked for `agent`; a compliance officer approves it (a role_grant request).
        expect(signIn.json().staff).toMatchObject({ username: AGENT.username, roles: [], shop_id: 'kampot' })
        const grant = await opened.app.db
          .selectFrom('requests')
          .select(['kind', 'status', 'payload'])
          .where('kind', '=', 'role_grant')
          .executeTakeFirstOrThrow()
        expect(grant).toMatchObject({ status: 'pending', payload: { username: AGENT.username, roles: ['agent'] } })

        const token = await opened.server.inject({
          method: 'POST',
          url: '/oauth/token',
          payload: { grant_type: 'client_credentials', client_id: 'charging', client_secret: clientSecret },
        })
        expect(token.statusCode, token.body).toBe(200)

        const rows = await opened.app.db
          .selectFrom('audit_records')
          .select(['action', 'envelope'])
          .where('action', 'in', ['staff.created', 'shop.created', 'machine_client.created'])
          .orderBy('seq')
          .execute()
        const envelopes = rows.map(envelopeOf)
        expect(envelopes.map((e) => e.action)).toEqual([
          'staff.created',
          'shop.created',
          'staff.created',
          'staff.created',
          'machine_client.created',
        ])
        // The bootstraps read their OS user and host themselves; through the API they are what the CLI claims.
        const os = { os_user: userInfo().username, host: hostname() }
        expect(envelopes[0].actor).toEqual({ kind: 'system', component: 'cli-bootstrap', ...os })
        expect(envelopes[2].actor).toEqual({ kind: 'system', component: 'cli-bootstrap', ...os })
        for (const e of [envelopes[1], ...envelopes.slice(3)]) {
          expect(e.actor).toMatchObject({
            kind: 'staff',
            username: ADMIN.username,
            claimed_os_user: os.os_user,
            claimed_host: os.host,
          })
          expect(e.actor).not.toHaveProperty('os_user')
          expect(e.actor).not.toHaveProperty('host')
        }
        const text = JSON.stringify(envelopes)
        for (const secret of [ADMIN.password, AGENT.password, clientSecret, 'argon2', asAdmin.NUMGUARD_TOTP_SECRET])
          expect(text).not.toContain(secret)
      } finally {
        await opened.close()
      }
    },
    COMMAND_MS + 10_000,
  )
})
