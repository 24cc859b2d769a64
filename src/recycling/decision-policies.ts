// When a person may decide about a waiting withdrawal, and who: small predicates the commands check and the number
// page's abilities mirror (deny by default).
import { can } from '../access/index.ts'
import type { Actor } from '../domain/actor.ts'

/** A notice in one of these states will never be evidence (DOMAIN: never final, never resent). */
export const UNEVIDENCEABLE = ['failed', 'unknown'] as const

export function isReplaceable(state: string): boolean {
  return (UNEVIDENCEABLE as readonly string[]).includes(state)
}

/** What a decision needs to know about a custody's recycling row. */
export interface DecisionFacts {
  stage: string
  step: string
  waiting_reason: string | null
  cycle_no: number
  seen_cycle_no: number | null
  last_usage_at: Date | null
  usage_veto_override_cycle_no: number | null
}

/** The cycle the row describes is the one running (no top-up arrived since the sweep last set it up). */
export function cycleIsCurrent(f: DecisionFacts): boolean {
  return f.stage === 'in_cycle' && f.seen_cycle_no === f.cycle_no
}

/** The withdrawal waits on the usage veto, and usage still falls within the veto period now. */
export function waitingOnUsage(f: DecisionFacts, now: Date, vetoDays: number): boolean {
  const reasons = f.step === 'waiting' ? (f.waiting_reason ?? '').split(',') : []
  return (
    cycleIsCurrent(f) &&
    reasons.includes('usage_veto') &&
    f.last_usage_at !== null &&
    now.getTime() - f.last_usage_at.getTime() < vetoDays * 86_400_000
  )
}

/** The buttons the number page may show: the server checks the same predicates again on each decision. */
export function decisionAbilities(
  actor: Actor | undefined,
  facts: { usageDecisionOpen: boolean; replaceableWarnings: number },
) {
  return {
    decide_usage_veto: facts.usageDecisionOpen && can(actor, 'decide_usage_veto'),
    rewarn: facts.replaceableWarnings > 0 && can(actor, 'replace_warnings'),
  }
}
