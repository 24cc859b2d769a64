// Sign-in, sessions and the OAuth2 client-credentials grant over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../helpers/app.ts'
import { makeStaff } from '../helpers/factories.ts'
import { auth, envelopeOf, extraSession, makeMachineClient, makeStaffWithPassword } from './support.ts'

let t: TestApp
beforeAll(async () => {
  t = await openTestApp()
})
afterAll(() => t.close())

const signIn = (payload: unknown) =>
  t.server.inject({ method: 'POST', url: '/api/v1/auth/sign-in', payload: payload as object })

describe('POST /api/v1/auth/sign-in', () => {
  it('returns a bearer token and sets an HTTP-only, same-site session cookie', async () => {
    const staff = await makeStaffWithPassword(t.app, ['agent'], 'correct horse battery')
    const res = await signIn({ username: staff.username, password: staff.password })
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json()
    expect(body.token).toMatch(/^ngs_/)
    expect(body.staff).toMatchObject({ id: staff.id, username: staff.username, roles: ['agent'], status: 'active' })
    expect(res.body).not.toContain('password')
    const cookie = res.cookies.find((c) => c.name === 'ng_session')
    expect(cookie).toMatchObject({ value: body.token, httpOnly: true, sameSite: 'Strict', path: '/' })
    // A lifetime rather than a date: the browser's clock is not the (movable) server clock.
    expect(cookie?.maxAge).toBe(12 * 3600)
    expect(new Date(body.session.expires_at).getTime()).toBe(t.clock.now().getTime() + 12 * 3_600_000)
    const signedIn = await t.app.db
      .selectFrom('audit_records')
      .select('envelope')
      .where('action', '=', 'session.signed_in')
      .execute()
    expect(
      signedIn.map(envelopeOf).some((e) => (e.after as { session_id?: string }).session_id === body.session.id),
    ).toBe(true)
  })

  it('refuses a wrong password with 401 and records session.sign_in_failed', async () => {
    const staff = await makeStaffWithPassword(t.app, ['auditor'], 'the right one')
    const res = await signIn({ username: staff.username, password: 'the wrong one' })
    expect(res.statusCode).toBe(401)
    expect(res.json()).toMatchObject({ code: 'unauthenticated', message: expect.any(String), details: {} })
    expect(res.cookies).toHaveLength(0)
    const failed = await t.app.db
      .selectFrom('audit_records')
      .select('envelope')
      .where('action', '=', 'session.sign_in_failed')
      .execute()
    const mine = failed.map(envelopeOf).filter((e) => e.data?.username === staff.username)
    expect(mine).toHaveLength(1)
    expect(mine[0].data).toMatchObject({ reason: 'wrong_password' })
  })

  it('refuses an unknown user the same way', async () => {
    const res = await signIn({ username: 'nobody.at.all', password: 'whatever' })
    expect(res.statusCode).toBe(401)
    expect(res.json().code).toBe('unauthenticated')
  })

  it.each([
    [{ username: 'someone' }, 'password'],
    [{ password: 'x' }, 'username'],
    [{ username: '', password: 'x' }, 'username'],
    [{ username: 'a', password: 'x', admin: true }, 'admin'],
    [{ username: 'a'.repeat(65), password: 'x' }, 'username'],
  ])('answers 400 naming the field for %j', async (payload, field) => {
    const res = await signIn(payload)
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ code: 'invalid_input', details: { field } })
  })
})

describe('GET /api/v1/auth/me and the session list', () => {
  it('says who is signed in, without secrets', async () => {
    const staff = await makeStaff(t.app, ['supervisor'])
    const res = await t.server.inject({ method: 'GET', url: '/api/v1/auth/me', headers: auth(staff.token) })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      staff: {
        id: staff.id,
        username: staff.username,
        display_name: staff.username,
        roles: ['supervisor'],
        shop_id: staff.shopId,
        status: 'active',
        mfa_enrolled: true,
      },
      session: { id: staff.actor.sessionId, expires_at: expect.any(String), mfa: 'verified' },
      mfa_required: true,
    })
    expect(res.body).not.toMatch(/password|token_hash|argon2/)
  })

  it('lists one’s own sessions and revokes one of them', async () => {
    const staff = await makeStaff(t.app, ['agent'])
    const other = await extraSession(t.app, staff.id)
    const stranger = await makeStaff(t.app, ['agent'])
    const list = await t.server.inject({ method: 'GET', url: '/api/v1/sessions', headers: auth(staff.token) })
    expect(list.statusCode).toBe(200)
    const ids = list.json().items.map((s: { id: string }) => s.id)
    expect(ids.sort()).toEqual([staff.actor.sessionId, other.id].sort())
    expect(ids).not.toContain(stranger.actor.sessionId)
    expect(list.body).not.toContain('token_hash')

    const revoke = await t.server.inject({
      method: 'DELETE',
      url: `/api/v1/sessions/${other.id}`,
      headers: auth(staff.token),
    })
    expect(revoke.statusCode).toBe(204)
    expect(
      (await t.server.inject({ method: 'GET', url: '/api/v1/auth/me', headers: auth(other.token) })).statusCode,
    ).toBe(401)
    const after = await t.server.inject({ method: 'GET', url: '/api/v1/sessions', headers: auth(staff.token) })
    expect(after.json().items.find((s: { id: string }) => s.id === other.id).revoked_at).not.toBeNull()
    const leaves = await t.app.db
      .selectFrom('audit_records')
      .select('envelope')
      .where('action', '=', 'session.revoked')
      .execute()
    expect(leaves.map(envelopeOf).some((e) => (e.after as { session_id: string }).session_id === other.id)).toBe(true)
  })

  it('answers 404 for a session already revoked or someone else’s, and 400 for a malformed id', async () => {
    const staff = await makeStaff(t.app, ['agent'])
    const stranger = await makeStaff(t.app, ['agent'])
    const theirs = await t.server.inject({
      method: 'DELETE',
      url: `/api/v1/sessions/${stranger.actor.sessionId}`,
      headers: auth(staff.token),
    })
    expect(theirs.statusCode).toBe(404)
    expect(
      (await t.server.inject({ method: 'GET', url: '/api/v1/auth/me', headers: auth(stranger.token) })).statusCode,
    ).toBe(200)
    const bad = await t.server.inject({
      method: 'DELETE',
      url: '/api/v1/sessions/not-a-uuid',
      headers: auth(staff.token),
    })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().details.field).toBe('id')
  })
})

describe('POST /oauth/token (client credentials)', () => {
  const token = (payload: unknown, headers: Record<string, string> = {}) =>
    t.server.inject({ method: 'POST', url: '/oauth/token', payload: payload as string, headers })

  it('issues a token for a JSON body, with the client’s scopes by default', async () => {
    const client = await makeMachineClient(t.app, ['activity:ingest', 'provisioning'])
    const res = await token({ grant_type: 'client_credentials', client_id: client.id, client_secret: client.secret })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.json()).toMatchObject({
      access_token: expect.stringMatching(/^ngm_/),
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'activity:ingest provisioning',
    })
    const leaves = await t.app.db
      .selectFrom('audit_records')
      .select('envelope')
      .where('action', '=', 'machine.token_issued')
      .execute()
    expect(leaves.map(envelopeOf).some((e) => (e.actor as { client_id: string }).client_id === client.id)).toBe(true)
  })

  it('accepts a form-urlencoded body and narrows to a requested subset of scopes', async () => {
    const client = await makeMachineClient(t.app, ['activity:ingest', 'provisioning'])
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: client.id,
      client_secret: client.secret,
      scope: 'provisioning',
    })
    const res = await token(form.toString(), { 'content-type': 'application/x-www-form-urlencoded' })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().scope).toBe('provisioning')
    const row = await t.app.db
      .selectFrom('machine_tokens')
      .select('scopes')
      .where('client_id', '=', client.id)
      .executeTakeFirstOrThrow()
    expect(row.scopes).toEqual(['provisioning'])
  })

  it('accepts the secret through HTTP Basic', async () => {
    const client = await makeMachineClient(t.app, ['provisioning'])
    const basic = Buffer.from(`${client.id}:${client.secret}`).toString('base64')
    const res = await token({ grant_type: 'client_credentials' }, { authorization: `Basic ${basic}` })
    expect(res.statusCode, res.body).toBe(200)
  })

  it('refuses a wrong secret with 401 error invalid_client', async () => {
    const client = await makeMachineClient(t.app, ['provisioning'])
    for (const id of [client.id, 'no-such-client']) {
      const res = await token({ grant_type: 'client_credentials', client_id: id, client_secret: 'wrong' })
      expect(res.statusCode).toBe(401)
      expect(res.json()).toMatchObject({ error: 'invalid_client', code: 'invalid_client', message: expect.any(String) })
    }
  })

  it('refuses a scope the client does not hold with 400 invalid_scope', async () => {
    const client = await makeMachineClient(t.app, ['activity:ingest'])
    const res = await token({
      grant_type: 'client_credentials',
      client_id: client.id,
      client_secret: client.secret,
      scope: 'activity:ingest provisioning',
    })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ error: 'invalid_scope' })
  })

  it('answers 400 for another grant type, missing credentials or a missing grant_type', async () => {
    const password = await token({ grant_type: 'password', client_id: 'x', client_secret: 'y' })
    expect(password.statusCode).toBe(400)
    expect(password.json().error).toBe('unsupported_grant_type')
    const noSecret = await token({ grant_type: 'client_credentials', client_id: 'x' })
    expect(noSecret.statusCode).toBe(400)
    expect(noSecret.json()).toMatchObject({ code: 'invalid_input', details: { field: 'client_id' } })
    const noGrant = await token({ client_id: 'x' })
    expect(noGrant.statusCode).toBe(400)
    expect(noGrant.json().details.field).toBe('grant_type')
  })
})
