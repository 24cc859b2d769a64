// The holder's STATUS reply says how many partner checks were made on their number this calendar month (issue 12):
// a holder learns that banks are asking about their number, which is how a takeover in progress shows itself.
import type { App } from '../app.ts'
import { DEFAULT_TIME_ZONE } from '../domain/send-window.ts'
import { localDate, localInstant } from '../domain/zoned-time.ts'
import type { MoHandler, MoHandlerResult } from '../sms/index.ts'
import { khmerDigits, type Language, renderNotice, statusHandler } from '../sms/index.ts'
import { partnerDb } from './db.ts'
import { countChecksSince } from './queries.ts'

/** The first instant of the current calendar month in the operator's time zone. */
export function monthStart(now: Date, timeZone = DEFAULT_TIME_ZONE): Date {
  return localInstant(`${localDate(now, timeZone).slice(0, 8)}01`, timeZone)
}

function line(count: number, language: Language): string {
  if (language === 'km') return `ដៃគូ (ធនាគារ ឬកម្មវិធី) បានពិនិត្យលេខនេះ ${khmerDigits(String(count))} ដងក្នុងខែនេះ។`
  return `Partners (banks, apps) checked this number ${count} time${count === 1 ? '' : 's'} this month.`
}

/** Adds the partner-check count to a STATUS reply when there were any this month; otherwise the reply is unchanged. */
export async function withPartnerChecks(app: App, msisdn: string, result: MoHandlerResult): Promise<MoHandlerResult> {
  const reply = result.reply
  if (!reply) return result
  const db = partnerDb(app.db)
  const count = await countChecksSince(db, msisdn, monthStart(app.clock.now()))
  if (count === 0) return result
  const holder = await db
    .selectFrom('custodies as c')
    .innerJoin('subscribers as s', 's.id', 'c.subscriber_id')
    .select('s.language')
    .where('c.msisdn', '=', msisdn)
    .where('c.ended_at', 'is', null)
    .executeTakeFirst()
  const language = reply.language ?? (holder?.language as Language | undefined) ?? 'km'
  const text = `${renderNotice(reply.template, language, reply.params ?? {})} ${line(count, language)}`
  return { ...result, reply: { template: 'notice', params: { text }, language } }
}

/** The STATUS reply src/wiring.ts registers: the built-in answer (src/sms/mo-status.ts) with this month's checks. */
export const statusWithPartnerChecks: MoHandler = async (app, mo, parsed) =>
  withPartnerChecks(app, mo.from, await statusHandler(app, mo, parsed))
