// The SQL of customer sessions, as named functions. Each takes the database or the caller's transaction.
import { type Kysely, sql } from 'kysely'
import type { DB } from '../db/types.ts'

/** A number, its open custody and its holder's KYC facts: whom a customer session on this number would open. */
export function findHolding(db: Kysely<DB>, msisdn: string) {
  return db
    .selectFrom('numbers as n')
    .leftJoin('custodies as c', (j) => j.onRef('c.msisdn', '=', 'n.msisdn').on('c.ended_at', 'is', null))
    .leftJoin('subscribers as s', 's.id', 'c.subscriber_id')
    .select(['n.msisdn', 'n.state', 'c.id as custody_id', 's.id as subscriber_id'])
    .select(['s.kyc_doc_hash', 's.kyc_changed_at', 's.language'])
    .where('n.msisdn', '=', msisdn)
    .executeTakeFirst()
}

/** The staff member's name and shop, as the code's SMS tells the customer who asks. */
export function staffForNotice(db: Kysely<DB>, staffId: string) {
  return db
    .selectFrom('staff')
    .leftJoin('shops', 'shops.id', 'staff.shop_id')
    .select(['staff.display_name', 'staff.shop_id', 'shops.name as shop_name'])
    .where('staff.id', '=', staffId)
    .executeTakeFirstOrThrow()
}

/**
 * Serialises attempts of one agent on one number (PostgreSQL: parallel wrong codes queue here, so none escapes the
 * count). PGlite has one connection and grants it at once.
 */
export async function lockAgentNumber(db: Kysely<DB>, staffId: string, msisdn: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtext(${`numguard.customer_auth:${staffId}:${msisdn}`}))`.execute(db)
}

/** The lock in force on this agent × number at `now`, if any. */
export function activeLock(db: Kysely<DB>, staffId: string, msisdn: string, now: Date) {
  return db
    .selectFrom('customer_auth_locks')
    .selectAll()
    .where('staff_id', '=', staffId)
    .where('msisdn', '=', msisdn)
    .where('locked_at', '<=', now)
    .where('locked_until', '>', now)
    .where('released_at', 'is', null)
    .orderBy('locked_until', 'desc')
    .limit(1)
    .executeTakeFirst()
}

export async function lastLockAt(db: Kysely<DB>, staffId: string, msisdn: string): Promise<Date | null> {
  const row = await db
    .selectFrom('customer_auth_locks')
    .select((eb) => eb.fn.max('locked_at').as('at'))
    .where('staff_id', '=', staffId)
    .where('msisdn', '=', msisdn)
    .executeTakeFirst()
  return row?.at ? new Date(row.at) : null
}

export async function countFailuresSince(db: Kysely<DB>, staffId: string, msisdn: string, since: Date) {
  const row = await db
    .selectFrom('customer_auth_failures')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('staff_id', '=', staffId)
    .where('msisdn', '=', msisdn)
    .where('failed_at', '>', since)
    .executeTakeFirstOrThrow()
  return row.n
}

export async function countCodesSince(db: Kysely<DB>, staffId: string, msisdn: string, since: Date) {
  const row = await db
    .selectFrom('customer_sessions')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('staff_id', '=', staffId)
    .where('msisdn', '=', msisdn)
    .where('method', '=', 'sms_code')
    .where('created_at', '>', since)
    .executeTakeFirstOrThrow()
  return row.n
}

export function findCustomerSession(db: Kysely<DB>, id: string) {
  return db.selectFrom('customer_sessions').selectAll().where('id', '=', id).executeTakeFirst()
}

/** The open, unexpired customer session in which this agent, in this staff session, may see this subscriber. */
export function openSessionFor(
  db: Kysely<DB>,
  who: { staffId: string; staffSessionId: string; subscriberId: string },
  now: Date,
) {
  return db
    .selectFrom('customer_sessions')
    .selectAll()
    .where('staff_id', '=', who.staffId)
    .where('staff_session_id', '=', who.staffSessionId)
    .where('subscriber_id', '=', who.subscriberId)
    .where('state', '=', 'open')
    .where('expires_at', '>', now)
    .orderBy('expires_at', 'desc')
    .limit(1)
    .executeTakeFirst()
}

/** This agent's open sessions and pending codes in this staff session, newest first. */
export function listOwnCustomerSessions(db: Kysely<DB>, staffId: string, staffSessionId: string, now: Date) {
  return db
    .selectFrom('customer_sessions')
    .selectAll()
    .where('staff_id', '=', staffId)
    .where('staff_session_id', '=', staffSessionId)
    .where((eb) =>
      eb.or([
        eb.and([eb('state', '=', 'open'), eb('expires_at', '>', now)]),
        eb.and([eb('state', '=', 'awaiting_code'), eb('code_expires_at', '>', now)]),
      ]),
    )
    .orderBy('created_at', 'desc')
    .limit(50)
    .execute()
}

/** Pending codes this agent sent to this number that a new code replaces. */
export function pendingCodes(db: Kysely<DB>, staffId: string, msisdn: string) {
  return db
    .selectFrom('customer_sessions')
    .select(['id', 'notice_id'])
    .where('staff_id', '=', staffId)
    .where('msisdn', '=', msisdn)
    .where('state', '=', 'awaiting_code')
    .execute()
}

export function listLocks(db: Kysely<DB>, filter: { now: Date; active: boolean; msisdn?: string; limit: number }) {
  let q = db
    .selectFrom('customer_auth_locks as l')
    .innerJoin('staff as s', 's.id', 'l.staff_id')
    .leftJoin('staff as r', 'r.id', 'l.released_by')
    .selectAll('l')
    .select(['s.username', 's.shop_id', 'r.username as released_by_username'])
    .orderBy('l.locked_at', 'desc')
    .limit(filter.limit)
  if (filter.active) q = q.where('l.released_at', 'is', null).where('l.locked_until', '>', filter.now)
  if (filter.msisdn) q = q.where('l.msisdn', '=', filter.msisdn)
  return q.execute()
}

export function findLock(db: Kysely<DB>, id: string) {
  return db
    .selectFrom('customer_auth_locks as l')
    .innerJoin('staff as s', 's.id', 'l.staff_id')
    .selectAll('l')
    .select(['s.username', 's.shop_id'])
    .where('l.id', '=', id)
    .executeTakeFirst()
}
