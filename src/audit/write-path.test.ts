// The one write path (docs/STYLE.md "One write path", docs/DOMAIN.md invariants 6 and 8): runCommand, the audit record and the
// database guard together. Runs on both suites.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { makeRange, makeSims, makeStaff, newSubscriber, SYSTEM } from '../../test/helpers/factories.ts'
import { ConflictError, DomainError } from '../domain/errors.ts'
import { expireReservations, reserveNumber } from '../inventory/reservations.ts'
import { sellNumber } from '../inventory/sales.ts'
import { unchanged } from './record.ts'
import { runCommand } from './run-command.ts'

let t: TestApp
beforeAll(async () => {
  t = await openTestApp()
})
afterAll(() => t.close())

/** The error a promise rejects with (failing the test if it resolves). */
async function rejection(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => expect.fail('expected the command to be refused'),
    (err: unknown) => err,
  )
}

const numberRow = (msisdn: string) =>
  t.app.db.selectFrom('numbers').select(['state', 'reserved_by']).where('msisdn', '=', msisdn).executeTakeFirstOrThrow()
const auditActions = async (msisdn: string) =>
  (
    await t.app.db.selectFrom('audit_records').select('action').where('msisdn', '=', msisdn).orderBy('seq').execute()
  ).map((r) => r.action)

describe('a command that changes a guarded table without recording it', () => {
  it('is refused at commit (NG001 → 409 audit_record_required) and leaves nothing behind', async () => {
    const agent = await makeStaff(t.app, ['agent'])
    const [msisdn] = await makeRange(t.app, 1)
    let wrote = false
    const err = await rejection(
      runCommand(t.app.deps, agent.actor, async (ctx) => {
        await ctx.tx
          .updateTable('numbers')
          .set({
            state: 'reserved',
            reserved_by: agent.id,
            reserved_until: new Date(ctx.now.getTime() + 60_000),
            state_changed_at: ctx.now,
          })
          .where('msisdn', '=', msisdn)
          .where('state', '=', 'available')
          .execute()
        wrote = true
        return unchanged({ msisdn })
      }),
    )
    expect(wrote).toBe(true)
    expect(err).toBeInstanceOf(ConflictError)
    expect(err).toMatchObject({ code: 'audit_record_required', status: 409 })
    expect(await numberRow(msisdn)).toEqual({ state: 'available', reserved_by: null })
    expect(await auditActions(msisdn)).toEqual([])
    // The last guard fired: the attempt is a risk alert naming the staff member (invariant 8).
    const alert = await t.app.db
      .selectFrom('alerts')
      .selectAll()
      .where('id', '=', (err as ConflictError).details.alert_id as string)
      .executeTakeFirstOrThrow()
    expect(alert).toMatchObject({ kind: 'database_guard_refused', severity: 'risk', staff_id: agent.id })
  })

  it('is refused for a new staff member too, and the row does not exist afterwards', async () => {
    const id = randomUUID()
    const err = await rejection(
      runCommand(t.app.deps, SYSTEM, async (ctx) => {
        await ctx.tx
          .insertInto('staff')
          .values({
            id,
            username: `ghost.${id.slice(0, 8)}`,
            display_name: 'Ghost',
            password_hash: 'x',
            roles: [], // with a role it would be refused before commit (037): the missing leaf is what this shows
            status: 'active',
            created_at: ctx.now,
            updated_at: ctx.now,
          })
          .execute()
        return unchanged(id)
      }),
    )
    expect(err).toMatchObject({ code: 'audit_record_required' })
    expect(await t.app.db.selectFrom('staff').select('id').where('id', '=', id).execute()).toEqual([])
  })

  it('commits when it truly changed nothing', async () => {
    const before = await t.app.db
      .selectFrom('audit_records')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    await expect(runCommand(t.app.deps, SYSTEM, (ctx) => expireReservations(ctx))).resolves.toEqual({ expired: 0 })
    const after = await t.app.db
      .selectFrom('audit_records')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    expect(Number(after.n)).toBe(Number(before.n))
  })
})

describe('a refusal that carries an alert', () => {
  it('rolls back the change, but the alert and its alert.raised record survive', async () => {
    const agent = await makeStaff(t.app, ['agent'])
    const [msisdn] = await makeRange(t.app, 1)
    const err = await rejection(
      runCommand(t.app.deps, agent.actor, async (ctx) => {
        // A real, audited change, then a refusal: both the change and its record must go.
        await reserveNumber(ctx, agent.actor, msisdn, 30)
        throw new ConflictError('test_refusal', 'refused after writing').withAlert({
          kind: 'test_refusal',
          severity: 'risk',
          msisdn,
          attempt: { action: 'reserve', reason: 'test' },
        })
      }),
    )
    expect(err).toBeInstanceOf(DomainError)
    const refusal = err as DomainError
    expect(refusal.code).toBe('test_refusal')
    expect(refusal.details.alert_id).toEqual(expect.any(String))

    expect(await numberRow(msisdn)).toEqual({ state: 'available', reserved_by: null })
    expect(await auditActions(msisdn)).toEqual(['alert.raised'])

    const alert = await t.app.db
      .selectFrom('alerts')
      .selectAll()
      .where('id', '=', refusal.details.alert_id as string)
      .executeTakeFirstOrThrow()
    expect(alert).toMatchObject({
      kind: 'test_refusal',
      severity: 'risk',
      staff_id: agent.id,
      session_id: agent.actor.sessionId,
      msisdn,
      attempt: { action: 'reserve', reason: 'test' },
    })
    const record = await t.app.db
      .selectFrom('audit_records')
      .select(['envelope'])
      .where('msisdn', '=', msisdn)
      .where('action', '=', 'alert.raised')
      .executeTakeFirstOrThrow()
    expect(record.envelope).toMatchObject({
      action: 'alert.raised',
      actor: { kind: 'staff', staff_id: agent.id },
      after: { alert_id: alert.id, kind: 'test_refusal', severity: 'risk' },
    })
  })

  it('leaves no alert when the refusal carries none', async () => {
    const agent = await makeStaff(t.app, ['agent'])
    const [msisdn] = await makeRange(t.app, 1)
    const err = await rejection(
      runCommand(t.app.deps, agent.actor, async (ctx) => {
        await reserveNumber(ctx, agent.actor, msisdn, 30)
        throw new ConflictError('plain_refusal', 'refused')
      }),
    )
    expect(err).toMatchObject({ code: 'plain_refusal' })
    expect(await t.app.db.selectFrom('alerts').select('id').where('msisdn', '=', msisdn).execute()).toEqual([])
    expect(await auditActions(msisdn)).toEqual([])
  })
})

describe('the audit envelope', () => {
  it('has the same shape in every record a sale writes', async () => {
    const agent = await makeStaff(t.app, ['agent'])
    const [msisdn] = await makeRange(t.app, 1)
    const [iccid] = await makeSims(t.app, agent.shopId as string, 1)
    const at = t.clock.advance(60_000)
    const sale = await runCommand(t.app.deps, agent.actor, (ctx) =>
      sellNumber(ctx, agent.actor, { msisdn, iccid, subscriber: newSubscriber() }, t.app.config.kycKey),
    )
    const sold = await t.app.db
      .selectFrom('audit_records')
      .select('txid')
      .where('msisdn', '=', msisdn)
      .where('action', '=', 'number.sold')
      .executeTakeFirstOrThrow()
    const records = await t.app.db
      .selectFrom('audit_records')
      .selectAll()
      .where('txid', '=', sold.txid)
      .orderBy('seq')
      .execute()
    expect(records.map((r) => r.action).sort()).toEqual(['number.sold', 'subscriber.created'])

    for (const record of records) {
      const envelope = record.envelope as Record<string, unknown>
      const personal = record.action === 'subscriber.created' ? ['personal'] : []
      expect(Object.keys(envelope).sort(), record.action).toEqual(
        ['action', 'actor', 'after', 'at', 'basis', 'before', 'event_id', 'msisdn', ...personal, 'v'].sort(),
      )
      expect(envelope).toEqual({
        v: 'numguard-leaf/1',
        event_id: record.event_id,
        at: at.toISOString(),
        actor: { kind: 'staff', staff_id: agent.id, session_id: agent.actor.sessionId, username: agent.username },
        action: record.action,
        msisdn: record.msisdn,
        before: record.action === 'number.sold' ? { state: 'available' } : null,
        after: expect.any(Object),
        basis: record.action === 'number.sold' ? 'sale' : null,
        ...(personal.length ? { personal: expect.any(Object) } : {}),
      })
      expect(new Date(record.recorded_at).toISOString()).toBe(at.toISOString())
    }
    const soldEnvelope = records.find((r) => r.action === 'number.sold')?.envelope
    expect(soldEnvelope).toMatchObject({
      msisdn,
      before: { state: 'available' },
      after: {
        state: 'active',
        custody_id: sale.custody_id,
        subscriber_id: sale.subscriber_id,
        iccid,
        shop_id: agent.shopId,
      },
    })
    // Personal data stays out of the log in clear: the subscriber record commits to it (salted SHA-256, erasable).
    const created = records.find((r) => r.action === 'subscriber.created')
    expect(created?.msisdn).toBeNull()
    expect(JSON.stringify(created?.envelope)).not.toContain('Sokha')
    const commitments = (created?.envelope as { personal?: Record<string, string> } | undefined)?.personal ?? {}
    expect(Object.keys(commitments).sort()).toEqual(['kyc_doc_last4', 'name'])
    for (const c of Object.values(commitments)) expect(c).toMatch(/^[0-9a-f]{64}$/)
  })
})
