// Staff change only by their requests (issue 10 item 3, migration 037): raw SQL as the application role cannot create
// an account with roles (other than the bootstrap of a role nobody holds), change roles, shop or credentials without
// executing an approved request of that kind naming the account, rest an execution on a cooling approver, or change a
// staff row without a leaf naming it. Each refusal sits beside the lawful path that still commits.
// Runs on both suites (PGlite and PostgreSQL): nothing here needs a second connection.
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { isPostgresSuite } from '../../test/helpers/db.ts'
import { g, inTransaction, run, runAsOwner, setUpGuardDatabase, type Tx, writeAnyLeaf } from './guards-fixtures.ts'

setUpGuardDatabase()

const refused = { code: 'NG037' }

async function account(roles: string[] = [], shopId: string | null = null): Promise<string> {
  const id = randomUUID()
  await runAsOwner(sql`INSERT INTO staff (id, username, display_name, password_hash, roles, shop_id, created_at, updated_at)
                       VALUES (${id}, ${`sg.${id.slice(0, 8)}`}, 'Staff', 'x', ${roles}, ${shopId}, now(), now())`)
  return id
}

async function staffRow(id: string) {
  const { rows } = await sql<{
    roles: string[]
    shop_id: string | null
    password_hash: string
    roles_granted_at: Date | null
  }>`SELECT roles, shop_id, password_hash, roles_granted_at FROM staff WHERE id = ${id}`.execute(g.db)
  return rows[0]
}

/** A staff-kind request approved by `approverId` (the fixture's compliance officer unless told), not yet executed. */
async function approvedRequest(kind: string, payload: object, approverId = g.complianceId): Promise<string> {
  const id = randomUUID()
  const json = JSON.stringify(payload)
  await run(sql`INSERT INTO requests (id, kind, status, payload, payload_sha256, requested_by, requested_at, expires_at)
                VALUES (${id}, ${kind}, 'pending', ${json}::jsonb, request_payload_sha256(${json}::jsonb), ${g.staffId},
                        now(), now() + interval '1 day')`)
  await run(sql`INSERT INTO request_approvals (request_id, approver_id, payload_sha256, decision, decided_at)
                SELECT ${id}, ${approverId}, payload_sha256, 'approved', now() FROM requests WHERE id = ${id}`)
  await run(sql`UPDATE requests SET status = 'approved', decided_at = now() WHERE id = ${id}`)
  return id
}

const execute = (tx: Tx, requestId: string) =>
  sql`UPDATE requests SET status = 'executed', executed_at = now() WHERE id = ${requestId}`.execute(tx)

describe(`staff change only by their executed requests (${isPostgresSuite() ? 'postgres' : 'pglite'})`, () => {
  it('runs as the application role', async () => {
    const { rows } = await sql<{ role: string }>`SELECT current_user AS role`.execute(g.db)
    expect(rows[0].role).toBe('numguard_app')
  })

  it('refuses INSERT INTO staff of a new supervisor (NG037); an account without roles commits', async () => {
    const id = randomUUID()
    await expect(
      run(sql`INSERT INTO staff (id, username, display_name, password_hash, roles, shop_id, created_at, updated_at)
              VALUES (${id}, 'sg.ghost', 'Ghost', 'x', ARRAY['supervisor'], 'guards-shop-2', now(), now())`),
    ).rejects.toMatchObject(refused)
    await run(sql`INSERT INTO staff (id, username, display_name, password_hash, roles, created_at, updated_at)
                  VALUES (${id}, 'sg.ghost', 'Ghost', 'x', '{}', now(), now())`)
    expect((await staffRow(id)).roles).toEqual([])
  })

  it('lets the bootstrap create a role nobody holds, once (NG037 the second time)', async () => {
    const first = randomUUID()
    await run(sql`INSERT INTO staff (id, username, display_name, password_hash, roles, created_at, updated_at)
                  VALUES (${first}, 'sg.admin', 'First admin', 'x', ARRAY['admin'], now(), now())`)
    expect((await staffRow(first)).roles).toEqual(['admin'])
    await expect(
      run(sql`INSERT INTO staff (id, username, display_name, password_hash, roles, created_at, updated_at)
              VALUES (${randomUUID()}, 'sg.admin2', 'Second admin', 'x', ARRAY['admin'], now(), now())`),
    ).rejects.toMatchObject(refused)
  })

  it('refuses a demo account with a role once real accounts hold roles (NG037)', async () => {
    await expect(
      run(sql`INSERT INTO staff (id, username, display_name, password_hash, roles, is_demo, created_at, updated_at)
              VALUES (${randomUUID()}, 'sg.demo', 'Demo', 'x', ARRAY['compliance_officer'], true, now(), now())`),
    ).rejects.toMatchObject(refused)
  })

  it.each([
    ['roles', (id: string) => sql`UPDATE staff SET roles = ARRAY['agent', 'supervisor'] WHERE id = ${id}`],
    ['shop', (id: string) => sql`UPDATE staff SET shop_id = 'guards-shop-2' WHERE id = ${id}`],
    [
      'the cooling clock',
      (id: string) => sql`UPDATE staff SET roles_granted_at = now() - interval '1 year' WHERE id = ${id}`,
    ],
    ['the password hash', (id: string) => sql`UPDATE staff SET password_hash = 'forged' WHERE id = ${id}`],
    [
      'the TOTP secret',
      (id: string) => sql`UPDATE staff SET mfa_secret = '\\x01'::bytea, mfa_enrolled_at = now() WHERE id = ${id}`,
    ],
    ['the demo mark', (id: string) => sql`UPDATE staff SET is_demo = true WHERE id = ${id}`],
  ])('refuses a raw change of %s without its executed request (NG037)', async (_what, statement) => {
    const id = await account(['agent'], 'guards-shop')
    await expect(run(statement(id))).rejects.toMatchObject(refused)
    expect(await staffRow(id)).toMatchObject({ roles: ['agent'], shop_id: 'guards-shop', password_hash: 'x' })
  })

  it('changes roles and shop when an approved role_grant naming the account executes in the transaction', async () => {
    const id = await account(['agent'], 'guards-shop')
    const payload = {
      staff_id: id,
      username: 'x',
      roles: ['supervisor'],
      shop_id: 'guards-shop-2',
      reason: 'promotion',
    }
    const grant = await approvedRequest('role_grant', payload)
    // Another account than the payload's, or other roles than it grants: refused in the executing transaction too.
    const other = await account(['agent'], 'guards-shop')
    await expect(
      inTransaction(async (tx) => {
        await execute(tx, grant)
        await sql`UPDATE staff SET roles = ARRAY['supervisor'], shop_id = 'guards-shop-2', roles_granted_at = now() WHERE id = ${other}`.execute(
          tx,
        )
      }),
    ).rejects.toMatchObject(refused)
    await expect(
      inTransaction(async (tx) => {
        await execute(tx, grant)
        await sql`UPDATE staff SET roles = ARRAY['supervisor', 'compliance_officer'], shop_id = 'guards-shop-2', roles_granted_at = now() WHERE id = ${id}`.execute(
          tx,
        )
      }),
    ).rejects.toMatchObject(refused)
    // Without restarting the cooling clock at the execution: refused.
    await expect(
      inTransaction(async (tx) => {
        await execute(tx, grant)
        await sql`UPDATE staff SET roles = ARRAY['supervisor'], shop_id = 'guards-shop-2' WHERE id = ${id}`.execute(tx)
      }),
    ).rejects.toMatchObject(refused)
    await inTransaction(async (tx) => {
      await execute(tx, grant)
      await sql`UPDATE staff SET roles = ARRAY['supervisor'], shop_id = 'guards-shop-2', roles_granted_at = now() WHERE id = ${id}`.execute(
        tx,
      )
    })
    expect(await staffRow(id)).toMatchObject({ roles: ['supervisor'], shop_id: 'guards-shop-2' })
    // The request executed once: a later transaction cannot reuse it.
    await expect(
      run(sql`UPDATE staff SET roles = ARRAY['supervisor', 'agent'] WHERE id = ${id}`),
    ).rejects.toMatchObject(refused)
  })

  it('resets credentials only with an executed credential_reset, which clears MFA', async () => {
    const id = await account(['agent'], 'guards-shop')
    const payload = { staff_id: id, username: 'x', reset: ['password', 'mfa'], reason: 'lost phone' }
    const reset = await approvedRequest('credential_reset', payload)
    await expect(
      inTransaction(async (tx) => {
        await execute(tx, reset)
        await sql`UPDATE staff SET password_hash = 'new', mfa_secret = '\\x02'::bytea, mfa_enrolled_at = now(), credentials_reset_at = now() WHERE id = ${id}`.execute(
          tx,
        )
      }),
    ).rejects.toMatchObject(refused)
    await inTransaction(async (tx) => {
      await execute(tx, reset)
      await sql`UPDATE staff SET password_hash = 'new', mfa_secret = NULL, mfa_enrolled_at = NULL, credentials_reset_at = now() WHERE id = ${id}`.execute(
        tx,
      )
    })
    expect((await staffRow(id)).password_hash).toBe('new')
  })

  it('lets an account enrol its offered TOTP secret, and no other', async () => {
    const id = await account(['agent'], 'guards-shop')
    await run(sql`UPDATE staff SET mfa_pending_secret = '\\x0a0b'::bytea WHERE id = ${id}`)
    await expect(
      run(
        sql`UPDATE staff SET mfa_secret = '\\x0c0d'::bytea, mfa_pending_secret = NULL, mfa_enrolled_at = now() WHERE id = ${id}`,
      ),
    ).rejects.toMatchObject(refused)
    await run(
      sql`UPDATE staff SET mfa_secret = mfa_pending_secret, mfa_pending_secret = NULL, mfa_enrolled_at = now() WHERE id = ${id}`,
    )
    const { rows } = await sql<{
      n: number
    }>`SELECT count(*)::int AS n FROM staff WHERE id = ${id} AND mfa_secret IS NOT NULL`.execute(g.db)
    expect(rows[0].n).toBe(1)
  })
})

describe('approvers in their cooling period', () => {
  it('refuses an approval by an officer granted a role within 7 days (at approval, NG007)', async () => {
    const officer = await account(['compliance_officer'])
    await runAsOwner(sql`UPDATE staff SET roles_granted_at = now() - interval '2 days' WHERE id = ${officer}`)
    const target = await account()
    await expect(
      approvedRequest(
        'role_grant',
        { staff_id: target, username: 'x', roles: ['agent'], shop_id: null, reason: 'r' },
        officer,
      ),
    ).rejects.toMatchObject({ code: 'NG007' })
  })

  it('refuses executing on an approval whose approver was reset after approving (at execution, NG037)', async () => {
    const officer = await account(['compliance_officer'])
    const target = await account([], 'guards-shop')
    const payload = { staff_id: target, username: 'x', roles: ['agent'], shop_id: 'guards-shop', reason: 'hire' }
    const grant = await approvedRequest('role_grant', payload, officer)
    await runAsOwner(sql`UPDATE staff SET credentials_reset_at = now() WHERE id = ${officer}`)
    const lawful = (tx: Tx) =>
      sql`UPDATE staff SET roles = ARRAY['agent'], roles_granted_at = now() WHERE id = ${target}`.execute(tx)
    await expect(
      inTransaction(async (tx) => {
        await execute(tx, grant)
        await lawful(tx)
      }),
    ).rejects.toMatchObject(refused)
    expect((await staffRow(target)).roles).toEqual([])
    // Positive control: the same grant approved by a cooled officer executes.
    const again = await approvedRequest('role_grant', { ...payload, reason: 'hire, again' })
    await inTransaction(async (tx) => {
      await execute(tx, again)
      await lawful(tx)
    })
    expect((await staffRow(target)).roles).toEqual(['agent'])
  })
})

describe('a staff change needs a leaf naming the account', () => {
  it('refuses a change under a leaf about something else (NG001), commits under one naming it', async () => {
    const id = await account()
    await expect(
      run(sql`UPDATE staff SET display_name = 'Renamed' WHERE id = ${id}`, { describe: false }),
    ).rejects.toMatchObject({ code: 'NG001' })
    await expect(
      inTransaction(
        async (tx) => {
          await sql`UPDATE staff SET display_name = 'Renamed' WHERE id = ${id}`.execute(tx)
          await writeAnyLeaf(tx)
          const envelope = JSON.stringify({ data: { staff_id: g.staffId } })
          await sql`INSERT INTO audit_records (event_id, txid, recorded_at, action, envelope)
                    VALUES (gen_random_uuid(), 0, now(), 'staff.changed', ${envelope}::jsonb)`.execute(tx)
        },
        { audit: false },
      ),
    ).rejects.toMatchObject({ code: 'NG001' })
    await run(sql`UPDATE staff SET display_name = 'Renamed' WHERE id = ${id}`)
    const { rows } = await sql<{ name: string }>`SELECT display_name AS name FROM staff WHERE id = ${id}`.execute(g.db)
    expect(rows[0].name).toBe('Renamed')
  })
})

describe('a staff change needs a leaf of its kind of change', () => {
  it('refuses an executed role grant whose leaf is of another kind (NG001); staff.roles_granted commits', async () => {
    const id = await account([], 'guards-shop')
    const payload = { staff_id: id, username: 'x', roles: ['agent'], shop_id: 'guards-shop', reason: 'hire' }
    const grant = await approvedRequest('role_grant', payload)
    const leaf = (tx: Tx, action: string) =>
      sql`INSERT INTO audit_records (event_id, txid, recorded_at, action, envelope)
          VALUES (gen_random_uuid(), 0, now(), ${action}, ${JSON.stringify({ data: { staff_id: id, request_id: grant } })}::jsonb)`.execute(
        tx,
      )
    const grantUnder = (action: string) =>
      inTransaction(
        async (tx) => {
          await execute(tx, grant)
          await sql`UPDATE staff SET roles = ARRAY['agent'], roles_granted_at = now() WHERE id = ${id}`.execute(tx)
          await leaf(tx, 'request.executed')
          await leaf(tx, action)
        },
        { audit: false },
      )
    await expect(grantUnder('staff.mfa_enrolment_started')).rejects.toMatchObject({ code: 'NG001' })
    expect((await staffRow(id)).roles).toEqual([])
    await grantUnder('staff.roles_granted')
    expect((await staffRow(id)).roles).toEqual(['agent'])
  })
})
