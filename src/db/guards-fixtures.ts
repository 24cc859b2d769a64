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

/** The smallest audit record the g.database accepts, of no particular change; its txid is a lie the trigger corrects. */
export const writeAnyLeaf = (tx: Tx) =>
  sql`INSERT INTO audit_records (event_id, txid, recorded_at, action, envelope) VALUES (gen_random_uuid(), 0, now(), 'test', '{}')`.execute(
    tx,
  )

/** The audit records of a lawful writer: a leaf describing each row change so far (describeChanges), and one more. */
export async function writeAudit(tx: Tx): Promise<void> {
  await describeChanges(tx)
  await writeAnyLeaf(tx)
}

/** The leaf a lawful writer records for each kind of staff change (migration 037's staff_leaf_needs.change). */
const STAFF_LEAF_ACTIONS: Record<string, string> = {
  created: 'staff.created',
  demo: 'staff.created',
  roles: 'staff.roles_granted',
  credentials: 'staff.credentials_reset',
}

/**
 * One leaf per row change the transaction made so far (migration 039), of an action allowed for it and naming its
 * row, as the lawful writer would record it. The pending changes are read as the owner (the application role may
 * not read them), then the transaction goes back to the application role.
 */
export async function describeChanges(tx: Tx): Promise<void> {
  const { rows } = await sql<{ role: string }>`SELECT current_user AS role`.execute(tx)
  await sql`SET LOCAL ROLE NONE`.execute(tx)
  const needs = await sql<{
    action: string | null
    msisdn: string | null
    request_id: string | null
    batch_id: string | null
  }>`
    SELECT DISTINCT (SELECT min(k.action) FROM row_leaf_kinds k WHERE k.tbl = n.tbl AND k.change = n.change) AS action,
           n.msisdn, n.request_id, n.batch_id
      FROM row_leaf_needs n WHERE n.txid = txid_current()`.execute(tx)
  // Staff rows (migration 037): a staff.* leaf naming each changed account.
  const staff = await sql<{
    staff_id: string
    change: string
  }>`SELECT staff_id, change FROM staff_leaf_needs WHERE txid = txid_current()`.execute(tx)
  await sql`SET LOCAL ROLE ${sql.id(rows[0].role)}`.execute(tx)
  for (const s of staff.rows) {
    const envelope = JSON.stringify({ data: { staff_id: s.staff_id } })
    await sql`INSERT INTO audit_records (event_id, txid, recorded_at, action, envelope)
              VALUES (gen_random_uuid(), 0, now(), ${STAFF_LEAF_ACTIONS[s.change] ?? 'staff.changed'}, ${envelope}::jsonb)`.execute(
      tx,
    )
  }
  for (const n of needs.rows) {
    const action = n.batch_id ? 'demo.seeded' : (n.action ?? 'test')
    const envelope = JSON.stringify({ basis: n.batch_id, data: n.request_id ? { request_id: n.request_id } : {} })
    await sql`INSERT INTO audit_records (event_id, txid, recorded_at, action, msisdn, envelope)
              VALUES (gen_random_uuid(), 0, now(), ${action}, ${n.msisdn}, ${envelope}::jsonb)`.execute(tx)
  }
}

/**
 * Runs `work` in one transaction, with an audit record written in it unless told otherwise: one that describes
 * each row change (`describe`, the default) or a single leaf of no particular change (`describe: false`).
 */
export async function inTransaction(
  work: (tx: Tx) => Promise<unknown>,
  options: { audit?: boolean; describe?: boolean } = {},
): Promise<void> {
  await g.db.transaction().execute(async (tx) => {
    await work(tx)
    if (options.audit === false) return
    await (options.describe === false ? writeAnyLeaf(tx) : writeAudit(tx))
  })
}

export const run = (statement: RawBuilder<unknown>, options: { audit?: boolean; describe?: boolean } = {}) =>
  inTransaction((tx) => statement.execute(tx), options)

/** As `run`, as the schema owner: fixtures that stand in for a lawful history the test does not walk (staff with
 * roles, which migration 037 gives only by an executed role_grant or a bootstrap). */
export const runAsOwner = (statement: RawBuilder<unknown>) =>
  inTransaction(async (tx) => {
    await sql`SET LOCAL ROLE NONE`.execute(tx)
    await statement.execute(tx)
  })

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

/** SHA-256 of `{}`, the payload of the fixture requests. */
export const EMPTY_PAYLOAD_SHA256 = '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a'

/** A request brought to `status` the lawful way: born pending, approved by the right other person, then executed. */
export async function newRequest(
  msisdn: string | null,
  kind: string,
  status: 'pending' | 'approved' | 'executed',
): Promise<string> {
  const id = randomUUID()
  // The SHA-256 of the canonical '{}' (migration 038 checks a request's hash against its payload).
  const payloadSha256 = EMPTY_PAYLOAD_SHA256
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

/**
 * The evidence of a holder's `YES <code>` as migration 038 wants it: a consent code of the request, sent five minutes
 * ago and matched (used), and the MO from the number received after it. Returns the consent's evidence.
 */
export async function storedCodeReply(requestId: string, msisdn: string, purpose = 'consent') {
  const codeId = randomUUID()
  const moId = randomUUID()
  await run(sql`INSERT INTO consent_codes (id, request_id, msisdn, party, purpose, state, created_at, expires_at, closed_at)
                VALUES (${codeId}, ${requestId}, ${msisdn}, 'holder', ${purpose}, 'used', now() - interval '5 minutes',
                        now() + interval '10 minutes', now())`)
  await run(sql`INSERT INTO sms_mo_messages (id, from_msisdn, to_address, text_masked, received_at)
                VALUES (${moId}, ${msisdn}, '1234', 'YES ******', now() - interval '1 minute')`)
  return { mo_id: moId, from: msisdn, code_id: codeId }
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
    await runAsOwner(sql`
    INSERT INTO staff (id, username, display_name, password_hash, roles, shop_id, created_at, updated_at) VALUES
      (${g.staffId}, 'guards.agent', 'Guards agent', 'x', ARRAY['agent'], 'guards-shop', now(), now()),
      (${g.supervisorId}, 'guards.supervisor', 'Guards supervisor', 'x', ARRAY['supervisor'], 'guards-shop-2', now(), now()),
      (${g.complianceId}, 'guards.compliance', 'Guards compliance', 'x', ARRAY['compliance_officer'], NULL, now(), now())`)
    await run(sql`
    INSERT INTO number_ranges (id, first_msisdn, last_msisdn, first_value, last_value, size, category, market, input_sha256, imported_at)
    VALUES (${g.rangeId}, '+85512000000', '+85512000999', 85512000000, 85512000999, 1000, 'standard', 'KH', ${'c'.repeat(64)}, now())`)
  })
  afterAll(async () => {
    await g.database?.close()
  })
}
