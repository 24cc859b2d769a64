// The demo's recycling history: when each prepaid holder last topped up (through the charging feed, as top-up
// events), so that moving the demo clock shows numbers walking through warnings, suspension, withdrawal and aging;
// and the numbers the legacy system withdrew, ageing with their reclaim deadline and in the disconnection register.
//
// Who lapses is a rule on the number itself (see LAPSING_SQL), shared with the demo's charging simulation
// (./charging.ts): regular holders top up before their first warning, the rest let their number go.
import { type QueryResult, sql } from 'kysely'
import { sha256Hex } from '../access/index.ts'
import { ingestActivity } from '../activity/index.ts'
import type { AuditReceipt, CommandContext } from '../audit/index.ts'
import { demoDocument, demoKycHash } from './seed-holdings.ts'
import { type DemoPlan, planTable } from './seed-plan.ts'

export const DEMO_CHARGING_SOURCE = 'demo-charging'

/**
 * SQL over a number `msisdn`: true for the holders who stop topping up (1 in 40, by the last two digits). The
 * charging simulation never tops them up; everyone else tops up on day 45 of each cycle.
 */
export const LAPSING_SQL = `(right(msisdn, 2)::int % 40 = 7)`
/** Holders who come back: a suspended number of theirs is topped up again on day 80 (reactivation). */
export const COMEBACK_SQL = `(right(msisdn, 2)::int % 25 = 3)`

export interface RecyclingHistory {
  topups: number
  usage: number
  ageing: number
  registered: number
  /** An ageing number its former holder can reclaim, with the document number they would present in a shop. */
  reclaimSample: { msisdn: string; kyc_doc_number: string } | null
  receipts: AuditReceipt[]
}

/** The demo is public: for one reclaimable number, the document its former holder "brings" is printed. */
async function reclaimSample(ctx: CommandContext, p: DemoPlan): Promise<RecyclingHistory['reclaimSample']> {
  const { rows } = await sql<{ msisdn: string; kyc_doc_hash: string }>`
    SELECT r.msisdn, s.kyc_doc_hash FROM recycling_state r
      JOIN custodies c ON c.id = r.custody_id AND c.end_reason = 'inactivity'
      JOIN subscribers s ON s.id = c.subscriber_id
     WHERE r.stage = 'aging' ORDER BY r.next_due_at DESC, r.msisdn LIMIT 1`.execute(ctx.tx)
  const row = rows[0]
  if (!row) return null
  for (let i = 0; i < p.subscribers; i++) {
    const doc = demoDocument(i)
    if (demoKycHash(doc) === row.kyc_doc_hash) return { msisdn: row.msisdn, kyc_doc_number: doc }
  }
  return null
}

/** Days since each prepaid holder's last top-up, by fate: suspended ones 60–89, lapsing ones 30–59, others 0–44. */
function lastTopupDays(p: DemoPlan, now: string) {
  return sql<{ msisdn: string; days: number; usage_days: number | null }>`
    SELECT msisdn, days, usage_days FROM (
      SELECT plan.msisdn, c.started_at,
             CASE WHEN plan.fate = 'suspended' THEN 60 + (plan.slot * 7) % 30
                  WHEN ${sql.raw(LAPSING_SQL.replaceAll('msisdn', 'plan.msisdn'))} THEN 30 + (plan.slot * 11) % 30
                  ELSE (plan.slot * 13) % 45 END AS days,
             -- One suspended holder in ten still makes calls: their withdrawal waits on the usage veto.
             CASE WHEN plan.fate = 'suspended' AND plan.slot % 10 = 3 THEN 3 + plan.slot % 20 END AS usage_days
        FROM ${planTable(p, now)}
        JOIN custodies c ON c.msisdn = plan.msisdn AND c.ended_at IS NULL
        JOIN subscribers s ON s.id = c.subscriber_id AND s.account_type = 'prepaid'
       WHERE plan.fate IN ('active', 'suspended')) AS holders
     -- An event falls within its custody: a holder younger than that keeps the custody's start as cycle start.
     WHERE started_at < ${now}::timestamptz - make_interval(days => days + 1)
     ORDER BY msisdn`
}

function moved(result: QueryResult<unknown>): number {
  return Number(result.numAffectedRows ?? 0n)
}

export async function loadRecyclingHistory(ctx: CommandContext, p: DemoPlan): Promise<RecyclingHistory> {
  const now = ctx.now.toISOString()
  const { rows } = await lastTopupDays(p, now).execute(ctx.tx)
  const at = (days: number) => new Date(ctx.now.getTime() - days * 86_400_000 - 3_600_000).toISOString()
  const events = rows.flatMap((r) => [
    {
      source: DEMO_CHARGING_SOURCE,
      external_id: `seed-topup-${r.msisdn}`,
      msisdn: r.msisdn,
      kind: 'topup',
      amount: String(1 + (r.days % 5)),
      currency: 'USD',
      occurred_at: at(r.days),
    },
    ...(r.usage_days === null
      ? []
      : [
          {
            source: DEMO_CHARGING_SOURCE,
            external_id: `seed-usage-${r.msisdn}`,
            msisdn: r.msisdn,
            kind: 'usage',
            occurred_at: at(r.usage_days),
          },
        ]),
  ])
  const receipts: AuditReceipt[] = []
  let topups = 0
  let usage = 0
  for (let i = 0; i < events.length; i += 10_000) {
    const chunk = events.slice(i, i + 10_000)
    const batch = await ingestActivity(ctx, {
      events: chunk,
      source: DEMO_CHARGING_SOURCE,
      inputSha256: sha256Hex(JSON.stringify(chunk)),
      claimedInput: { demo: 'last top-ups before numguard' },
      country: 'KH',
    })
    receipts.push(...batch.receipts)
    topups += chunk.filter((e) => e.kind === 'topup').length
    usage += chunk.filter((e) => e.kind === 'usage').length
  }

  const policy = await ctx.tx
    .selectFrom('recycling_policies')
    .select('params')
    .where('version', '=', 1)
    .executeTakeFirstOrThrow()
  const params = policy.params as {
    time_zone: string
    aging_days: number
    business_aging_days: number
    warning_days: number[]
    suspension_day: number
  }
  // Nothing happens to a cycle before its first step: the worker first looks at it that day, not all 3,000 at once
  // on the first start (what it would do on that first look is only to schedule this very day).
  const firstStep = Math.min(params.warning_days[0], params.suspension_day)
  await sql`
    UPDATE recycling_state r
       SET next_due_at = f.first_step
      FROM (SELECT custody_id, (date_trunc('day', cycle_started_at AT TIME ZONE ${params.time_zone})
                                + make_interval(days => ${firstStep}::int)) AT TIME ZONE ${params.time_zone} AS first_step
              FROM recycling_state WHERE stage = 'in_cycle' AND account_type = 'prepaid') AS f
     WHERE r.custody_id = f.custody_id AND f.first_step > ${ctx.now}`.execute(ctx.tx)

  // Numbers the legacy system withdrew age from their withdrawal (90 days, operator's time zone), reclaimable.
  const ageing = await sql`
    UPDATE recycling_state r
       SET stage = 'aging', step = 'withdrawn', withdrawn_at = c.ended_at, updated_at = ${ctx.now},
           next_due_at = (date_trunc('day', c.ended_at AT TIME ZONE ${params.time_zone})
                          + make_interval(days => CASE WHEN s.party_kind = 'organisation'
                                                       THEN ${params.business_aging_days}::int ELSE ${params.aging_days}::int END))
                         AT TIME ZONE ${params.time_zone}
      FROM custodies c
      JOIN numbers n ON n.msisdn = c.msisdn AND n.state = 'aging'
      JOIN subscribers s ON s.id = c.subscriber_id
     WHERE r.custody_id = c.id AND c.ended_at IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM custodies later WHERE later.msisdn = c.msisdn AND later.started_at > c.started_at)`.execute(
    ctx.tx,
  )
  const registered = await sql`
    INSERT INTO disconnections (id, msisdn, custody_id, disconnected_on, recorded_at)
    SELECT gen_random_uuid(), r.msisdn, r.custody_id, (r.withdrawn_at AT TIME ZONE ${params.time_zone})::date, ${ctx.now}
      FROM recycling_state r WHERE r.stage = 'aging'`.execute(ctx.tx)
  return {
    topups,
    usage,
    ageing: moved(ageing),
    registered: moved(registered),
    reclaimSample: await reclaimSample(ctx, p),
    receipts,
  }
}
