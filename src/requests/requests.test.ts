// The request workflow's rules (docs/DOMAIN.md's request table, invariants 7 and 8), on reclaim requests: who is
// assigned, who may decide, which hash is signed, expiry, duplicates, and the re-check at execution.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestApp, type TestApp } from '../../test/helpers/app.ts'
import { makeStaff, SYSTEM, type TestStaff } from '../../test/helpers/factories.ts'
import { agingNumber, type HeldNumber } from '../../test/helpers/reclaim-fixtures.ts'
import { audited, recordAudit } from '../audit/record.ts'
import { runCommand } from '../audit/run-command.ts'
import { REQUEST_KINDS, REQUEST_TABLE } from '../domain/requests.ts'
import { requestReclaim } from '../recycling/reclaim.ts'
import { cancelRequest } from './closing.ts'
import { approveRequest, rejectRequest } from './commands.ts'
import { executeRequest } from './execute.ts'
import { listRequests, type RequestRecord } from './queries.ts'

let t: TestApp
let requester: TestStaff
let sameShop: TestStaff
let supB: TestStaff
let supC: TestStaff
let compliance: TestStaff

beforeAll(async () => {
  t = await openTestApp()
  // An agent who is also a supervisor: the one person who could otherwise approve their own request.
  requester = await makeStaff(t.app, ['agent', 'supervisor'])
  sameShop = await makeStaff(t.app, ['supervisor'], { shopId: requester.shopId })
  supB = await makeStaff(t.app, ['supervisor'])
  supC = await makeStaff(t.app, ['supervisor'])
  compliance = await makeStaff(t.app, ['compliance_officer'])
})
afterAll(() => t.close())

async function fileReclaim(held?: HeldNumber): Promise<{ held: HeldNumber; request: RequestRecord }> {
  // Held one day only: these tests are about the request, and the clock should not run far ahead.
  const number = held ?? (await agingNumber(t.app, t.clock, { agent: requester, daysHeld: 1 }))
  const request = await runCommand(t.app.deps, requester.actor, (ctx) =>
    requestReclaim(
      ctx,
      requester.actor,
      { msisdn: number.msisdn, kycDocNumber: number.subscriber.kyc_doc_number },
      t.app.config.kycKey,
    ),
  )
  return { held: number, request }
}

const approve = (who: TestStaff, r: RequestRecord, sha = r.payload_sha256) =>
  runCommand(t.app.deps, who.actor, (ctx) => approveRequest(ctx, r.id, { payloadSha256: sha }))
const execute = (r: RequestRecord) => runCommand(t.app.deps, requester.actor, (ctx) => executeRequest(ctx, r.id))
const assignee = (r: RequestRecord) => [supB, supC].find((s) => s.id === r.assigned_to) as TestStaff
const notAssignee = (r: RequestRecord) => [supB, supC].find((s) => s.id !== r.assigned_to) as TestStaff

async function alertOf(err: unknown) {
  const id = (err as { details: { alert_id?: string } }).details.alert_id
  expect(id).toBeTruthy()
  return t.app.db
    .selectFrom('alerts')
    .select(['kind', 'severity', 'staff_id'])
    .where('id', '=', id as string)
    .executeTakeFirstOrThrow()
}

describe('assignment', () => {
  it('goes to an active supervisor of another shop, the least loaded, never the requester or their shop', async () => {
    const first = await fileReclaim()
    const second = await fileReclaim()
    const assigned = [first.request.assigned_to, second.request.assigned_to]
    expect(new Set(assigned)).toEqual(new Set([supB.id, supC.id]))
    for (const r of [first, second])
      await runCommand(t.app.deps, requester.actor, (ctx) => cancelRequest(ctx, r.request.id, { reason: 'test done' }))
  })
})

describe('deciding', () => {
  let r: RequestRecord
  beforeAll(async () => {
    r = (await fileReclaim()).request
  })

  it.each([
    ['its own requester', () => requester, 'own_request', 'own_request_approval'],
    ['a supervisor of the requester’s shop', () => sameShop, 'same_shop', 'approval_refused'],
    ['a compliance officer (wrong role)', () => compliance, 'wrong_role', 'approval_refused'],
    ['an eligible supervisor it is not assigned to', () => notAssignee(r), 'not_assignee', 'approval_refused'],
  ])('is refused to %s, with a risk alert naming them', async (_who, who, reason, alertKind) => {
    const err = await approve(who(), r).catch((e) => e)
    expect(err).toMatchObject({ code: 'approver_not_eligible', status: 403, details: { reason } })
    expect(await alertOf(err)).toEqual({ kind: alertKind, severity: 'risk', staff_id: who().id })
  })

  it('refuses an approval of another payload hash, with an alert', async () => {
    const err = await approve(assignee(r), r, 'a'.repeat(64)).catch((e) => e)
    expect(err).toMatchObject({ code: 'payload_mismatch', status: 409 })
    expect(await alertOf(err)).toMatchObject({ kind: 'approval_payload_mismatch', staff_id: assignee(r).id })
  })

  it('is refused by the database too when someone but the assignee inserts an approval', async () => {
    await expect(
      sql`INSERT INTO request_approvals (request_id, approver_id, payload_sha256, decision, decided_at)
          VALUES (${r.id}, ${notAssignee(r).id}, ${r.payload_sha256}, 'approved', now())`.execute(t.app.db),
    ).rejects.toMatchObject({ code: 'NG007' })
  })

  it('lets the assignee reject it; a rejected request never executes', async () => {
    const rejected = await runCommand(t.app.deps, assignee(r).actor, (ctx) =>
      rejectRequest(ctx, r.id, { reason: 'customer left' }),
    )
    expect(rejected).toMatchObject({ status: 'rejected', outcome: { reason: 'customer left' } })
    await expect(execute(r)).rejects.toMatchObject({ code: 'request_not_open' })
    await expect(approve(assignee(r), r)).rejects.toMatchObject({ code: 'request_not_open' })
  })
})

describe('duplicates and expiry', () => {
  it('refuses a second open reclaim on the number, then allows one once the first has expired', async () => {
    const { held, request } = await fileReclaim()
    const dup = await fileReclaim(held).catch((e) => e)
    expect(dup).toMatchObject({ code: 'duplicate_request', details: { request_id: request.id } })

    t.clock.advance(REQUEST_TABLE.reclaim.expiresAfterHours * 3_600_000)
    await expect(approve(assignee(request), request)).rejects.toMatchObject({ code: 'request_expired' })
    const listed = await listRequests(t.app.db, {
      status: 'expired',
      msisdn: held.msisdn,
      now: t.clock.now(),
      limit: 5,
    })
    expect(listed.map((x) => x.id)).toEqual([request.id])

    const next = await fileReclaim(held)
    expect(next.request.id).not.toBe(request.id)
    const old = await t.app.db
      .selectFrom('requests')
      .select('status')
      .where('id', '=', request.id)
      .executeTakeFirstOrThrow()
    expect(old.status).toBe('expired')
    await runCommand(t.app.deps, requester.actor, (ctx) => cancelRequest(ctx, next.request.id, { reason: 'test done' }))
  })
})

describe('execution', () => {
  it('checks the approver again: one suspended since approving voids the approval', async () => {
    const { request } = await fileReclaim()
    const approver = assignee(request)
    await approve(approver, request)
    await setStatus(approver.id, 'suspended')
    try {
      const err = await execute(request).catch((e) => e)
      expect(err).toMatchObject({ code: 'approval_no_longer_valid', status: 409 })
      expect((await alertOf(err)).kind).toBe('execution_refused')
    } finally {
      await setStatus(approver.id, 'active')
    }
    const done = await execute(request)
    expect(done.request.status).toBe('executed')
  })

  it('is the requester’s: nobody else executes it', async () => {
    const { request } = await fileReclaim()
    await approve(assignee(request), request)
    const err = await runCommand(t.app.deps, supB.actor, (ctx) => executeRequest(ctx, request.id)).catch((e) => e)
    expect(err).toMatchObject({ code: 'forbidden' })
  })

  it('has no approver to assign when every supervisor of another shop is suspended', async () => {
    await setStatus(supB.id, 'suspended')
    await setStatus(supC.id, 'suspended')
    try {
      const err = await fileReclaim().catch((e) => e)
      expect(err).toMatchObject({ code: 'no_eligible_approver', status: 409 })
    } finally {
      await setStatus(supB.id, 'active')
      await setStatus(supC.id, 'active')
    }
  })
})

describe('the request table', () => {
  it('covers every kind the database knows, with the approver columns of request_kind_rules', async () => {
    const rows = await t.app.db.selectFrom('request_kind_rules').selectAll().orderBy('kind').execute()
    expect(rows.map((r) => r.kind)).toEqual([...REQUEST_KINDS].sort())
    for (const row of rows) {
      const rule = REQUEST_TABLE[row.kind as keyof typeof REQUEST_TABLE]
      expect({ kind: row.kind, approver_role: rule.approverRole, other_shop: rule.approverOtherShop }).toEqual({
        kind: row.kind,
        approver_role: row.approver_role,
        other_shop: row.other_shop,
      })
      expect(rule.consents.some((c) => c.method === 'mo_code')).toBe(row.needs_consent)
    }
  })
})

async function setStatus(staffId: string, status: 'active' | 'suspended') {
  await runCommand(t.app.deps, SYSTEM, async (ctx) => {
    await ctx.tx.updateTable('staff').set({ status, updated_at: ctx.now }).where('id', '=', staffId).execute()
    return audited(null, [await recordAudit(ctx, { action: 'staff.created', after: { staff_id: staffId, status } })])
  })
}
