import type { CustomerSessionState } from '../db/types-customers.ts'
import { CODE_ATTEMPTS } from './rules.ts'

export interface CustomerSessionRow {
  id: string
  staff_id: string
  subscriber_id: string
  msisdn: string
  method: string
  state: CustomerSessionState
  code_expires_at: Date | null
  code_attempts: number
  notice_id: string | null
  created_at: Date
  opened_at: Date | null
  expires_at: Date | null
  closed_at: Date | null
  close_reason: string | null
}

/** The state as of `now`: a session or a code past its time reads `expired` even before anything wrote it. */
export function effectiveState(s: CustomerSessionRow, now: Date): CustomerSessionState {
  if (s.state === 'open' && s.expires_at && new Date(s.expires_at) <= now) return 'expired'
  if (s.state === 'awaiting_code' && s.code_expires_at && new Date(s.code_expires_at) <= now) return 'expired'
  return s.state
}

/** A customer session as its agent sees it; never the code or its hash. */
export function presentCustomerSession(s: CustomerSessionRow, now: Date) {
  return {
    id: s.id,
    method: s.method,
    state: effectiveState(s, now),
    msisdn: s.msisdn,
    subscriber_id: s.subscriber_id,
    staff_id: s.staff_id,
    created_at: s.created_at,
    code_expires_at: s.code_expires_at,
    code_attempts_left: s.method === 'sms_code' ? Math.max(0, CODE_ATTEMPTS - s.code_attempts) : null,
    notice_id: s.notice_id,
    opened_at: s.opened_at,
    expires_at: s.expires_at,
    closed_at: s.closed_at,
    close_reason: s.close_reason,
  }
}

export interface LockRow {
  id: string
  staff_id: string
  username: string
  shop_id: string | null
  msisdn: string
  failures: number
  locked_at: Date
  locked_until: Date
  released_at: Date | null
  released_by: string | null
  released_by_username?: string | null
  release_reason: string | null
}

export function presentLock(l: LockRow, now: Date) {
  return {
    id: l.id,
    staff: { id: l.staff_id, username: l.username, shop_id: l.shop_id },
    msisdn: l.msisdn,
    failures: l.failures,
    locked_at: l.locked_at,
    locked_until: l.locked_until,
    active: l.released_at === null && new Date(l.locked_until) > now,
    released_at: l.released_at,
    released_by: l.released_by ? { id: l.released_by, username: l.released_by_username ?? null } : null,
    release_reason: l.release_reason,
  }
}
