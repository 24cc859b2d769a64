// The monthly report's counts, from audit leaves alone. Pure (no I/O), so the report the operator writes and the
// figures anyone recomputes from an audit export of the same leaf range come from one reading of the log:
//
// - numbers: distinct numbers that got an inactivity warning (a warning notice queued to the number or to the
//   alternate contact), were suspended, withdrawn for inactivity, terminated by their holder, withdrawn by a legal
//   order, reclaimed, reinstated, or recycled (aged out back to the pool);
// - warnings (notices of purpose inactivity_warning): queued; delivered (every part's final receipt DELIVRD);
//   undelivered (a final receipt other than DELIVRD); failed (refused by the SMSC); receipts missing;
// - transfers executed (each carried the holder's reply: DOMAIN's request table requires it) and SIM swaps by kind —
//   `sim_swap` with the holder's reply, `sim_swap_lost` without it;
// - refused attempts and alerts by staff member: alert leaves raised or repeated by a staff member's action, by kind;
// - cases: complaints by category and investigations opened; holds placed (within the market's hold deadline or
//   late, read from the deadline the hold's own leaf carries) and released; restorations; cases resolved (within
//   their resolution deadline or late).
//
// A leaf counts when its `at` falls in [from, to) — the month in the operator's time zone.

/** The parts of a leaf (a parsed numguard-leaf/1 envelope) the counts read. */
export interface ReportLeaf {
  at: string
  action: string
  msisdn: string | null
  actor?: unknown
  after?: unknown
  data?: unknown
}

export interface StaffAlerts {
  staff_id: string
  username: string | null
  raised: number
  repeats: number
  by_kind: Record<string, number>
}

export interface MonthlyCounts {
  leaves_counted: number
  numbers: {
    warned: number
    suspended: number
    withdrawn: number
    terminated: number
    withdrawn_by_legal_order: number
    reclaimed: number
    reinstated: number
    recycled: number
  }
  warnings: { queued: number; delivered: number; undelivered: number; failed: number; receipts_missing: number }
  transfers: { executed: number; with_holder_reply: number }
  sim_swaps: { executed: number; with_holder_reply: number; without_holder_reply: number }
  alerts: { raised: number; repeats: number; by_kind: Record<string, number>; by_staff: StaffAlerts[] }
  cases: {
    complaints: number
    investigations: number
    holds_placed: number
    holds_within_sla: number
    holds_late: number
    holds_released: number
    restorations: number
    resolved: number
    resolved_within_sla: number
    resolved_late: number
  }
  complaints_by_category: Record<string, number>
}

const WARNING = 'inactivity_warning'
const DELIVERED = 'DELIVRD'

const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}

/** Number actions counted as distinct numbers, by the field of `numbers` they count in. */
const NUMBER_ACTIONS: Record<string, Exclude<keyof MonthlyCounts['numbers'], 'warned'>> = {
  'number.suspended': 'suspended',
  'number.withdrawn': 'withdrawn',
  'number.terminated': 'terminated',
  'number.withdrawn_by_legal_order': 'withdrawn_by_legal_order',
  'number.reclaimed': 'reclaimed',
  'number.reinstated': 'reinstated',
  'number.aged_out': 'recycled',
}

const emptyCounts = (): MonthlyCounts => ({
  leaves_counted: 0,
  numbers: {
    warned: 0,
    suspended: 0,
    withdrawn: 0,
    terminated: 0,
    withdrawn_by_legal_order: 0,
    reclaimed: 0,
    reinstated: 0,
    recycled: 0,
  },
  warnings: { queued: 0, delivered: 0, undelivered: 0, failed: 0, receipts_missing: 0 },
  transfers: { executed: 0, with_holder_reply: 0 },
  sim_swaps: { executed: 0, with_holder_reply: 0, without_holder_reply: 0 },
  alerts: { raised: 0, repeats: 0, by_kind: {}, by_staff: [] },
  cases: {
    complaints: 0,
    investigations: 0,
    holds_placed: 0,
    holds_within_sla: 0,
    holds_late: 0,
    holds_released: 0,
    restorations: 0,
    resolved: 0,
    resolved_within_sla: 0,
    resolved_late: 0,
  },
  complaints_by_category: {},
})

/** Whether the leaf at `at` met the deadline its data names (`field`); a leaf without one counts as late. */
const withinDeadline = (at: number, data: Record<string, unknown>, field: string) => {
  const due = typeof data[field] === 'string' ? Date.parse(data[field] as string) : Number.NaN
  return at <= due
}

/** Counts one month's leaves as they stream by; `from`/`to` are ISO instants (its bounds in the operator's zone). */
export class MonthCounter {
  private readonly t0: number
  private readonly t1: number
  private readonly out = emptyCounts()
  private readonly distinct = new Map<keyof MonthlyCounts['numbers'], Set<string>>()
  private readonly staff = new Map<string, StaffAlerts>()

  constructor(from: string, to: string) {
    this.t0 = Date.parse(from)
    this.t1 = Date.parse(to)
  }

  private seen(field: keyof MonthlyCounts['numbers'], msisdn: string | null) {
    if (!msisdn) return
    const set = this.distinct.get(field) ?? new Set<string>()
    this.distinct.set(field, set)
    set.add(msisdn)
  }

  add(leaf: ReportLeaf): void {
    const at = Date.parse(leaf.at)
    if (!(at >= this.t0 && at < this.t1)) return
    const out = this.out
    out.leaves_counted++
    const data = obj(leaf.data)
    const warning = data.purpose === WARNING
    const numberField = NUMBER_ACTIONS[leaf.action]
    if (numberField) this.seen(numberField, leaf.msisdn)
    switch (leaf.action) {
      case 'sms.notice_queued':
        if (warning) {
          out.warnings.queued++
          this.seen('warned', leaf.msisdn)
        }
        break
      case 'sms.notice_evidenced':
        if (warning) {
          const finals = Array.isArray(data.final_states) ? data.final_states : []
          if (finals.length > 0 && finals.every((s) => s === DELIVERED)) out.warnings.delivered++
          else out.warnings.undelivered++
        }
        break
      case 'sms.notice_failed':
        if (warning) out.warnings.failed++
        break
      case 'sms.receipts_missing':
        if (warning) out.warnings.receipts_missing++
        break
      case 'number.transferred':
        out.transfers.executed++
        out.transfers.with_holder_reply++
        break
      case 'sim.swapped':
        out.sim_swaps.executed++
        if (data.kind === 'sim_swap_lost') out.sim_swaps.without_holder_reply++
        else out.sim_swaps.with_holder_reply++
        break
      case 'alert.raised':
      case 'alert.repeated':
        this.alert(leaf, data)
        break
      case 'case.opened':
        if (data.kind === 'investigation') out.cases.investigations++
        else {
          out.cases.complaints++
          const category = String(data.category)
          out.complaints_by_category[category] = (out.complaints_by_category[category] ?? 0) + 1
        }
        break
      case 'hold.placed':
        out.cases.holds_placed++
        if (withinDeadline(at, data, 'hold_due_at')) out.cases.holds_within_sla++
        else out.cases.holds_late++
        break
      case 'hold.released':
        out.cases.holds_released++
        break
      case 'number.restored':
        out.cases.restorations++
        break
      case 'case.findings_recorded':
        out.cases.resolved++
        if (withinDeadline(at, data, 'resolution_due_at')) out.cases.resolved_within_sla++
        else out.cases.resolved_late++
        break
    }
  }

  private alert(leaf: ReportLeaf, data: Record<string, unknown>) {
    const raised = leaf.action === 'alert.raised'
    const kind = String(raised ? obj(leaf.after).kind : data.kind)
    const alerts = this.out.alerts
    if (raised) alerts.raised++
    else alerts.repeats++
    alerts.by_kind[kind] = (alerts.by_kind[kind] ?? 0) + 1
    const actor = obj(leaf.actor)
    if (actor.kind !== 'staff' || typeof actor.staff_id !== 'string') return
    const s = this.staff.get(actor.staff_id) ?? {
      staff_id: actor.staff_id,
      username: null,
      raised: 0,
      repeats: 0,
      by_kind: {},
    }
    this.staff.set(actor.staff_id, s)
    if (typeof actor.username === 'string') s.username = actor.username
    if (raised) s.raised++
    else s.repeats++
    s.by_kind[kind] = (s.by_kind[kind] ?? 0) + 1
  }

  result(): MonthlyCounts {
    const out = structuredClone(this.out)
    for (const [field, set] of this.distinct) out.numbers[field] = set.size
    out.alerts.by_staff = [...this.staff.values()]
      .map((s) => structuredClone(s))
      .sort((a, b) => b.raised + b.repeats - (a.raised + a.repeats) || (a.staff_id < b.staff_id ? -1 : 1))
    return out
  }
}

export function countMonth(leaves: Iterable<ReportLeaf>, from: string, to: string): MonthlyCounts {
  const counter = new MonthCounter(from, to)
  for (const leaf of leaves) counter.add(leaf)
  return counter.result()
}
