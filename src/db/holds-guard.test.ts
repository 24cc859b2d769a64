// Invariant 3 in the database (issue 11, migration 042): while a hold is active, raw SQL as the application role
// changes nothing about the number's custody, SIM or state, and executes no request on it — per kind of change —
// except what the restoration of the hold's own case does in its own transaction. A restoration goes only to a
// former custody of the number that its case names; a hold is released only by its executed hold_release request.
// Every refused statement is first shown to commit without the hold (or with the right ground): the positive
// controls. Runs on both suites: nothing here needs a second connection.
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import {
  closedMigrationCustody,
  g,
  inTransaction,
  newMigrationBatch,
  newNumber,
  newRequest,
  newSubscriber,
  run,
  setUpGuardDatabase,
} from './guards-fixtures.ts'

setUpGuardDatabase()

const onHold = { code: 'NG042' }
let simSeq = 0
const iccid = () => `89855042${String(++simSeq).padStart(11, '0')}`

async function newSim(): Promise<string> {
  const id = iccid()
  await run(
    sql`INSERT INTO sims (iccid, imsi, state, imported_at) VALUES (${id}, ${`45606${id.slice(-10)}`}, 'bound', now())`,
  )
  return id
}

/** A case about `msisdn` (an investigation, owned by the compliance officer when asked). */
async function newCase(msisdn: string, owner: string | null = null): Promise<{ id: string; reference: string }> {
  const id = randomUUID()
  const reference = `KH-TEST-${id.slice(0, 8)}`
  await run(sql`
    INSERT INTO cases (id, reference, kind, category, description, status, market, opened_by, opened_at, owner_id,
                       hold_due_at, first_response_due_at, resolution_due_at)
    VALUES (${id}, ${reference}, 'investigation', 'number_taken', 'test', 'open', 'KH', ${g.complianceId}, now(),
            ${owner}, now() + interval '1 day', now() + interval '2 days', now() + interval '30 days')`)
  await run(sql`INSERT INTO case_numbers (case_id, msisdn) VALUES (${id}, ${msisdn})`)
  return { id, reference }
}

async function placeHold(caseId: string, msisdn: string): Promise<string> {
  const id = randomUUID()
  await run(sql`INSERT INTO holds (id, msisdn, case_id, placed_by, placed_at, reason)
                VALUES (${id}, ${msisdn}, ${caseId}, ${g.complianceId}, now(), 'test hold')`)
  return id
}

/**
 * A number a former holder lost: their (migrated) custody ended a month ago; a new holder holds it now with a SIM.
 * The case names the former custody.
 */
async function takenNumber() {
  const held = await heldNumberWithFormer()
  const sim = await newSim()
  const bindingId = randomUUID()
  await run(sql`INSERT INTO sim_bindings (id, msisdn, iccid, custody_id, started_at)
                VALUES (${bindingId}, ${held.msisdn}, ${sim}, ${held.custodyId}, now())`)
  const c = await newCase(held.msisdn)
  await run(sql`INSERT INTO case_links (case_id, link_kind, ref_id, linked_at)
                VALUES (${c.id}, 'custody', ${held.formerCustodyId}, now())`)
  return { ...held, bindingId, sim, case: c }
}

async function heldNumberWithFormer() {
  const batch = await newMigrationBatch('executed')
  const formerSubscriberId = await newSubscriber()
  // A number given a closed custody before today's holder buys it.
  const msisdn = await newNumber()
  await run(closedMigrationCustody(msisdn, formerSubscriberId, batch, '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'))
  const { rows } = await sql<{ id: string }>`SELECT id FROM custodies WHERE msisdn = ${msisdn}`.execute(g.db)
  const subscriberId = await newSubscriber()
  const custodyId = randomUUID()
  await inTransaction(async (tx) => {
    await sql`INSERT INTO custodies (id, msisdn, subscriber_id, basis, started_at)
              VALUES (${custodyId}, ${msisdn}, ${subscriberId}, 'sale', now())`.execute(tx)
    await sql`UPDATE numbers SET state = 'active', state_changed_at = now() WHERE msisdn = ${msisdn}`.execute(tx)
  })
  return { msisdn, custodyId, subscriberId, formerCustodyId: rows[0].id, formerSubscriberId }
}

/** A restoration request of the case, executed (approved by a compliance officer), with the payload the rules read. */
async function executedRestoration(t: Awaited<ReturnType<typeof takenNumber>>, rightful = t.formerCustodyId) {
  const id = randomUUID()
  const payload = {
    case_id: t.case.id,
    msisdn: t.msisdn,
    rightful_custody_id: rightful,
    wrongful_custody_id: t.custodyId,
  }
  await run(sql`
    INSERT INTO requests (id, kind, msisdn, status, payload, payload_sha256, requested_by, requested_at, expires_at)
    VALUES (${id}, 'restoration', ${t.msisdn}, 'pending', ${JSON.stringify(payload)}::jsonb,
            request_payload_sha256(${JSON.stringify(payload)}::jsonb), ${g.staffId}, now(), now() + interval '7 days')`)
  await run(sql`INSERT INTO request_approvals (request_id, approver_id, payload_sha256, decision, decided_at)
                SELECT ${id}, ${g.complianceId}, payload_sha256, 'approved', now() FROM requests WHERE id = ${id}`)
  await run(sql`UPDATE requests SET status = 'approved', decided_at = now() WHERE id = ${id}`)
  await run(sql`UPDATE requests SET status = 'executed', executed_at = now() WHERE id = ${id}`)
  return { id, payload }
}

/** The restoration's row changes in one transaction, as executeRestoration makes them. */
const restore = (t: Awaited<ReturnType<typeof takenNumber>>, requestId: string, to: string, withRow = true) =>
  inTransaction(async (tx) => {
    if (withRow)
      await sql`INSERT INTO restorations (request_id, case_id, msisdn, wrongful_custody_id, rightful_custody_id)
                VALUES (${requestId}, ${t.case.id}, ${t.msisdn}, ${t.custodyId}, ${t.formerCustodyId})`.execute(tx)
    await sql`UPDATE sim_bindings SET ended_at = now(), end_reason = 'custody_ended' WHERE id = ${t.bindingId}`.execute(
      tx,
    )
    await sql`UPDATE custodies SET ended_at = now(), end_reason = 'restored_to_rightful_holder'
               WHERE id = ${t.custodyId}`.execute(tx)
    await sql`INSERT INTO custodies (id, msisdn, subscriber_id, basis, request_id, started_at)
              VALUES (${randomUUID()}, ${t.msisdn}, ${to}, 'restoration', ${requestId}, now())`.execute(tx)
  })

const holderOf = async (msisdn: string) =>
  (
    await sql<{
      subscriber_id: string
    }>`SELECT subscriber_id FROM custodies WHERE msisdn = ${msisdn} AND ended_at IS NULL`.execute(g.db)
  ).rows[0]?.subscriber_id

describe('a held number, as the application role', () => {
  // Each change: [what it is, the statement]; each is first refused under the hold, then commits without it.
  const changes: [string, (t: Awaited<ReturnType<typeof takenNumber>>) => Promise<unknown>][] = [
    [
      'ending its SIM binding',
      (t) => run(sql`UPDATE sim_bindings SET ended_at = now(), end_reason = 'sim_lost' WHERE id = ${t.bindingId}`),
    ],
    [
      'binding another SIM (a swap)',
      async (t) => {
        const sim = await newSim()
        const swap = await newRequest(t.msisdn, 'sim_swap_lost', 'approved')
        return inTransaction(async (tx) => {
          await sql`UPDATE requests SET status = 'executed', executed_at = now() WHERE id = ${swap}`.execute(tx)
          await sql`UPDATE sim_bindings SET ended_at = now(), end_reason = 'sim_lost' WHERE id = ${t.bindingId}`.execute(
            tx,
          )
          await sql`INSERT INTO sim_bindings (id, msisdn, iccid, custody_id, request_id, started_at)
                    VALUES (${randomUUID()}, ${t.msisdn}, ${sim}, ${t.custodyId}, ${swap}, now())`.execute(tx)
        })
      },
    ],
    [
      'moving its state (active → suspended)',
      (t) => run(sql`UPDATE numbers SET state = 'suspended', state_changed_at = now() WHERE msisdn = ${t.msisdn}`),
    ],
    [
      'executing a request filed on it',
      async (t) => {
        const id = await newRequest(t.msisdn, 'legal_order', 'approved')
        return run(sql`UPDATE requests SET status = 'executed', executed_at = now() WHERE id = ${id}`)
      },
    ],
  ]

  for (const [what, change] of changes) {
    it(`refuses ${what} while the hold is active, and commits it once the hold is gone`, async () => {
      const held = await takenNumber()
      await placeHold(held.case.id, held.msisdn)
      await expect(change(held)).rejects.toMatchObject(onHold)
      const free = await takenNumber()
      await expect(change(free)).resolves.not.toThrow()
    })
  }

  it('refuses ending its custody while the hold is active (without it, only the commit-time chain checks refuse)', async () => {
    const end = (id: string) =>
      run(sql`UPDATE custodies SET ended_at = now(), end_reason = 'termination' WHERE id = ${id}`)
    const held = await takenNumber()
    await placeHold(held.case.id, held.msisdn)
    await expect(end(held.custodyId)).rejects.toMatchObject(onHold)
    // On a free number the same statement passes the hold and is refused at commit: the number would be active
    // without a custody (002's custody_number_held), a rule of its own.
    const free = await takenNumber()
    await expect(end(free.custodyId)).rejects.toMatchObject({ code: 'NG004' })
  })

  it('refuses selling it (a custody opens) while the hold is active, and sells it once the hold is gone', async () => {
    const sell = (msisdn: string, subscriberId: string) =>
      inTransaction(async (tx) => {
        await sql`INSERT INTO custodies (id, msisdn, subscriber_id, basis, started_at)
                  VALUES (${randomUUID()}, ${msisdn}, ${subscriberId}, 'sale', now())`.execute(tx)
        await sql`UPDATE numbers SET state = 'active', state_changed_at = now() WHERE msisdn = ${msisdn}`.execute(tx)
      })
    const held = await newNumber()
    await placeHold((await newCase(held)).id, held)
    await expect(sell(held, await newSubscriber())).rejects.toMatchObject(onHold)
    const free = await newNumber()
    await sell(free, await newSubscriber())
    expect(await holderOf(free)).toBeDefined()
  })

  it('lets a top-up reopen a suspended held number (no custody or SIM changes)', async () => {
    const t = await takenNumber()
    await run(sql`UPDATE numbers SET state = 'suspended', state_changed_at = now() WHERE msisdn = ${t.msisdn}`)
    await placeHold(t.case.id, t.msisdn)
    await run(sql`UPDATE numbers SET state = 'active', state_changed_at = now() WHERE msisdn = ${t.msisdn}`)
    await expect(run(sql`UPDATE numbers SET state = 'suspended' WHERE msisdn = ${t.msisdn}`)).rejects.toMatchObject(
      onHold,
    )
  })
})

describe('a hold', () => {
  it('is never deleted, and released only by an executed hold_release request naming it', async () => {
    const t = await takenNumber()
    const hold = await placeHold(t.case.id, t.msisdn)
    await expect(run(sql`DELETE FROM holds WHERE id = ${hold}`)).rejects.toBeDefined()
    const other = await newRequest(t.msisdn, 'legal_order', 'approved')
    await expect(
      run(sql`UPDATE holds SET released_at = now(), release_request_id = ${other} WHERE id = ${hold}`),
    ).rejects.toMatchObject(onHold)
    // A hold_release request of the hold, executed: the release commits, and the custody may change again.
    const payload = { hold_id: hold, case_id: t.case.id, msisdn: t.msisdn, reason: 'test' }
    const release = randomUUID()
    await run(sql`
      INSERT INTO requests (id, kind, msisdn, status, payload, payload_sha256, requested_by, requested_at, expires_at)
      VALUES (${release}, 'hold_release', ${t.msisdn}, 'pending', ${JSON.stringify(payload)}::jsonb,
              request_payload_sha256(${JSON.stringify(payload)}::jsonb), ${g.staffId}, now(), now() + interval '7 days')`)
    await run(sql`INSERT INTO request_approvals (request_id, approver_id, payload_sha256, decision, decided_at)
                  SELECT ${release}, ${g.complianceId}, payload_sha256, 'approved', now() FROM requests WHERE id = ${release}`)
    await run(sql`UPDATE requests SET status = 'approved', decided_at = now() WHERE id = ${release}`)
    await run(sql`UPDATE requests SET status = 'executed', executed_at = now() WHERE id = ${release}`)
    await run(sql`UPDATE holds SET released_at = now(), release_request_id = ${release} WHERE id = ${hold}`)
    await expect(
      run(sql`UPDATE holds SET released_at = now() + interval '1 day' WHERE id = ${hold}`),
    ).rejects.toMatchObject(onHold)
    await run(sql`UPDATE sim_bindings SET ended_at = now(), end_reason = 'sim_lost' WHERE id = ${t.bindingId}`)
  })

  it('is placed only on a number of its case', async () => {
    const t = await takenNumber()
    const elsewhere = await takenNumber()
    await expect(placeHold(t.case.id, elsewhere.msisdn)).rejects.toMatchObject(onHold)
  })
})

describe('a restoration', () => {
  it('passes under its own case’s hold: the wrongful custody ends, the former holder’s starts', async () => {
    const t = await takenNumber()
    await placeHold(t.case.id, t.msisdn)
    const r = await executedRestoration(t)
    await restore(t, r.id, t.formerSubscriberId)
    expect(await holderOf(t.msisdn)).toBe(t.formerSubscriberId)
  })

  it('is refused under its hold without its restorations row of the same transaction', async () => {
    const t = await takenNumber()
    await placeHold(t.case.id, t.msisdn)
    const r = await executedRestoration(t)
    await expect(restore(t, r.id, t.formerSubscriberId, false)).rejects.toMatchObject(onHold)
    expect(await holderOf(t.msisdn)).toBe(t.subscriberId)
  })

  it('is refused to someone who never held the number, even with no hold', async () => {
    const t = await takenNumber()
    const r = await executedRestoration(t)
    await expect(restore(t, r.id, await newSubscriber())).rejects.toMatchObject(onHold)
    expect(await holderOf(t.msisdn)).toBe(t.subscriberId)
  })

  it('is refused when the case does not name the rightful custody', async () => {
    const t = await takenNumber()
    // The former custody of another number's history is not this case's; nor is a custody the case never linked.
    const unnamed = await newCase(t.msisdn)
    const r = await executedRestoration({ ...t, case: unnamed })
    await expect(restore({ ...t, case: unnamed }, r.id, t.formerSubscriberId)).rejects.toMatchObject(onHold)
  })

  it('is refused under another case’s hold on the same number', async () => {
    const t = await takenNumber()
    await placeHold(t.case.id, t.msisdn)
    const r = await executedRestoration(t)
    const other = await newCase(t.msisdn)
    await placeHold(other.id, t.msisdn)
    await expect(restore(t, r.id, t.formerSubscriberId)).rejects.toMatchObject(onHold)
  })

  it('is not executed before it is approved, nor approved by the owner of its case', async () => {
    const t = await takenNumber()
    const owned = await newCase(t.msisdn, g.complianceId)
    const payload = { case_id: owned.id, msisdn: t.msisdn }
    const id = randomUUID()
    await run(sql`
      INSERT INTO requests (id, kind, msisdn, status, payload, payload_sha256, requested_by, requested_at, expires_at)
      VALUES (${id}, 'restoration', ${t.msisdn}, 'pending', ${JSON.stringify(payload)}::jsonb,
              request_payload_sha256(${JSON.stringify(payload)}::jsonb), ${g.staffId}, now(), now() + interval '7 days')`)
    await expect(
      run(sql`INSERT INTO restorations (request_id, case_id, msisdn, wrongful_custody_id, rightful_custody_id)
              VALUES (${id}, ${owned.id}, ${t.msisdn}, ${t.custodyId}, ${t.formerCustodyId})`),
    ).rejects.toMatchObject(onHold)
    await expect(
      run(sql`INSERT INTO request_approvals (request_id, approver_id, payload_sha256, decision, decided_at)
              SELECT ${id}, ${g.complianceId}, payload_sha256, 'approved', now() FROM requests WHERE id = ${id}`),
    ).rejects.toMatchObject(onHold)
  })
})

describe('a case', () => {
  it('keeps its identity and deadlines, and its status only moves forward', async () => {
    const t = await takenNumber()
    await expect(
      run(sql`UPDATE cases SET hold_due_at = hold_due_at + interval '1 day' WHERE id = ${t.case.id}`),
    ).rejects.toMatchObject(onHold)
    await run(sql`UPDATE cases SET status = 'investigating' WHERE id = ${t.case.id}`)
    await expect(run(sql`UPDATE cases SET status = 'open' WHERE id = ${t.case.id}`)).rejects.toMatchObject(onHold)
  })
})
