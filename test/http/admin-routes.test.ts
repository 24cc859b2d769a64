// Administration over HTTP: shops, staff accounts and machine clients, created by an admin, audited, and never
// handing out a password, a hash or (after the one response that carries it) a client secret.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCommand } from '../../src/audit/run-command.ts'
import { ForbiddenError } from '../../src/domain/errors.ts'
import { bootstrapAdmin, createShop, createStaff } from '../../src/staff/administration.ts'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { makeShop, makeStaff, SYSTEM, type TestStaff } from '../helpers/factories.ts'
import { auth, envelopeOf } from './support.ts'

let t: TestApp
let admin: TestStaff
let compliance: TestStaff
let agent: TestStaff

beforeAll(async () => {
  t = await openTestApp()
  admin = await makeStaff(t.app, ['admin'])
  compliance = await makeStaff(t.app, ['compliance_officer'])
  agent = await makeStaff(t.app, ['agent'])
})
afterAll(() => t.close())

const post = (url: string, payload: unknown, token = admin.token) =>
  t.server.inject({ method: 'POST', url, payload: payload as object, headers: auth(token) })
const get = (url: string, token = admin.token) => t.server.inject({ method: 'GET', url, headers: auth(token) })

let n = 0
const unique = (prefix: string) => `${prefix}-${++n}-${Date.now().toString(36)}`
const PASSWORD = 'correct-horse-battery'
const newAgent = (shopId: string, overrides: Record<string, unknown> = {}) => ({
  username: unique('agent').replaceAll('-', '.'),
  display_name: 'Sok Dara',
  roles: ['agent'],
  shop_id: shopId,
  password: PASSWORD,
  ...overrides,
})

describe('POST /api/v1/shops', () => {
  it('creates a shop that GET /api/v1/shops then lists; the same id again is 409 shop_exists', async () => {
    const id = unique('kampot')
    const res = await post('/api/v1/shops', { id, name: 'Kampot' })
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json()).toMatchObject({ id, name: 'Kampot' })
    expect((await get('/api/v1/shops', agent.token)).json().items).toContainEqual({ id, name: 'Kampot' })

    const again = await post('/api/v1/shops', { id, name: 'Kampot again' })
    expect(again.statusCode).toBe(409)
    expect(again.json()).toMatchObject({ code: 'shop_exists', details: { id } })
  })

  it.each([
    [{ id: 'Kampot!', name: 'Kampot' }, 'id'],
    [{ id: 'kampot-x' }, 'name'],
    [{ id: 'kampot-y', name: '' }, 'name'],
    [{ id: 'kampot-z', name: 'Kampot', region: 'south' }, 'region'],
  ])('refuses %j with a 400 naming %s', async (payload, field) => {
    const res = await post('/api/v1/shops', payload)
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json()).toMatchObject({ code: 'invalid_input', details: { field } })
  })
})

describe('POST /api/v1/staff', () => {
  it('creates an account without roles and files their role grant; the response carries no password or hash', async () => {
    const shop = await makeShop(t.app)
    const body = newAgent(shop)
    const res = await post('/api/v1/staff', body)
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json()).toEqual({
      id: expect.any(String),
      username: body.username,
      display_name: 'Sok Dara',
      roles: [],
      shop_id: shop,
      status: 'active',
      mfa_enrolled: false,
      // The admin cannot grant a role alone: a compliance officer is assigned to approve it.
      role_grant_request: { id: expect.any(String), status: 'pending', assigned_to: compliance.id },
    })
    expect(res.body).not.toContain(PASSWORD)
    expect(res.body).not.toContain('argon2')

    const signIn = await t.server.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { username: body.username, password: PASSWORD },
    })
    expect(signIn.statusCode, signIn.body).toBe(200)
    expect(signIn.json().staff).toMatchObject({ username: body.username, roles: [], shop_id: shop })
    // Without a role the account may do nothing yet.
    const numbers = await get('/api/v1/numbers', signIn.json().token)
    expect(numbers.statusCode).toBe(403)
  })

  it('creates a central role without a shop, and an account with no roles asked for files no request', async () => {
    const res = await post('/api/v1/staff', newAgent('', { roles: ['auditor'], shop_id: null }))
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json()).toMatchObject({ roles: [], shop_id: null, role_grant_request: { status: 'pending' } })
    const grant = await get(`/api/v1/requests/${res.json().role_grant_request.id}`)
    expect(grant.json()).toMatchObject({ kind: 'role_grant', payload: { roles: ['auditor'], shop_id: null } })

    const bare = await post('/api/v1/staff', newAgent('', { roles: [], shop_id: null }))
    expect(bare.statusCode, bare.body).toBe(201)
    expect(bare.json()).toMatchObject({ roles: [], role_grant_request: null })
  })

  it('a second account with a username that is taken is 409 username_taken', async () => {
    const shop = await makeShop(t.app)
    const body = newAgent(shop)
    expect((await post('/api/v1/staff', body)).statusCode).toBe(201)
    const again = await post('/api/v1/staff', { ...body, display_name: 'Someone else' })
    expect(again.statusCode).toBe(409)
    expect(again.json()).toMatchObject({ code: 'username_taken', details: { field: 'username' } })
  })

  it('admin with a role that acts on numbers is 400 roles_conflict, before the database sees it', async () => {
    const res = await post('/api/v1/staff', newAgent('', { roles: ['admin', 'inventory_manager'], shop_id: null }))
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json()).toMatchObject({ code: 'roles_conflict', details: { field: 'roles' } })
  })

  it.each([
    [{ password: 'too-short' }, 'password'],
    [{ password: undefined }, 'password'],
    [{ roles: ['owner'] }, 'roles.0'],
    [{ roles: ['agent', 'agent'] }, 'roles'],
    [{ username: 'Not A Username' }, 'username'],
    [{ display_name: '' }, 'display_name'],
    [{ shop_id: null }, 'shop_id'], // an agent works at a shop
    [{ shop_id: 'no-such-shop' }, 'shop_id'],
    [{ is_demo: true }, 'is_demo'],
    [{ password_hash: '$argon2id$v=19$m=19456,t=2,p=1$x$y' }, 'password_hash'],
  ])('refuses %j with a 400 naming %s', async (overrides, field) => {
    const shop = await makeShop(t.app)
    const res = await post('/api/v1/staff', newAgent(shop, overrides))
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json()).toMatchObject({ code: 'invalid_input', details: { field } })
  })
})

describe('GET /api/v1/staff', () => {
  it('lists staff to admins, compliance officers and auditors, without password hashes', async () => {
    for (const token of [admin.token, compliance.token]) {
      const res = await get('/api/v1/staff', token)
      expect(res.statusCode, res.body).toBe(200)
      const items = res.json().items as Record<string, unknown>[]
      expect(items.map((s) => s.username)).toEqual(expect.arrayContaining([admin.username, agent.username]))
      for (const s of items)
        expect(Object.keys(s).sort()).toEqual(
          [
            'abilities',
            'approver_cooling_until',
            'created_at',
            'display_name',
            'id',
            'mfa_enrolled',
            'roles',
            'shop_id',
            'status',
            'suspended_at',
            'suspension_reason',
            'username',
          ].sort(),
        )
      expect(res.body).not.toMatch(/argon2|mfa_secret|password/)
      // Abilities mirror the server's predicates: only the compliance officer may suspend, only the admin ask for roles.
      const agentRow = items.find((s) => s.username === agent.username)
      expect(agentRow?.abilities).toEqual(
        token === admin.token
          ? { suspend: false, request_role_grant: true, request_credential_reset: true }
          : { suspend: true, request_role_grant: false, request_credential_reset: false },
      )
    }
  })
})

describe('machine clients', () => {
  it('returns the secret once: it works at /oauth/token, and GET never shows it or its hash', async () => {
    const id = unique('charging').replaceAll('-', '.')
    const res = await post('/api/v1/machine-clients', {
      id,
      name: 'Charging system',
      scopes: ['activity:ingest', 'sim-swap:check'],
    })
    expect(res.statusCode, res.body).toBe(201)
    expect(res.headers['cache-control']).toBe('no-store')
    const created = res.json()
    expect(created).toMatchObject({ id, name: 'Charging system', scopes: ['activity:ingest', 'sim-swap:check'] })
    expect(created.client_secret).toMatch(/^ngc_[A-Za-z0-9_-]{43}$/)

    const token = await t.server.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { grant_type: 'client_credentials', client_id: id, client_secret: created.client_secret },
    })
    expect(token.statusCode, token.body).toBe(200)
    expect(token.json().scope).toBe('activity:ingest sim-swap:check')

    for (const who of [admin, compliance]) {
      const list = await get('/api/v1/machine-clients', who.token)
      expect(list.statusCode).toBe(200)
      const mine = (list.json().items as Record<string, unknown>[]).find((c) => c.id === id)
      expect(mine).toEqual({
        id,
        name: 'Charging system',
        scopes: ['activity:ingest', 'sim-swap:check'],
        status: 'active',
        created_at: expect.any(String),
      })
      expect(list.body).not.toContain(created.client_secret)
      expect(list.body).not.toContain('argon2')
    }

    const again = await post('/api/v1/machine-clients', { id, name: 'Again', scopes: ['provisioning'] })
    expect(again.statusCode).toBe(409)
    expect(again.json()).toMatchObject({ code: 'client_exists', details: { id } })
  })

  it.each([
    [{ id: 'bank', name: 'Bank', scopes: ['admin'] }, 'scopes.0'],
    [{ id: 'bank', name: 'Bank', scopes: [] }, 'scopes'],
    [{ id: 'Bank Of X', name: 'Bank', scopes: ['sim-swap:check'] }, 'id'],
    [{ id: 'bank', scopes: ['sim-swap:check'] }, 'name'],
    [{ id: 'bank', name: 'Bank', scopes: ['sim-swap:check'], secret: 'mine' }, 'secret'],
  ])('refuses %j with a 400 naming %s', async (payload, field) => {
    const res = await post('/api/v1/machine-clients', payload)
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json()).toMatchObject({ code: 'invalid_input', details: { field } })
  })
})

describe('who may administer', () => {
  it('a compliance officer or an agent gets 403 on every create; an agent may not list staff or clients', async () => {
    const shop = await makeShop(t.app)
    for (const who of [compliance, agent]) {
      for (const [url, payload] of [
        ['/api/v1/staff', newAgent(shop)],
        ['/api/v1/shops', { id: unique('shop'), name: 'Shop' }],
        ['/api/v1/machine-clients', { id: unique('client'), name: 'Client', scopes: ['provisioning'] }],
      ] as const) {
        const res = await post(url, payload, who.token)
        expect(res.statusCode, `${url} as ${who.roles[0]}`).toBe(403)
        expect(res.json()).toMatchObject({ code: 'forbidden', details: { action: 'manage_staff' } })
      }
    }
    for (const url of ['/api/v1/staff', '/api/v1/machine-clients'])
      expect((await get(url, agent.token)).statusCode).toBe(403)
  })

  it('the commands themselves deny a staff member without manage_staff, whatever route calls them', async () => {
    await expect(
      runCommand(t.app.deps, compliance.actor, (ctx) => createShop(ctx, { id: unique('shop'), name: 'Shop' })),
    ).rejects.toBeInstanceOf(ForbiddenError)
    await expect(
      runCommand(t.app.deps, agent.actor, (ctx) =>
        createStaff(ctx, { ...newAgent(agent.shopId as string), roles: ['admin'], shop_id: null }),
      ),
    ).rejects.toBeInstanceOf(ForbiddenError)
  })
})

describe('the audit records of administration', () => {
  it('name the admin and what was created, never a password, a hash or a client secret', async () => {
    const shop = unique('takeo')
    expect((await post('/api/v1/shops', { id: shop, name: 'Takeo' })).statusCode).toBe(201)
    const staff = newAgent(shop, { password: 'a-password-nobody-may-read' })
    expect((await post('/api/v1/staff', staff)).statusCode).toBe(201)
    const client = await post('/api/v1/machine-clients', {
      id: unique('provisioning'),
      name: 'HLR',
      scopes: ['provisioning'],
    })
    const secret = client.json().client_secret as string

    const rows = await t.app.db
      .selectFrom('audit_records')
      .select(['action', 'envelope'])
      .where('action', 'in', ['shop.created', 'staff.created', 'machine_client.created'])
      .execute()
    const texts = rows.map((r) => JSON.stringify(envelopeOf(r)))
    for (const text of texts) {
      for (const forbidden of [PASSWORD, 'a-password-nobody-may-read', secret, 'argon2', 'password', 'secret'])
        expect(text).not.toContain(forbidden)
    }
    const mine = rows.map(envelopeOf).filter((e) => (e.actor as { username?: string }).username === admin.username)
    expect(mine.map((e) => e.action)).toEqual(
      expect.arrayContaining(['shop.created', 'staff.created', 'machine_client.created']),
    )
    const createdStaff = mine.find((e) => (e.after as { username?: string }).username === staff.username)
    expect(createdStaff?.after).toMatchObject({ staff_id: expect.any(String), roles: [], shop_id: shop })
    expect(createdStaff?.data).toEqual({ roles_requested: ['agent'] })
  })
})

describe('bootstrapAdmin', () => {
  it('creates the first admin as numguard itself, then refuses while an active admin exists', async () => {
    const fresh = await openTestApp()
    try {
      const actor = { kind: 'system', component: 'cli-bootstrap', osUser: 'ops', host: 'db-host-1' } as const
      const first = await runCommand(fresh.app.deps, actor, (ctx) =>
        bootstrapAdmin(ctx, { username: 'root.admin', display_name: 'Root', password: PASSWORD }),
      )
      expect(first).toMatchObject({ username: 'root.admin', roles: ['admin'], shop_id: null })
      const leaf = await fresh.app.db
        .selectFrom('audit_records')
        .select('envelope')
        .where('action', '=', 'staff.created')
        .executeTakeFirstOrThrow()
      expect(envelopeOf(leaf).actor).toEqual({
        kind: 'system',
        component: 'cli-bootstrap',
        os_user: 'ops',
        host: 'db-host-1',
      })

      const second = runCommand(fresh.app.deps, actor, (ctx) =>
        bootstrapAdmin(ctx, { username: 'second.admin', display_name: 'Second', password: PASSWORD }),
      )
      await expect(second).rejects.toMatchObject({ code: 'admin_exists', status: 409 })
      const staffActor = (await makeStaff(fresh.app, ['auditor'])).actor
      await expect(
        runCommand(fresh.app.deps, staffActor, (ctx) =>
          bootstrapAdmin(ctx, { username: 'third.admin', display_name: 'Third', password: PASSWORD }),
        ),
      ).rejects.toBeInstanceOf(ForbiddenError)
    } finally {
      await fresh.close()
    }
  })

  it('two bootstraps at once make one admin; the other is refused', async () => {
    const fresh = await openTestApp()
    try {
      const attempts = await Promise.allSettled(
        ['first.admin', 'second.admin'].map((username) =>
          runCommand(fresh.app.deps, SYSTEM, (ctx) =>
            bootstrapAdmin(ctx, { username, display_name: username, password: PASSWORD }),
          ),
        ),
      )
      expect(attempts.map((a) => a.status).sort()).toEqual(['fulfilled', 'rejected'])
      expect(attempts.find((a) => a.status === 'rejected')).toMatchObject({ reason: { code: 'admin_exists' } })
      expect(await fresh.app.db.selectFrom('staff').select('username').execute()).toHaveLength(1)
    } finally {
      await fresh.close()
    }
  })

  it('a short password is refused before anything is written', async () => {
    const fresh = await openTestApp()
    try {
      await expect(
        runCommand(fresh.app.deps, SYSTEM, (ctx) =>
          bootstrapAdmin(ctx, { username: 'root.admin', display_name: 'Root', password: 'short' }),
        ),
      ).rejects.toMatchObject({ code: 'invalid_input', details: { field: 'password' } })
      expect(await fresh.app.db.selectFrom('staff').select('id').execute()).toEqual([])
    } finally {
      await fresh.close()
    }
  })
})
