// The worker's sweep of staff signals (issue 11, item 4): risky patterns raise an alert naming the staff member
// before anyone complains. Hourly, like the throttle prune (src/access/throttle-prune.ts).
import type { App } from '../app.ts'
import { ALERT_REPEAT_WINDOW_MS, audited, raiseAlert, runCommand } from '../audit/index.ts'
import type { Actor } from '../domain/actor.ts'
import { STAFF_RISK_ALERT } from './queries.ts'
import { newestLeaf } from './score.ts'
import { ALERT_THRESHOLD, type AnalysisOptions, DEFAULT_OPTIONS } from './settings.ts'
import { analyseActiveStaff, type StaffSignalsAnswer } from './signals.ts'

export const SIGNAL_SWEEP_INTERVAL_MS = 3_600_000
const SWEEPER: Actor = { kind: 'system', component: 'staff-signals' }
const lastSweep = new WeakMap<App, number>()

export interface SignalSweepOptions {
  threshold?: number
  days?: number
  options?: Partial<AnalysisOptions>
}

/** Sweeps when an hour has passed since this process last did (by the app's clock); returns the alerts raised. */
export async function raiseStaffRiskAlertsIfDue(app: App, sweep: SignalSweepOptions = {}): Promise<number> {
  const now = app.clock.now().getTime()
  const last = lastSweep.get(app)
  if (last !== undefined && now - last < SIGNAL_SWEEP_INTERVAL_MS) return 0
  const out = await raiseStaffRiskAlerts(app, sweep)
  lastSweep.set(app, now)
  return out.raised
}

/**
 * Raises a `staff_risk_signal` alert (risk) for each active staff member scoring at or above the threshold. The
 * alert's subject is the staff member and the newest leaf behind their figures: through the alert path, a rerun
 * within its repeat window counts a repeat on the same alert; after that window the same evidence raises nothing
 * again, and only new evidence (a newer leaf) raises a new alert. Returns how many were raised and repeated.
 */
export async function raiseStaffRiskAlerts(
  app: App,
  sweep: SignalSweepOptions = {},
): Promise<{ raised: number; repeated: number; quiet: number }> {
  const threshold = sweep.threshold ?? ALERT_THRESHOLD
  const options = { ...DEFAULT_OPTIONS, ...sweep.options }
  const staff = await analyseActiveStaff(app.db, { clock: app.clock, days: sweep.days, options })
  let raised = 0
  let repeated = 0
  let quiet = 0
  for (const s of staff) {
    if (s.score < threshold) continue
    const subject = `${STAFF_RISK_ALERT}:${s.staff.id}:${newestLeaf(s.signals, options) ?? 'none'}`
    if (await stale(app, s.staff.id, subject)) {
      quiet++
      continue
    }
    const alert = await runCommand(app.deps, SWEEPER, async (ctx) => {
      const a = await raiseAlert(ctx, draftFor(s, threshold, subject))
      return audited(a, [a.receipt])
    })
    if (alert.repeats > 1) repeated++
    else raised++
  }
  return { raised, repeated, quiet }
}

/** An alert of this subject exists and its repeat window is over: the evidence was already raised. */
async function stale(app: App, staffId: string, subject: string): Promise<boolean> {
  const seen = await app.db
    .selectFrom('alerts')
    .select('raised_at')
    .where('kind', '=', STAFF_RISK_ALERT)
    .where('staff_id', '=', staffId)
    .where('subject', '=', subject)
    .orderBy('raised_at', 'desc')
    .limit(1)
    .executeTakeFirst()
  return !!seen && app.clock.now().getTime() - new Date(seen.raised_at).getTime() >= ALERT_REPEAT_WINDOW_MS
}

function draftFor(s: StaffSignalsAnswer, threshold: number, subject: string) {
  const counts = Object.fromEntries(Object.entries(s.signals).map(([k, v]) => [k, v.count]))
  return {
    kind: STAFF_RISK_ALERT,
    severity: 'risk' as const,
    staffId: s.staff.id,
    subject,
    attempt: {
      score: s.score,
      threshold,
      since: s.since.toISOString(),
      until: s.until.toISOString(),
      signals: counts,
      newest_leaf: newestLeaf(s.signals),
    },
  }
}
