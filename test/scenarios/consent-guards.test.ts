// The database's last guard over consent (migration 013), in raw SQL as the application role: a consent kind
// executes only on its recorded consents, a code consent only from the number itself, never before its wait.
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { g, heldNumber, newRequest, run, setUpGuardDatabase, storedCodeReply } from '../../src/db/guards-fixtures.ts'

setUpGuardDatabase()

const consent = (requestId: string, party: string, method: string, evidence: object) =>
  run(sql`INSERT INTO request_consents (id, request_id, party, method, recorded_at, evidence)
          VALUES (${randomUUID()}, ${requestId}, ${party}, ${method}, now(), ${JSON.stringify(evidence)})`)
const execute = (id: string) => run(sql`UPDATE requests SET status = 'executed', executed_at = now() WHERE id = ${id}`)

describe('consent kinds', () => {
  it('an approved transfer does not execute without both holders’ consent (NG007)', async () => {
    const { msisdn } = await heldNumber()
    const id = await newRequest(msisdn, 'transfer', 'approved')
    await expect(execute(id)).rejects.toMatchObject({ code: 'NG007' })
    await consent(id, 'new_holder', 'id_check', { staff_id: g.staffId })
    await expect(execute(id)).rejects.toMatchObject({ code: 'NG007' })
    await consent(id, 'holder', 'mo_code', await storedCodeReply(id, msisdn))
    await execute(id)
    const { rows } = await sql<{ status: string }>`SELECT status FROM requests WHERE id = ${id}`.execute(g.db)
    expect(rows[0].status).toBe('executed')
  })

  it('a code consent is refused unless it came from the number itself (NG007)', async () => {
    const { msisdn } = await heldNumber()
    const id = await newRequest(msisdn, 'termination', 'pending')
    await expect(consent(id, 'holder', 'mo_code', { mo_id: randomUUID(), from: '+85599999999' })).rejects.toMatchObject(
      {
        code: 'NG007',
      },
    )
    await expect(consent(id, 'holder', 'mo_code', { from: msisdn })).rejects.toMatchObject({ code: 'NG007' })
  })

  it('a kind with no approver is approved only by the holder’s consent, which is never changed (NG007)', async () => {
    const { msisdn } = await heldNumber()
    const id = await newRequest(msisdn, 'sim_swap', 'pending')
    const approveIt = sql`UPDATE requests SET status = 'approved', decided_at = now() WHERE id = ${id}`
    await expect(run(approveIt)).rejects.toMatchObject({ code: 'NG007' })
    await consent(id, 'holder', 'mo_code', await storedCodeReply(id, msisdn))
    await run(approveIt)
    // The application role may not even try: no UPDATE grant on recorded consents (and a trigger behind that).
    await expect(
      run(sql`UPDATE request_consents SET party = 'new_holder' WHERE request_id = ${id}`),
    ).rejects.toMatchObject({ code: '42501' })
  })

  it('no request has its waiting time shortened after filing (NG007)', async () => {
    const id = await newRequest(null, 'retirement', 'pending')
    await expect(
      run(sql`UPDATE requests SET not_before = now() + interval '1 day' WHERE id = ${id}`),
    ).rejects.toMatchObject({ code: 'NG007' })
  })

  it('a consent without its audit record does not commit (NG001)', async () => {
    const { msisdn } = await heldNumber()
    const id = await newRequest(msisdn, 'termination', 'pending')
    const evidence = await storedCodeReply(id, msisdn)
    await expect(
      run(
        sql`INSERT INTO request_consents (id, request_id, party, method, recorded_at, evidence)
            VALUES (${randomUUID()}, ${id}, 'holder', 'mo_code', now(), ${JSON.stringify(evidence)})`,
        { audit: false },
      ),
    ).rejects.toMatchObject({ code: 'NG001' })
  })
})
