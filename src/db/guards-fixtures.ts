// Fixtures of the database-guard tests (guards.test.ts, audit-guards.test.ts): raw SQL as the application role.
import { randomUUID } from 'node:crypto'
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely'
import { afterAll, beforeAll } from 'vitest'
import { openTestDatabase } from '../../test/helpers/db.ts'
import type { Database } from './handle.ts'
import type { DB } from './types.ts'

/** The database the guard tests attack, and the parents their rows need; set by setUpGuardDatabase(). */
export const g = {} as {
  database: Database
  db: Kysely<DB>
  /** An agent of guards-shop: the requester. */
  staffId: string
  /** A supervisor of another shop and a compliance officer: the approvers. */
  supervisorId: string
  complianceId: string
  rangeId: string
}
let numberSeq = 0
/** A number of the fixture range not used yet. */
export const nextMsisdn = () => `+85512000${String(++numberSeq).padStart(3, '0')}`

export type Tx = Transaction<DB>

/** The smallest audit record the g.database accepts; its txid is a lie the trigger corrects. */
export const writeAudit = (tx: Tx) =>
  sql`INSERT INTO audit_records (event_id, txid, recorded_at, action, envelope) VALUES (gen_random_uuid(), 0, now(), 'test', '{}')`.execute(
    tx,
  )

/** Runs `work` in one transaction, with an audit record written in it unless told otherwise. */
export async function inTransaction(
  work: (tx: Tx) => Promise<unknown>,
  options: { audit?: boolean } = {},
): Promise<void> {
  await g.db.transaction().execute(async (tx) => {
    await work(tx)
    if (options.audit !== false) await writeAudit(tx)
  })
}

export const run = (statement: RawBuilder<unknown>, options: { audit?: boolean } = {}) =>
  inTransaction((tx) => statement.execute(tx), options)

export async function numberState(msisdn: string): Promise<string> {
  const { rows } = await sql<{ state: string }>`SELECT state FROM numbers WHERE msisdn = ${msisdn}`.execute(g.db)
  return rows[0].state
}

export async function openCustodies(msisdn: string): Promise<number> {
  const { rows } = await sql<{
    n: number
  }>`SELECT count(*)::int AS n FROM custodies WHERE msisdn = ${msisdn} AND ended_at IS NULL`.execute(g.db)
  return rows[0].n
}

export async function newNumber(state: 'available' | 'retired' = 'available'): Promise<string> {
  const msisdn = nextMsisdn()
  await run(
    sql`INSERT INTO numbers (msisdn, range_id, category, state, state_changed_at) VALUES (${msisdn}, ${g.rangeId}, 'standard', ${state}, now())`,
  )
  return msisdn
}

export async function newSubscriber(): Promise<string> {
  const id = randomUUID()
  await sql`INSERT INTO subscribers (id, party_kind, account_type, name, kyc_doc_kind, kyc_doc_hash, kyc_doc_last4, language, created_at)
            VALUES (${id}, 'person', 'prepaid', 'Test Holder', 'national_id', ${`hash-${id}`}, '1234', 'km', now())`.execute(
    g.db,
  )
  return id
}

export const insertSaleCustody = (tx: Tx, msisdn: string, subscriberId: string, id = randomUUID()) =>
  sql`INSERT INTO custodies (id, msisdn, subscriber_id, basis, started_at) VALUES (${id}, ${msisdn}, ${subscriberId}, 'sale', now())`.execute(
    tx,
  )

/** An active number held by a new subscriber, sold the way sellNumber does it (custody first, then the state). */
export async function heldNumber(): Promise<{ msisdn: string; custodyId: string; subscriberId: string }> {
  const msisdn = await newNumber()
  const subscriberId = await newSubscriber()
  const custodyId = randomUUID()
  await inTransaction(async (tx) => {
    await insertSaleCustody(tx, msisdn, subscriberId, custodyId)
    await sql`UPDATE numbers SET state = 'active', state_changed_at = now() WHERE msisdn = ${msisdn}`.execute(tx)
  })
  return { msisdn, custodyId, subscriberId }
}

/** Who approves which kind in these tests: a supervisor of another shop, or a compliance officer. */
const COMPLIANCE_KINDS = [
  'legal_order',
  'restoration',
  'hold_release',
  'policy_change',
  'retirement',
  'migration_batch',
  'role_grant',
  'credential_reset',
]

/** A request brought to `status` the lawful way: born pending, approved by the right other person, then executed. */
export async function newRequest(
  msisdn: string | null,
  kind: string,
  status: 'pending' | 'approved' | 'executed',
): Promise<string> {
  const id = randomUUID()
  const payloadSha256 = 'a'.repeat(64)
  await run(sql`
    INSERT INTO requests (id, kind, msisdn, status, payload, payload_sha256, requested_by, requested_at, expires_at)
    VALUES (${id}, ${kind}, ${msisdn}, 'pending', '{}', ${payloadSha256}, ${g.staffId}, now(), now() + interval '7 days')`)
  if (status === 'pending') return id
  const approver = COMPLIANCE_KINDS.includes(kind) ? g.complianceId : g.supervisorId
  await run(sql`INSERT INTO request_approvals (request_id, approver_id, payload_sha256, decision, decided_at)
                VALUES (${id}, ${approver}, ${payloadSha256}, 'approved', now())`)
  await run(sql`UPDATE requests SET status = 'approved', decided_at = now() WHERE id = ${id}`)
  if (status === 'executed')
    await run(sql`UPDATE requests SET status = 'executed', executed_at = now() WHERE id = ${id}`)
  return id
}

/** A migration batch, executed (when asked) on its own executed migration_batch request. */
export async function newMigrationBatch(status: 'pending' | 'executed'): Promise<string> {
  const id = randomUUID()
  const requestId = await newRequest(null, 'migration_batch', status === 'executed' ? 'executed' : 'pending')
  await run(sql`
    INSERT INTO migration_batches (id, source, status, input_sha256, request_id, created_at)
    VALUES (${id}, 'legacy-bss', 'pending', ${'b'.repeat(64)}, ${requestId}, now())`)
  if (status === 'executed')
    await run(sql`UPDATE migration_batches SET status = 'executed', executed_at = now() WHERE id = ${id}`)
  return id
}

export const closedMigrationCustody = (
  msisdn: string,
  subscriberId: string,
  batchId: string,
  from: string,
  to: string,
) => sql`
  INSERT INTO custodies (id, msisdn, subscriber_id, basis, migration_batch_id, started_at, ended_at, end_reason)
  VALUES (${randomUUID()}, ${msisdn}, ${subscriberId}, 'migration', ${batchId}, ${from}::timestamptz, ${to}::timestamptz, 'migration')`

/** Opens the test database for a guard test file and creates the shop, staff member and range rows need. */
export function setUpGuardDatabase(): void {
  beforeAll(async () => {
    g.database = await openTestDatabase()
    g.db = g.database.db
    g.staffId = randomUUID()
    g.rangeId = randomUUID()
    await sql`INSERT INTO shops (id, name, created_at) VALUES ('guards-shop', 'Guards shop', now())`.execute(g.db)
    g.supervisorId = randomUUID()
    g.complianceId = randomUUID()
    await sql`INSERT INTO shops (id, name, created_at) VALUES ('guards-shop-2', 'Another shop', now())`.execute(g.db)
    await run(sql`
    INSERT INTO staff (id, username, display_name, password_hash, roles, shop_id, created_at, updated_at) VALUES
      (${g.staffId}, 'guards.agent', 'Guards agent', 'x', ARRAY['agent'], 'guards-shop', now(), now()),
      (${g.supervisorId}, 'guards.supervisor', 'Guards supervisor', 'x', ARRAY['supervisor'], 'guards-shop-2', now(), now()),
      (${g.complianceId}, 'guards.compliance', 'Guards compliance', 'x', ARRAY['compliance_officer'], NULL, now(), now())`)
    await run(sql`
    INSERT INTO number_ranges (id, first_msisdn, last_msisdn, first_value, last_value, size, category, input_sha256, imported_at)
    VALUES (${g.rangeId}, '+85512000000', '+85512000999', 85512000000, 85512000999, 1000, 'standard', ${'c'.repeat(64)}, now())`)
  })
  afterAll(async () => {
    await g.database?.close()
  })
}
