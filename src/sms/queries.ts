// The SMS feature's reads, as named functions. Commands that change rows live in notices.ts, sender.ts,
// receipts.ts and mo.ts.
import { type Kysely, sql, type Transaction } from 'kysely'
import type { DB } from '../db/types.ts'
import { DEFAULT_SEND_WINDOW, DEFAULT_TIME_ZONE, parseSendWindow, type SendWindow } from '../domain/send-window.ts'

type Db = Kysely<DB> | Transaction<DB>

function sendPolicyOf(params: unknown): { window: SendWindow; timeZone: string } {
  const p = (params ?? {}) as { send_window?: unknown; time_zone?: string }
  return {
    window: p.send_window ? parseSendWindow(p.send_window) : DEFAULT_SEND_WINDOW,
    timeZone: p.time_zone ?? DEFAULT_TIME_ZONE,
  }
}

/**
 * The send window and time zone of the recycling policy in force at `now` in the market of `msisdn` (Cambodia's for
 * a number outside our ranges, or none given; DOMAIN's defaults without a policy).
 */
export async function sendPolicy(
  db: Db,
  now: Date,
  msisdn: string | null = null,
): Promise<{ window: SendWindow; timeZone: string }> {
  const { rows } = await sql<{ params: unknown }>`
    SELECT params FROM recycling_policies WHERE version = policy_version_at(${msisdn}, ${now}::timestamptz)`.execute(db)
  return sendPolicyOf(rows[0]?.params)
}

/** The send window and time zone in force at `now` in every market, by market code. */
export async function sendPolicies(db: Db, now: Date): Promise<Map<string, { window: SendWindow; timeZone: string }>> {
  const { rows } = await sql<{ market: string; params: unknown }>`
    SELECT DISTINCT ON (market) market, params FROM recycling_policies
     WHERE effective_from <= ${now} ORDER BY market, version DESC`.execute(db)
  return new Map(rows.map((r) => [r.market, sendPolicyOf(r.params)]))
}

export interface NoticeEvidence {
  state: string
  /** Parts the notice was split into (null before its first part was committed). */
  partCount: number | null
  /** Parts with a final delivery receipt. */
  finalParts: number
  /** True exactly when the notice is evidenced: every part has a final receipt. */
  allFinal: boolean
  /** When the last part's final receipt arrived (numguard's clock); null until every part has one. */
  lastFinalAt: Date | null
}

/** The evidence of each notice: what a withdrawal checks before it rests on its warnings. Unknown ids are absent. */
export async function noticeEvidence(db: Db, noticeIds: readonly string[]): Promise<Map<string, NoticeEvidence>> {
  const out = new Map<string, NoticeEvidence>()
  if (noticeIds.length === 0) return out
  const rows = await db
    .selectFrom('sms_notices as n')
    .select(['n.id', 'n.state', 'n.part_count', 'n.last_final_at'])
    .select((eb) =>
      eb
        .selectFrom('sms_notice_parts as p')
        .select(sql<number>`count(*)::int`.as('c'))
        .whereRef('p.notice_id', '=', 'n.id')
        .where('p.state', '=', 'final')
        .as('final_parts'),
    )
    .where('n.id', 'in', [...noticeIds])
    .execute()
  for (const r of rows) {
    const evidenced = r.state === 'evidenced'
    out.set(r.id, {
      state: r.state,
      partCount: r.part_count,
      finalParts: Number(r.final_parts ?? 0),
      allFinal: evidenced,
      lastFinalAt: evidenced ? r.last_final_at : null,
    })
  }
  return out
}

/** Notices about a number (or sent to it as an alternate contact), newest first, with their parts and receipts. */
export async function numberNotices(db: Db, msisdn: string, limit: number) {
  const notices = await db
    .selectFrom('sms_notices')
    .select([
      'id',
      'msisdn',
      'to_address',
      'purpose',
      'dedupe_key',
      'custody_id',
      'language',
      'template',
      'body_masked',
      'priority',
      'not_before',
      'expires_at',
      'state',
      'state_reason',
      'part_count',
      'attempts',
      'created_at',
      'submitted_at',
      'last_final_at',
      'evidenced_at',
    ])
    .where((eb) => eb.or([eb('msisdn', '=', msisdn), eb('to_address', '=', msisdn)]))
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute()
  const ids = notices.map((n) => n.id)
  const parts =
    ids.length === 0
      ? []
      : await db
          .selectFrom('sms_notice_parts')
          .selectAll()
          .where('notice_id', 'in', ids)
          .orderBy('part_index')
          .orderBy('attempt')
          .execute()
  const partIds = parts.map((p) => p.id)
  const receipts =
    partIds.length === 0
      ? []
      : await db.selectFrom('sms_receipts').selectAll().where('part_id', 'in', partIds).orderBy('received_at').execute()
  return { notices, parts, receipts }
}

/** MO messages from a number, newest first. */
export function numberMoMessages(db: Db, msisdn: string, limit: number) {
  return db
    .selectFrom('sms_mo_messages')
    .selectAll()
    .where('from_msisdn', '=', msisdn)
    .orderBy('received_at', 'desc')
    .limit(limit)
    .execute()
}

export interface SmsQueueLane {
  priority: 'otp' | 'bulk'
  /** Notices queued (due or waiting for the send window). */
  queued: number
  /** The earliest not_before among them: how long the longest-waiting due notice has been due, when in the past. */
  oldestNotBefore: Date | null
}

/** The send queue for /metrics, one lane at a time so each count and min runs on that lane's partial index. */
export async function smsQueueDepth(db: Db): Promise<SmsQueueLane[]> {
  const lanes: SmsQueueLane[] = []
  for (const priority of ['otp', 'bulk'] as const) {
    const row = await db
      .selectFrom('sms_notices')
      .select([sql<number>`count(*)::int`.as('queued'), sql<Date | null>`min(not_before)`.as('oldest')])
      .where('state', '=', 'queued')
      .where('priority', '=', priority)
      .executeTakeFirstOrThrow()
    lanes.push({ priority, queued: Number(row.queued), oldestNotBefore: row.oldest ? new Date(row.oldest) : null })
  }
  return lanes
}
