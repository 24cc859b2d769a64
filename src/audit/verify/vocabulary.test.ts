// The verifier keeps its own copy of numguard's rules (it ships without src/domain and the database): these tests
// keep the copies in step with the request table in src/domain, the database's request_kind_rules and the actions.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestDatabase } from '../../../test/helpers/db.ts'
import type { Database } from '../../db/handle.ts'
import { ACTIONS } from '../../domain/actions.ts'
import { REQUEST_TABLE } from '../../domain/requests.ts'
import { REQUEST_KINDS, RULE_ACTIONS } from './vocabulary.ts'

/** Actions the access issue (4) will add; the verifier already checks them when they appear. */
const ISSUE_4_ACTIONS = ['staff.suspended', 'request.consent_recorded']

let database: Database
beforeAll(async () => {
  database = await openTestDatabase()
})
afterAll(async () => {
  await database?.close()
})

describe('the verifier vocabulary', () => {
  it('has the request table of src/domain: approver role, other shop, consent by the holder’s MO reply', () => {
    const domain = Object.fromEntries(
      Object.values(REQUEST_TABLE).map((r) => [
        r.kind,
        {
          approverRole: r.approverRole,
          otherShop: r.approverOtherShop,
          needsConsent: r.consents.some((c) => c.method === 'mo_code'),
        },
      ]),
    )
    expect(REQUEST_KINDS).toEqual(domain)
  })

  it("has the database's request_kind_rules", async () => {
    const { rows } = await sql<{
      kind: string
      approver_role: string | null
      other_shop: boolean
      needs_consent: boolean
    }>`
      SELECT kind, approver_role, other_shop, needs_consent FROM request_kind_rules`.execute(database.db)
    const table = Object.fromEntries(
      rows.map((r) => [
        r.kind,
        { approverRole: r.approver_role, otherShop: r.other_shop, needsConsent: r.needs_consent },
      ]),
    )
    expect(REQUEST_KINDS).toEqual(table)
  })

  it('reads only actions numguard records (or the access issue will)', () => {
    const known = [...Object.keys(ACTIONS), ...ISSUE_4_ACTIONS]
    expect(Object.values(RULE_ACTIONS).filter((a) => !known.includes(a))).toEqual([])
  })
})
