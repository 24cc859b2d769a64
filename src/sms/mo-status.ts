// The built-in STATUS reply: where the sender's number stands and what keeps it, read from its recycling state
// (migration 006) and the policy version its cycle applies.
import { addDays, DEFAULT_TIME_ZONE, localTime } from '../domain/send-window.ts'
import type { MoHandler, MoHandlerResult } from './mo.ts'

// The built-in answer; src/wiring.ts registers the one that also counts this month's partner checks (src/partner).
export const statusHandler: MoHandler = async (app, mo): Promise<MoHandlerResult> => {
  const row = await app.db
    .selectFrom('custodies as c')
    .innerJoin('numbers as n', 'n.msisdn', 'c.msisdn')
    .leftJoin('recycling_state as r', 'r.custody_id', 'c.id')
    .leftJoin('recycling_policies as p', 'p.version', 'r.policy_version')
    .select(['n.state', 'r.account_type', 'r.stage', 'r.cycle_started_at', 'p.params'])
    .where('c.msisdn', '=', mo.from)
    .where('c.ended_at', 'is', null)
    .executeTakeFirst()
  const msisdn = mo.from
  if (!row) return { outcome: 'status_unknown_number', reply: { template: 'status_unknown', params: { msisdn } } }
  const params = (row.params ?? {}) as { withdrawal_day?: number; time_zone?: string }
  if (row.account_type !== 'prepaid' || !row.cycle_started_at || !params.withdrawal_day || row.stage !== 'in_cycle')
    return { outcome: 'status_sent', reply: { template: 'status_no_deadline', params: { msisdn } } }
  const start = localTime(new Date(row.cycle_started_at), params.time_zone ?? DEFAULT_TIME_ZONE).date
  const date = addDays(start, params.withdrawal_day)
  const template = row.state === 'suspended' ? 'status_suspended' : 'status_active'
  return { outcome: 'status_sent', reply: { template, params: { msisdn, date } } }
}
