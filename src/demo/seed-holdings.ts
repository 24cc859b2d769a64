// Number ranges, subscribers, SIM stock and the custody history that ties them together, loaded set-based
// through the same guards as any application write: numbers enter 'available', custodies rest on an executed
// migration batch, and states move only along the lifecycle's transitions.
import { randomUUID } from 'node:crypto'
import { type QueryResult, type RawBuilder, sql } from 'kysely'
import { sha256Hex } from '../access/index.ts'
import type { CommandContext } from '../audit/index.ts'
import { DEMO_KYC_KEY } from '../config.ts'
import { bindSims, endCustodies, moveNumbers, startMigratedCustodies } from '../custody/index.ts'
import type { NumberState } from '../domain/lifecycle.ts'
import { parseRange } from '../domain/msisdn.ts'
import { importRange } from '../inventory/index.ts'
import { payloadSha256 as requestPayloadSha256 } from '../requests/index.ts'
import { kycDocumentHash } from '../subscribers/index.ts'
import { DEMO_SHOPS } from './seed-accounts.ts'
import {
  type DemoPlan,
  GOLDEN_FIRST,
  GOLDEN_SIZE,
  indexedUuid,
  planTable,
  STANDARD_FIRST,
  simLayout,
} from './seed-plan.ts'

export const ICCID_PREFIX = '8985501'

/** The demo's KYC document hash: the application's keyed hash under the demo key, so ID checks work on demo data. */
export function demoKycHash(doc: string): string {
  return kycDocumentHash(DEMO_KYC_KEY, doc)
}

/** The document number of demo subscriber `i`, the same formula as the SQL below (kept beside it). */
export function demoDocument(i: number): string {
  if (i % 10 === 0) return `CO-${String((i * 7919) % 100000000).padStart(8, '0')}`
  if (i % 13 === 0) return `N${String((i * 104729) % 10000000).padStart(7, '0')}`
  return String(100000000 + ((i * 104729) % 900000000))
}

const FAMILY_NAMES = [
  'Chan',
  'Sok',
  'Kim',
  'Heng',
  'Ly',
  'Chea',
  'Meas',
  'Keo',
  'Phan',
  'Seng',
  'Nget',
  'Prak',
  'Ouk',
  'Hun',
  'Tep',
  'Mao',
  'Sar',
  'Touch',
  'Pich',
  'Yim',
]
const GIVEN_NAMES = [
  'Sokha',
  'Dara',
  'Sophea',
  'Vanna',
  'Chenda',
  'Bopha',
  'Rithy',
  'Sothea',
  'Piseth',
  'Sreymom',
  'Visal',
  'Kanha',
  'Ratana',
  'Chantha',
  'Veasna',
  'Malis',
  'Sovann',
  'Kosal',
  'Narin',
  'Leakhena',
]
const ORG_PLACES = ['Angkor', 'Mekong', 'Tonle Sap', 'Bayon', 'Kampot', 'Kirirom', 'Koh Kong', 'Preah Vihear']
const ORG_KINDS = [
  'Trading Co., Ltd.',
  'Logistics',
  'Microfinance Plc.',
  'Construction',
  'Rice Mill',
  'Guesthouse',
  'Pharmacy',
  'Motors',
]

export interface Holdings {
  migrationBatchId: string
  rangeIds: string[]
  subscribers: number
  custodies: number
  bindings: number
}

/** Fails the seed (and so the transaction) when a guarded statement moved another number of rows than planned. */
function expectRows(result: QueryResult<unknown>, expected: number, what: string): void {
  const moved = Number(result.numAffectedRows ?? 0n)
  if (moved !== expected) throw new Error(`demo seed: expected ${expected} ${what}, got ${moved}`)
}

/**
 * The legacy load rests on four eyes like any migration batch: the inventory manager requests it, a compliance
 * officer approves its payload, then the request and the batch execute (the database checks each step).
 */
async function approvedMigrationBatch(ctx: CommandContext): Promise<string> {
  const source = 'numguard demo: legacy billing export of custodies held before numguard'
  const asked = { source, input_sha256: sha256Hex(source) }
  const payload = JSON.stringify(asked)
  // The hash of the canonical payload (RFC 8785), which the database checks (038), not of this key order.
  const payloadSha256 = requestPayloadSha256(asked)
  const requestId = randomUUID()
  const batchId = randomUUID()
  const staffId = (username: string) => sql`(SELECT id FROM staff WHERE username = ${username})`
  await sql`
    INSERT INTO requests (id, kind, status, payload, payload_sha256, requested_by, requested_at, expires_at)
    VALUES (${requestId}, 'migration_batch', 'pending', ${payload}::jsonb, ${payloadSha256}, ${staffId('inventory')},
            ${ctx.now}, ${ctx.now}::timestamptz + interval '7 days')`.execute(ctx.tx)
  await sql`
    INSERT INTO request_approvals (request_id, approver_id, payload_sha256, decision, decided_at)
    VALUES (${requestId}, ${staffId('compliance1')}, ${payloadSha256}, 'approved', ${ctx.now})`.execute(ctx.tx)
  await sql`UPDATE requests SET status = 'approved', decided_at = ${ctx.now} WHERE id = ${requestId}`.execute(ctx.tx)
  await sql`UPDATE requests SET status = 'executed', executed_at = ${ctx.now} WHERE id = ${requestId}`.execute(ctx.tx)
  await sql`
    INSERT INTO migration_batches (id, source, status, input_sha256, request_id, created_at)
    VALUES (${batchId}, ${source}, 'pending', ${sha256Hex(source)}, ${requestId}, ${ctx.now})`.execute(ctx.tx)
  await sql`UPDATE migration_batches SET status = 'executed', executed_at = ${ctx.now} WHERE id = ${batchId}`.execute(
    ctx.tx,
  )
  return batchId
}

export async function loadHoldings(ctx: CommandContext, p: DemoPlan, salt: string): Promise<Holdings> {
  const { tx } = ctx
  const now = ctx.now.toISOString()
  const plan = planTable(p, now)
  const subscriberId = (index: RawBuilder<unknown>) => indexedUuid(salt, index)

  const batchId = await approvedMigrationBatch(ctx)

  // The ranges go in through the import command itself: validated, audited (`range.imported`), like any range.
  const rangeIds: string[] = []
  for (const [first, size, category] of [
    [STANDARD_FIRST, p.rangeSize, 'standard'],
    [GOLDEN_FIRST, GOLDEN_SIZE, 'golden'],
  ] as const) {
    const imported = await importRange(ctx, parseRange(`+${first}`, `+${first + BigInt(size - 1)}`, 'KH'), category)
    rangeIds.push(imported.result.id)
  }

  // The keyed hash needs the key, which stays out of SQL: computed here for each subscriber's document.
  const kycHashes = Array.from({ length: p.subscribers }, (_, i) => demoKycHash(demoDocument(i)))
  // Subscribers: one in ten an organisation (mostly postpaid); persons mostly prepaid and Khmer-speaking.
  const subscribers = await sql`
    INSERT INTO subscribers (id, party_kind, account_type, name, kyc_doc_kind, kyc_doc_hash, kyc_doc_last4, language,
                             alt_contact, created_at)
    SELECT ${subscriberId(sql`i`)}, party_kind, account_type, name, doc_kind,
           (${kycHashes}::text[])[i + 1], right(replace(doc, '-', ''), 4), language,
           CASE WHEN i % 4 = 0 THEN '+85592' || lpad(((i * 7919) % 1000000)::text, 6, '0') END, ${now}::timestamptz
    FROM (
      SELECT i,
        CASE WHEN i % 10 = 0 THEN 'organisation' ELSE 'person' END AS party_kind,
        CASE WHEN i % 10 = 0 AND i % 30 <> 0 THEN 'postpaid' WHEN i % 17 = 0 THEN 'postpaid' ELSE 'prepaid' END AS account_type,
        CASE WHEN i % 10 = 0 THEN (${ORG_PLACES}::text[])[1 + (i / 10) % 8] || ' ' || (${ORG_KINDS}::text[])[1 + (i / 80) % 8]
             ELSE (${FAMILY_NAMES}::text[])[1 + (i / 20) % 20] || ' ' || (${GIVEN_NAMES}::text[])[1 + i % 20] END AS name,
        CASE WHEN i % 10 = 0 THEN 'business_registration' WHEN i % 13 = 0 THEN 'passport' ELSE 'national_id' END AS doc_kind,
        CASE WHEN i % 10 = 0 THEN 'CO-' || lpad(((i * 7919) % 100000000)::text, 8, '0')
             WHEN i % 13 = 0 THEN 'N' || lpad(((i * 104729) % 10000000)::text, 7, '0')
             ELSE (100000000 + (i::bigint * 104729) % 900000000)::text END AS doc,
        CASE WHEN i % 10 = 0 OR i % 13 = 0 OR i % 7 = 3 THEN 'en' ELSE 'km' END AS language
      FROM generate_series(0, ${p.subscribers - 1}::int) AS i
    ) AS people`.execute(tx)
  expectRows(subscribers, p.subscribers, 'subscribers')

  // SIM stock, in the order of simLayout: bound, deactivated (SIMs of ended custodies), allocated to shops, in stock.
  const sims = simLayout(p)
  const allocatedFrom = sims.bound + sims.deactivated
  await sql`
    INSERT INTO sims (iccid, imsi, state, shop_id, imported_at)
    SELECT ${ICCID_PREFIX} || lpad(j::text, 12, '0'), '45606' || lpad(j::text, 10, '0'),
           CASE WHEN j < ${sims.bound}::int THEN 'bound' WHEN j < ${allocatedFrom}::int THEN 'deactivated'
                WHEN j < ${allocatedFrom + sims.allocated}::int THEN 'allocated' ELSE 'in_stock' END,
           CASE WHEN j >= ${allocatedFrom}::int AND j < ${allocatedFrom + sims.allocated}::int
                THEN (${DEMO_SHOPS.map((shop) => shop.id)}::text[])[1 + j % ${DEMO_SHOPS.length}::int] END,
           ${now}::timestamptz
    FROM generate_series(0, ${sims.total - 1}::int) AS j`.execute(tx)

  // Earlier holders' custodies, loaded already ended (a migration batch may do that; nothing else may).
  const pastCount = (
    await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${plan} WHERE past_holder IS NOT NULL`.execute(tx)
  ).rows[0].n
  const past = await startMigratedCustodies(
    ctx,
    batchId,
    sql`SELECT msisdn, ${subscriberId(sql`past_holder`)} AS subscriber_id, past_started_at AS started_at,
               past_ended_at AS ended_at, CASE WHEN slot % 3 = 0 THEN 'termination' ELSE 'inactivity' END AS end_reason
        FROM ${plan} WHERE past_holder IS NOT NULL`,
    pastCount,
  )

  // The current holders' custodies, open; aging numbers were withdrawn in the legacy system, so each of them passes
  // through active here (its custody opened, the number active, then the custody ended and the number aging).
  const openFor = (fates: string[], expected: number) =>
    startMigratedCustodies(
      ctx,
      batchId,
      sql`SELECT msisdn, ${subscriberId(sql`holder`)} AS subscriber_id, started_at, NULL::timestamptz AS ended_at,
                 NULL::text AS end_reason
          FROM ${plan} WHERE fate IN (${sql.join(fates)})`,
      expected,
    )
  const move = (
    from: NumberState,
    to: NumberState,
    fates: string[],
    expected: number,
    changedAt = sql`state_changed_at`,
  ) =>
    moveNumbers(
      ctx,
      { from, to },
      sql`SELECT msisdn, ${changedAt} AS state_changed_at FROM ${plan} WHERE fate IN (${sql.join(fates)})`,
      expected,
    )
  await openFor(['aging'], p.aging)
  await move('available', 'active', ['aging'], p.aging, sql`started_at`)
  const heldCount = p.held + p.goldenHeld
  await openFor(['active', 'suspended'], heldCount)
  await move('available', 'active', ['active', 'suspended'], heldCount)

  await endCustodies(
    ctx,
    sql`SELECT msisdn, ended_at, CASE WHEN slot % 5 = 0 THEN 'termination' ELSE 'inactivity' END AS end_reason
        FROM ${plan} WHERE fate = 'aging'`,
    p.aging,
  )
  await move('active', 'aging', ['aging'], p.aging)
  await move('active', 'suspended', ['suspended'], p.suspended)
  await move('available', 'retired', ['retired'], p.retired)
  // Reservations are leased round-robin to the demo agents, for the policy's 30 minutes.
  await moveNumbers(
    ctx,
    { from: 'available', to: 'reserved', leased: true },
    sql`SELECT msisdn, state_changed_at, ${now}::timestamptz + interval '30 minutes' AS reserved_until,
               (SELECT (array_agg(s.id ORDER BY s.username))[(1 + plan.slot % count(*))::int]
                  FROM staff s WHERE s.is_demo AND 'agent' = ANY (s.roles)) AS reserved_by
        FROM ${plan} WHERE fate = 'reserved'`,
    p.reserved,
  )

  // One SIM binding per custody, over the same period: open for held numbers, ended with the custody otherwise.
  const custodies = past + p.aging + heldCount
  const bindings = await bindSims(
    ctx,
    sql`SELECT c.msisdn, c.id AS custody_id, c.started_at, c.ended_at,
               ${ICCID_PREFIX} || lpad((CASE WHEN c.ended_at IS NULL OR plan.fate = 'aging' THEN plan.sim ELSE plan.past_sim END)::text, 12, '0') AS iccid
        FROM custodies c JOIN ${plan} ON plan.msisdn = c.msisdn
        WHERE c.migration_batch_id = ${batchId}::uuid`,
    custodies,
  )

  return { migrationBatchId: batchId, rangeIds, subscribers: p.subscribers, custodies, bindings }
}
