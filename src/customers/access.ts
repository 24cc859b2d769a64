// Who sees a subscriber's details, and how much (invariant 10; FCC 23-95: staff cannot see account data before the
// customer is authenticated). An agent sees them only inside an open customer session of their own staff session;
// supervisors, compliance officers and auditors keep the view their work needs (approvals, cases, audits): names
// masked, numbers in full. Anyone else with view_subscribers is an agent and is refused.
import type { StaffActor } from '../access/index.ts'
import { type CommandDeps, runCommand } from '../audit/index.ts'
import type { Actor } from '../domain/actor.ts'
import type { Role } from '../domain/roles.ts'
import { CustomerSessionRequiredError } from './errors.ts'
import { openSessionFor } from './queries.ts'

export const SEES_DETAILS_FOR_THEIR_WORK: readonly Role[] = ['supervisor', 'compliance_officer', 'auditor']

/** `full`: inside a customer session; `work`: a supervisor's, compliance officer's or auditor's view. */
export type SubscriberView = { kind: 'full'; customerSessionId: string; expiresAt: Date } | { kind: 'work' }

/** True when this staff member sees details only inside a customer session (an agent, and nothing more). */
export function needsCustomerSession(actor: Actor | undefined): boolean {
  return actor?.kind === 'staff' && !actor.roles.some((r) => SEES_DETAILS_FOR_THEIR_WORK.includes(r))
}

/**
 * The view `actor` has of subscriber `subscriberId` now. An agent without a customer session is refused with 403
 * `customer_session_required`, and the refusal leaves an info alert naming them (issue 4 item 10).
 */
export async function subscriberViewFor(
  deps: CommandDeps,
  actor: StaffActor,
  subscriberId: string,
): Promise<SubscriberView> {
  const now = deps.clock.now()
  const session = await openSessionFor(
    deps.db,
    { staffId: actor.staffId, staffSessionId: actor.sessionId, subscriberId },
    now,
  )
  if (session?.expires_at)
    return { kind: 'full', customerSessionId: session.id, expiresAt: new Date(session.expires_at) }
  if (!needsCustomerSession(actor)) return { kind: 'work' }
  const refusal = new CustomerSessionRequiredError(subscriberId).withAlert({
    kind: 'customer_session_required',
    severity: 'info',
    attempt: { action: 'view_subscriber', subscriber_id: subscriberId },
  })
  // Through the write path so that the alert (and its audit record) is written exactly as for any refusal.
  return runCommand(deps, actor, async () => {
    throw refusal
  })
}
