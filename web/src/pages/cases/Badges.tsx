import '../../styles-cases.css'
import { fmtTime, label } from '../../format'
import type { CaseSla, ProofCheck, SlaClock } from './caseTypes'

const SLA_NAMES = { hold: 'Hold', first_response: 'First response', resolution: 'Resolution' } as const

/** One service-level clock as a coloured badge: met (green), breached (red), pending (amber). */
export function SlaBadge({ name, clock }: { name: keyof CaseSla; clock: SlaClock }) {
  const title = `${SLA_NAMES[name]}: due ${fmtTime(clock.due_at)}${clock.done_at ? `, done ${fmtTime(clock.done_at)}` : ''}`
  return (
    <span className={`badge sla-${clock.state}`} title={title} data-testid={`sla-${name}`} data-state={clock.state}>
      {SLA_NAMES[name]}: {label(clock.state)}
    </span>
  )
}

/** The three clocks of a case in a row (the cases list). */
export function SlaBadges({ sla }: { sla: CaseSla }) {
  return (
    <span className="sla-cell">
      <SlaBadge name="hold" clock={sla.hold} />
      <SlaBadge name="first_response" clock={sla.first_response} />
      <SlaBadge name="resolution" clock={sla.resolution} />
    </span>
  )
}

/** The three clocks with their deadlines and how long each took (the case page). */
export function SlaClocks({ sla }: { sla: CaseSla }) {
  return (
    <div className="sla-clocks" data-testid="case-sla">
      {(Object.keys(SLA_NAMES) as (keyof CaseSla)[]).map((name) => {
        const c = sla[name]
        return (
          <div key={name} className={`sla-clock state-${c.state}`} data-testid={`sla-clock-${name}`}>
            <SlaBadge name={name} clock={c} />
            <span className="muted">due {fmtTime(c.due_at)}</span>
            <span>
              {c.done_at
                ? `done ${fmtTime(c.done_at)} (${c.hours_taken} h after opening)`
                : c.state === 'not_required'
                  ? 'not required for this category'
                  : 'not done yet'}
            </span>
          </div>
        )
      })}
    </div>
  )
}

export function CaseStatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge case-status-${status}`} data-testid="case-status" data-state={status}>
      {label(status)}
    </span>
  )
}

const PROOF_TEXT: Record<ProofCheck, string> = {
  verified: 'proof verified',
  awaiting_checkpoint: 'awaiting checkpoint',
  failed: 'proof failed',
}

export function ProofBadge({ proof }: { proof: ProofCheck }) {
  return (
    <span className={`badge proof-${proof}`} data-testid="proof-status" data-state={proof}>
      {PROOF_TEXT[proof]}
    </span>
  )
}
