// The rules the log itself must show, checked leaf by leaf in log order with small state (sessions, staff, open
// requests, evidenced notices): staff leaves rest on a sign-in, executed requests on their consents and on approvals
// by other active staff, inactivity withdrawals on their cycle's evidenced warnings.
import type { LeafFact } from './leaf-chunk.ts'
import { RULE_ACTIONS as A, FINAL_WARNING_LEAD_MS, type KindRule, MIN_WARNINGS, REQUEST_KINDS } from './vocabulary.ts'

export type Report = (index: number, eventId: string, message: string) => void

interface Session {
  staffId: string
  index: number
  endedAt?: number
}
interface Staff {
  roles?: string[]
  /** undefined: not stated in the log; null: no shop. */
  shopId?: string | null
  suspendedAt?: number
  /** Until when (ms) a role grant or credential reset keeps them from approving (DOMAIN: 7 days). */
  coolingUntil?: number
}
interface Approval {
  staffId: string
  payload: unknown
  index: number
  at: number
  roles?: string[]
  coolingUntil?: number
}
interface Request {
  kind: unknown
  payload: unknown
  requestedBy: string | null
  index: number
  approvals: Approval[]
  consents: number
  executedAt?: number
}

export interface RuleCounts {
  staffLeaves: number
  signIns: number
  requestsExecuted: number
  withdrawals: number
  noticesEvidenced: number
}

const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0

export class BusinessRules {
  readonly counts: RuleCounts = { staffLeaves: 0, signIns: 0, requestsExecuted: 0, withdrawals: 0, noticesEvidenced: 0 }
  private readonly sessions = new Map<string, Session>()
  private readonly staff = new Map<string, Staff>()
  private readonly requests = new Map<string, Request>()
  private readonly notices = new Map<string, { lastFinalAt: number; index: number }>()

  private readonly fail: Report
  private readonly warn: Report

  constructor(fail: Report, warn: Report) {
    this.fail = fail
    this.warn = warn
  }

  check(index: number, f: LeafFact) {
    if (f.k === 'staff') this.checkStaffLeaf(index, f)
    const x = f.x ?? {}
    switch (f.a) {
      case A.signedIn:
        return f.k === 'staff' ? undefined : this.signInRecordedBySystem(index, f, x)
      case A.signedOut:
      case A.revoked:
        return this.endSession(index, x)
      case A.staffSuspended:
        return this.suspend(index, f, x)
      case A.requestCreated:
        return this.created(index, f, x)
      case A.requestApproved:
        return this.approved(index, f, x)
      case A.consentRecorded:
        return this.consented(index, f, x)
      case A.requestExecuted:
        return this.executed(index, f, x)
      case A.noticeEvidenced:
        return this.evidenced(index, f, x)
      case A.numberWithdrawn:
        return this.withdrawn(index, f, x)
    }
    if (f.a.startsWith('staff.') && str(x.staff_id)) this.describeStaff(x)
  }

  private staffOf(id: string): Staff {
    const known = this.staff.get(id)
    if (known) return known
    const s: Staff = {}
    this.staff.set(id, s)
    return s
  }

  private checkStaffLeaf(index: number, f: LeafFact) {
    this.counts.staffLeaves++
    const sessionId = f.ss as string
    const staffId = f.s as string
    if (f.a === A.signedIn) {
      const named = f.x?.session_id
      if (str(named) && named !== sessionId)
        return this.fail(index, f.e, `session.signed_in on session ${sessionId} records session ${named}`)
      return this.signIn(index, f, sessionId, staffId)
    }
    const session = this.sessions.get(sessionId)
    if (!session)
      return this.fail(
        index,
        f.e,
        `${f.a} by staff ${staffId} names session ${sessionId}, which has no earlier sign-in`,
      )
    if (session.staffId !== staffId)
      return this.fail(
        index,
        f.e,
        `${f.a} by staff ${staffId} names session ${sessionId}, which belongs to staff ${session.staffId} (signed in at leaf ${session.index})`,
      )
    if (session.endedAt !== undefined)
      this.warn(index, f.e, `${f.a} uses session ${sessionId} after it ended at leaf ${session.endedAt}`)
    const suspendedAt = this.staff.get(staffId)?.suspendedAt
    if (suspendedAt !== undefined)
      this.warn(index, f.e, `${f.a} by staff ${staffId} after their suspension at leaf ${suspendedAt}`)
  }

  /** A sign-in (with MFA where the role needs it) opens the session every later staff leaf of it rests on. */
  private signIn(index: number, f: LeafFact, sessionId: string, staffId: string) {
    this.counts.signIns++
    const again = this.sessions.get(sessionId)
    if (again) return this.fail(index, f.e, `session ${sessionId} signs in again (it signed in at leaf ${again.index})`)
    if (f.x?.mfa_required === true && f.x.mfa !== true)
      this.fail(index, f.e, `session ${sessionId} signed in without MFA although its role requires MFA`)
    this.sessions.set(sessionId, { staffId, index })
  }

  /** A sign-in recorded by a component of numguard names its session and staff member in its data. */
  private signInRecordedBySystem(index: number, f: LeafFact, x: Record<string, unknown>) {
    if (!str(x.session_id) || !str(x.staff_id))
      return this.fail(index, f.e, 'session.signed_in by no staff actor names no data.session_id and data.staff_id')
    this.signIn(index, f, x.session_id, x.staff_id)
  }

  private endSession(index: number, x: Record<string, unknown>) {
    const session = str(x.session_id) ? this.sessions.get(x.session_id) : undefined
    if (session && session.endedAt === undefined) session.endedAt = index
  }

  private describeStaff(x: Record<string, unknown>) {
    const s = this.staffOf(x.staff_id as string)
    if (Array.isArray(x.roles) && x.roles.every(str)) s.roles = x.roles
    if (x.shop_id === null || str(x.shop_id)) s.shopId = x.shop_id
    if (str(x.cooling_until)) s.coolingUntil = Date.parse(x.cooling_until)
  }

  private suspend(index: number, f: LeafFact, x: Record<string, unknown>) {
    if (!str(x.staff_id)) return this.fail(index, f.e, 'staff.suspended without data.staff_id')
    const s = this.staffOf(x.staff_id)
    s.suspendedAt ??= index
  }

  private created(index: number, f: LeafFact, x: Record<string, unknown>) {
    if (!str(x.request_id)) return this.fail(index, f.e, 'request.created without data.request_id')
    const earlier = this.requests.get(x.request_id)
    if (earlier)
      return this.fail(index, f.e, `request ${x.request_id} is created again (first at leaf ${earlier.index})`)
    this.requests.set(x.request_id, {
      kind: x.kind,
      payload: x.payload_sha256,
      requestedBy: f.k === 'staff' ? (f.s as string) : null,
      index,
      approvals: [],
      consents: 0,
    })
  }

  private approved(index: number, f: LeafFact, x: Record<string, unknown>) {
    const request = str(x.request_id) ? this.requests.get(x.request_id) : undefined
    if (!request) return this.fail(index, f.e, `request.approved for request ${x.request_id}, which was never created`)
    if (f.k !== 'staff') return this.fail(index, f.e, `request.approved for request ${x.request_id} by no staff member`)
    const staffId = f.s as string
    const approver = this.staff.get(staffId)
    request.approvals.push({
      staffId,
      payload: x.payload_sha256,
      index,
      at: Date.parse(f.t as string),
      roles: approver?.roles,
      coolingUntil: approver?.coolingUntil,
    })
  }

  private consented(index: number, f: LeafFact, x: Record<string, unknown>) {
    const request = str(x.request_id) ? this.requests.get(x.request_id) : undefined
    if (!request)
      return this.fail(index, f.e, `request.consent_recorded for request ${x.request_id}, which was never created`)
    request.consents++
  }

  private executed(index: number, f: LeafFact, x: Record<string, unknown>) {
    this.counts.requestsExecuted++
    const id = x.request_id
    const what = `request.executed for request ${id} (${x.kind})`
    const fail = (message: string) => this.fail(index, f.e, `${what} ${message}`)
    const request = str(id) ? this.requests.get(id) : undefined
    if (!request) return fail('has no request.created before it')
    if (request.executedAt !== undefined) return fail(`was already executed at leaf ${request.executedAt}`)
    request.executedAt = index
    if (x.kind !== request.kind) return fail(`names kind ${x.kind}, but it was created as ${request.kind}`)
    if (x.payload_sha256 !== request.payload)
      return fail(`executes payload ${x.payload_sha256}, but payload ${request.payload} was requested`)
    if (!str(x.requested_by)) return fail('has no data.requested_by')
    if (request.requestedBy !== null && x.requested_by !== request.requestedBy)
      return fail(`names requested_by ${x.requested_by}, but staff ${request.requestedBy} created it`)
    const rule = REQUEST_KINDS[x.kind as string]
    if (!rule) return fail(`is of a kind the verifier does not know (${Object.keys(REQUEST_KINDS).join(', ')})`)
    if (rule.needsConsent && request.consents === 0) fail("has no holder's consent recorded before it")
    if (rule.approverRole) this.checkApprovals(index, f, fail, rule, request, x.requested_by)
  }

  private checkApprovals(
    index: number,
    f: LeafFact,
    fail: (m: string) => void,
    rule: KindRule,
    r: Request,
    by: string,
  ) {
    const role = rule.approverRole as string
    const requester = this.staff.get(by)
    const reasons: string[] = []
    const unattested: string[] = []
    for (const a of r.approvals) {
      const approver = this.staff.get(a.staffId)
      const why =
        a.staffId === by
          ? 'by the requester'
          : a.payload !== r.payload
            ? `of another payload (${a.payload})`
            : approver?.suspendedAt !== undefined && approver.suspendedAt < index
              ? `by staff ${a.staffId}, suspended at leaf ${approver.suspendedAt}`
              : a.coolingUntil !== undefined && a.at < a.coolingUntil
                ? `by staff ${a.staffId} within 7 days of a role grant or credential reset (until ${new Date(a.coolingUntil).toISOString()})`
                : a.roles && !a.roles.includes(role)
                  ? `by staff ${a.staffId}, who was not a ${role} when approving`
                  : approver?.roles && !approver.roles.includes(role)
                    ? `by staff ${a.staffId}, who is no longer a ${role}`
                    : rule.otherShop && approver?.shopId != null && approver.shopId === requester?.shopId
                      ? `by staff ${a.staffId} of the requester's shop ${approver.shopId}`
                      : undefined
      if (why) {
        reasons.push(`leaf ${a.index}: ${why}`)
        continue
      }
      if (!approver?.roles) unattested.push(`staff ${a.staffId}'s roles`)
      if (rule.otherShop && (approver?.shopId === undefined || requester?.shopId === undefined))
        unattested.push(`the shops of staff ${a.staffId} and ${by}`)
      if (unattested.length > 0)
        this.warn(
          index,
          f.e,
          `the log does not state ${unattested.join(' or ')}: the approval at leaf ${a.index} is accepted unchecked on that point`,
        )
      return
    }
    const who = `another active ${role}${rule.otherShop ? ' of another shop' : ''}`
    fail(
      `has no approval of its payload by ${who} before it${reasons.length ? ` (${reasons.join('; ')})` : ' (no request.approved leaf)'}`,
    )
  }

  private evidenced(index: number, f: LeafFact, x: Record<string, unknown>) {
    this.counts.noticesEvidenced++
    const at = str(x.last_final_at) ? Date.parse(x.last_final_at) : Number.NaN
    if (!str(x.notice_id) || Number.isNaN(at))
      return this.fail(index, f.e, 'sms.notice_evidenced without data.notice_id and a valid data.last_final_at')
    this.notices.set(x.notice_id, { lastFinalAt: at, index })
  }

  private withdrawn(index: number, f: LeafFact, x: Record<string, unknown>) {
    if (x.basis !== 'inactivity') return
    this.counts.withdrawals++
    const what = `number.withdrawn of ${x.msisdn} for inactivity`
    const warnings = Array.isArray(x.warnings) ? [...new Set(x.warnings)] : []
    if (warnings.length < MIN_WARNINGS)
      return this.fail(
        index,
        f.e,
        `${what} names ${warnings.length} warning notice(s) in data.warnings; at least ${MIN_WARNINGS} must be evidenced before it`,
      )
    let last = Number.NEGATIVE_INFINITY
    for (const id of warnings) {
      const notice = str(id) ? this.notices.get(id) : undefined
      if (!notice)
        return this.fail(index, f.e, `${what}: warning notice ${id} has no sms.notice_evidenced leaf before it`)
      last = Math.max(last, notice.lastFinalAt)
    }
    const at = Date.parse(f.t as string)
    if (at - last < FINAL_WARNING_LEAD_MS)
      this.fail(
        index,
        f.e,
        `${what}: the last warning's final receipt (${new Date(last).toISOString()}) is less than 5 days before the withdrawal (${f.t})`,
      )
  }
}
