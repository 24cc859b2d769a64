// The database checks the recycling chain, not only the row (issue 10 item 3, migration 031): raw SQL run as the
// application role cannot end a custody for inactivity without its cycle's withdrawal decision borne out by the
// warning, receipt, activity and feed rows, nor return a number to the pool before its aging floor, nor pass a number
// through aging within one transaction. Each refusal sits beside the lawful path that still commits.
// Runs on both suites (PGlite and PostgreSQL): nothing here needs a second connection.
import { randomUUID } from 'node:crypto'
import { sql, type Transaction } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isPostgresSuite } from '../../test/helpers/db.ts'
import { type Harness, numberState, openHarness, walkToWithdrawalDay } from '../../test/scenarios/recycling-harness.ts'
import { g, heldNumber, inTransaction, newNumber, setUpGuardDatabase, writeAudit } from './guards-fixtures.ts'
import type { DB } from './types.ts'

const refused = { code: 'NG031' }

async function custodyOf(h: Harness, id: string) {
  return h.t.app.db.selectFrom('custodies').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
}

async function stranger(tx: Transaction<DB>): Promise<string> {
  const id = randomUUID()
  await sql`INSERT INTO subscribers (id, party_kind, account_type, name, kyc_doc_kind, kyc_doc_hash, kyc_doc_last4, language, created_at)
            VALUES (${id}, 'person', 'prepaid', 'A Stranger', 'national_id', ${`hash-${id}`}, '9999', 'en', now())`.execute(
    tx,
  )
  return id
}

/** The incident, exactly: holder's custody ended for inactivity, active → aging → available → active, a sale custody
 * for a stranger, one audit row of any content; all in one transaction, at the injected clock's instant. */
function replayIncident(h: Harness, sold: { msisdn: string; custodyId: string }) {
  const at = h.t.clock.now()
  return h.t.app.db.transaction().execute(async (tx) => {
    await sql`UPDATE custodies SET ended_at = ${at}, end_reason = 'inactivity' WHERE id = ${sold.custodyId}`.execute(tx)
    await sql`UPDATE numbers SET state = 'aging', state_changed_at = ${at} WHERE msisdn = ${sold.msisdn}`.execute(tx)
    await sql`UPDATE numbers SET state = 'available', state_changed_at = ${at} WHERE msisdn = ${sold.msisdn}`.execute(
      tx,
    )
    const buyer = await stranger(tx)
    await sql`INSERT INTO custodies (id, msisdn, subscriber_id, basis, started_at)
              VALUES (${randomUUID()}, ${sold.msisdn}, ${buyer}, 'sale', ${at})`.execute(tx)
    await sql`UPDATE numbers SET state = 'active', state_changed_at = ${at} WHERE msisdn = ${sold.msisdn}`.execute(tx)
    await writeAudit(tx)
  })
}

/** Ends the custody for inactivity now and ages its number, after `before` (a forged decision, a usage event…). */
function endForInactivity(
  h: Harness,
  sold: { msisdn: string; custodyId: string },
  before: (tx: Transaction<DB>, at: Date) => Promise<unknown> = async () => {},
  at = h.t.clock.now(),
) {
  return h.t.app.db.transaction().execute(async (tx) => {
    await before(tx, at)
    await sql`UPDATE custodies SET ended_at = ${at}, end_reason = 'inactivity' WHERE id = ${sold.custodyId}`.execute(tx)
    await sql`UPDATE numbers SET state = 'aging', state_changed_at = ${at} WHERE msisdn = ${sold.msisdn}`.execute(tx)
    await writeAudit(tx)
  })
}

describe(`the incident replayed in raw SQL as the application role (${isPostgresSuite() ? 'postgres' : 'pglite'})`, () => {
  let h: Harness
  let sold: Awaited<ReturnType<Harness['sell']>>
  let warnings: string[]
  beforeAll(async () => {
    h = await openHarness()
    sold = await h.sell()
  })
  afterAll(async () => h?.close())

  it('runs as the application role', async () => {
    const { rows } = await sql<{ role: string }>`SELECT current_user AS role`.execute(h.t.app.db)
    expect(rows[0].role).toBe('numguard_app')
  })

  it('is refused in one transaction on day 10 and leaves the holder holding', async () => {
    h.at(10)
    await expect(replayIncident(h, sold)).rejects.toMatchObject(refused)
    expect(await numberState(h, sold.msisdn)).toBe('active')
    expect((await custodyOf(h, sold.custodyId)).ended_at).toBeNull()
  })

  it('is refused on day 90 too, with every warning evidenced: no withdrawal decision was taken', async () => {
    await walkToWithdrawalDay(h)
    h.at(90, '08:00')
    await h.heartbeat()
    const rows = await h.t.app.db
      .selectFrom('recycling_notices')
      .select('notice_id')
      .where('custody_id', '=', sold.custodyId)
      .where('purpose', '=', 'inactivity_warning')
      .orderBy('stage')
      .execute()
    warnings = rows.map((r) => r.notice_id)
    expect(warnings).toHaveLength(3)
    await expect(replayIncident(h, sold)).rejects.toMatchObject(refused)
    await expect(endForInactivity(h, sold)).rejects.toThrow(/has no withdrawal decision/)
    // Suspended since day 60 (outgoing barred), still the holder's.
    expect(await numberState(h, sold.msisdn)).toBe('suspended')
    expect((await custodyOf(h, sold.custodyId)).ended_at).toBeNull()
  })

  describe('a withdrawal decision written by hand is checked against the rows', () => {
    const decide = (tx: Transaction<DB>, at: Date, ids: string[], lastFinalAt?: Date) =>
      sql`INSERT INTO withdrawal_decisions (custody_id, msisdn, cycle_no, policy_version, decided_at, warning_notice_ids,
                                            last_final_at, feed_sources)
          SELECT ${sold.custodyId}::uuid, ${sold.msisdn}, 1, 1, ${at}::timestamptz, ${ids}::uuid[],
                 coalesce(${lastFinalAt ?? null}::timestamptz, max(n.last_final_at)), ARRAY['charging']
            FROM sms_notices n WHERE n.id = ANY (${warnings}::uuid[])`.execute(tx)

    it('refuses one that leaves out a warning', async () => {
      await expect(endForInactivity(h, sold, (tx, at) => decide(tx, at, warnings.slice(0, 2)))).rejects.toThrow(
        /does not name the warnings/,
      )
    })

    it('refuses one that claims older receipts than the rows hold', async () => {
      await expect(
        endForInactivity(h, sold, (tx, at) => decide(tx, at, warnings, new Date(at.getTime() - 30 * 86_400_000))),
      ).rejects.toThrow(/does not name the warnings and receipts/)
    })

    it("refuses one taken before the last warning's final receipt was 5 days old (day 90, 00:00)", async () => {
      const early = h.instant(90, '00:00')
      await expect(endForInactivity(h, sold, (tx, at) => decide(tx, at, warnings), early)).rejects.toThrow(
        /final receipt is less than 5 days old/,
      )
    })

    it('refuses it with usage in the veto period', async () => {
      await expect(
        endForInactivity(h, sold, async (tx, at) => {
          await sql`INSERT INTO activity_events (source, external_id, msisdn, kind, occurred_at, received_at, batch_id, custody_id)
                    VALUES ('charging', ${randomUUID()}, ${sold.msisdn}, 'usage', ${new Date(at.getTime() - 86_400_000)},
                            ${at}, ${randomUUID()}, ${sold.custodyId})`.execute(tx)
          await decide(tx, at, warnings)
        }),
      ).rejects.toThrow(/usage in the veto period/)
    })

    it('refuses it while the charging feed is silent', async () => {
      await expect(
        endForInactivity(h, sold, async (tx, at) => {
          await sql`UPDATE activity_sources SET last_received_at = ${new Date(at.getTime() - 7 * 3_600_000)}`.execute(
            tx,
          )
          await decide(tx, at, warnings)
        }),
      ).rejects.toThrow(/charging feed is not healthy/)
    })

    it('refuses one whose cycle was moved back to reach day 90 early', async () => {
      await expect(
        endForInactivity(h, sold, async (tx, at) => {
          await sql`UPDATE recycling_state SET cycle_started_at = cycle_started_at - interval '30 days'
                     WHERE custody_id = ${sold.custodyId}`.execute(tx)
          await decide(tx, at, warnings)
        }),
      ).rejects.toThrow(/cycle starts before its custody/)
    })
  })

  it('commits the lawful withdrawal of the sweep on day 90, which records the decision it relied on', async () => {
    expect((await h.sweep()).outcomes.withdrawn).toBe(1)
    expect(await numberState(h, sold.msisdn)).toBe('aging')
    const custody = await custodyOf(h, sold.custodyId)
    expect(custody.end_reason).toBe('inactivity')
    const { rows } = await sql<{
      decided_at: Date
      warning_notice_ids: string[]
      feed_sources: string[]
      cycle_no: number
    }>`SELECT decided_at, warning_notice_ids, feed_sources, cycle_no FROM withdrawal_decisions
        WHERE custody_id = ${sold.custodyId}`.execute(h.t.app.db)
    expect(rows).toHaveLength(1)
    expect(new Date(rows[0].decided_at)).toEqual(new Date(custody.ended_at as Date))
    expect([...rows[0].warning_notice_ids].sort()).toEqual([...warnings].sort())
    expect(rows[0]).toMatchObject({ feed_sources: ['charging'], cycle_no: 1 })
  })

  it('refuses the number leaving aging before its floor (day 179), then ages it out lawfully on day 180', async () => {
    const leave = (at: Date) =>
      h.t.app.db.transaction().execute(async (tx) => {
        await sql`UPDATE numbers SET state = 'available', state_changed_at = ${at} WHERE msisdn = ${sold.msisdn}`.execute(
          tx,
        )
        await writeAudit(tx)
      })
    h.at(91)
    await expect(leave(h.t.clock.now())).rejects.toMatchObject(refused)
    h.at(179, '23:59')
    await expect(leave(h.t.clock.now())).rejects.toThrow(/may not leave aging before 90 days/)
    expect(await numberState(h, sold.msisdn)).toBe('aging')
    h.at(180, '00:00')
    expect((await h.sweep()).outcomes.aged_out).toBe(1)
    expect(await numberState(h, sold.msisdn)).toBe('available')
  })
})

describe('no number passes through aging within one transaction', () => {
  setUpGuardDatabase()
  const throughAging = (msisdn: string, custodyId: string) => [
    sql`UPDATE custodies SET ended_at = now(), end_reason = 'termination' WHERE id = ${custodyId}`,
    sql`UPDATE numbers SET state = 'aging', state_changed_at = now() WHERE msisdn = ${msisdn}`,
    // Even dated past the floor: the floor is counted between transactions, never within one.
    sql`UPDATE numbers SET state = 'available', state_changed_at = now() + interval '400 days' WHERE msisdn = ${msisdn}`,
  ]

  it('refuses active → aging → available in one transaction, savepoints or not; commits the first step alone', async () => {
    const { msisdn, custodyId } = await heldNumber()
    await expect(
      inTransaction(async (tx) => {
        for (const s of throughAging(msisdn, custodyId)) await s.execute(tx)
      }),
    ).rejects.toThrow(/entered aging in this transaction/)
    await expect(
      inTransaction(async (tx) => {
        const [end, age, leave] = throughAging(msisdn, custodyId)
        await sql`SAVEPOINT aging`.execute(tx)
        await end.execute(tx)
        await age.execute(tx)
        await sql`RELEASE SAVEPOINT aging`.execute(tx)
        await leave.execute(tx)
      }),
    ).rejects.toMatchObject(refused)
    const [end, age] = throughAging(msisdn, custodyId)
    await inTransaction(async (tx) => {
      await end.execute(tx)
      await age.execute(tx)
    })
    const { rows } = await sql<{ state: string }>`SELECT state FROM numbers WHERE msisdn = ${msisdn}`.execute(g.db)
    expect(rows[0].state).toBe('aging')
  })

  it.each([
    ['available', 'aging'],
    ['available', 'suspended'],
    ['active', 'available'],
    ['retired', 'available'],
    ['active', 'retired'],
  ])('refuses %s → %s, a move the lifecycle table does not allow (NG003)', async (from, to) => {
    const msisdn = from === 'active' ? (await heldNumber()).msisdn : await newNumber(from as 'available' | 'retired')
    await expect(
      inTransaction((tx) => sql`UPDATE numbers SET state = ${to} WHERE msisdn = ${msisdn}`.execute(tx)),
    ).rejects.toMatchObject({ code: 'NG003' })
  })
})
