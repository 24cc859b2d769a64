// How much of the account behind a number a caller sees (invariant 10; FCC 23-95: staff cannot see account data
// before the customer is authenticated). A number itself (state, category, whether it is held) is inventory; who
// holds it, their SIMs, what was sent to them and the details of their custody's events are the account.
//   work        supervisors, compliance officers, auditors: what their work needs (holders masked as on the
//               subscriber page, ICCIDs and the trail in full)
//   holder      an agent inside a customer session for the current holder: that holder's custodies, SIMs, notices
//               and records in full; former holders of the number stay withheld (they did not authenticate)
//   restricted  anyone else (an agent without that session, an inventory manager): the number only
import type { Kysely } from 'kysely'
import { needsCustomerSession, openSessionFor } from '../customers/index.ts'
import type { DB } from '../db/types.ts'
import type { Actor } from '../domain/actor.ts'

export interface CustodyPeriod {
  id: string
  startedAt: Date
  endedAt: Date | null
}

export type NumberAccountView =
  | { kind: 'work' }
  | {
      kind: 'holder'
      subscriberId: string
      customerSession: { id: string; expiresAt: Date }
      /** The holder's custodies of this number: what falls inside them is theirs. */
      periods: CustodyPeriod[]
    }
  | { kind: 'restricted' }

/** The parts of a number's page an account view leaves out, as the API names them. */
export const WITHHELD_WHEN_RESTRICTED = ['holder', 'custodies', 'sim_bindings', 'history_details', 'notice_bodies']
export const WITHHELD_FROM_HOLDER = ['former_holders']

/** The view `actor` has now of the account behind `msisdn` (its current holder's). */
export async function numberAccountView(
  db: Kysely<DB>,
  actor: Actor | undefined,
  msisdn: string,
  now: Date,
): Promise<NumberAccountView> {
  if (actor?.kind !== 'staff') return { kind: 'restricted' }
  if (!needsCustomerSession(actor)) return { kind: 'work' }
  const holding = await db
    .selectFrom('custodies')
    .select('subscriber_id')
    .where('msisdn', '=', msisdn)
    .where('ended_at', 'is', null)
    .executeTakeFirst()
  if (!holding) return { kind: 'restricted' }
  const session = await openSessionFor(
    db,
    { staffId: actor.staffId, staffSessionId: actor.sessionId, subscriberId: holding.subscriber_id },
    now,
  )
  if (!session?.expires_at) return { kind: 'restricted' }
  const custodies = await db
    .selectFrom('custodies')
    .select(['id', 'started_at', 'ended_at'])
    .where('msisdn', '=', msisdn)
    .where('subscriber_id', '=', holding.subscriber_id)
    .execute()
  return {
    kind: 'holder',
    subscriberId: holding.subscriber_id,
    customerSession: { id: session.id, expiresAt: new Date(session.expires_at) },
    periods: custodies.map((c) => ({
      id: c.id,
      startedAt: new Date(c.started_at),
      endedAt: c.ended_at ? new Date(c.ended_at) : null,
    })),
  }
}

/**
 * Of `subscriberIds`, those whose accounts `actor` sees now: all in the work view, those with an open customer
 * session of theirs for an agent, none otherwise. For answers that span several accounts (a SIM's numbers).
 */
export async function accountsInView(
  db: Kysely<DB>,
  actor: Actor | undefined,
  subscriberIds: readonly string[],
  now: Date,
): Promise<Set<string>> {
  if (actor?.kind !== 'staff') return new Set()
  if (!needsCustomerSession(actor)) return new Set(subscriberIds)
  const seen = new Set<string>()
  for (const subscriberId of new Set(subscriberIds)) {
    const who = { staffId: actor.staffId, staffSessionId: actor.sessionId, subscriberId }
    if (await openSessionFor(db, who, now)) seen.add(subscriberId)
  }
  return seen
}

/** Whether a custody is the authenticated holder's (work: every custody). */
export function seesCustody(view: NumberAccountView, custodyId: string | null): boolean {
  if (view.kind === 'work') return true
  return view.kind === 'holder' && custodyId !== null && view.periods.some((p) => p.id === custodyId)
}

/** Whether something that happened at `at` on this number falls in the authenticated holder's custody. */
export function seesMoment(view: NumberAccountView, at: Date | string): boolean {
  if (view.kind === 'work') return true
  if (view.kind === 'restricted') return false
  const t = new Date(at).getTime()
  return view.periods.some((p) => p.startedAt.getTime() <= t && (p.endedAt === null || t <= p.endedAt.getTime()))
}

/**
 * The account part of a number's answers: which view, what was left out, and whether a customer session would
 * show more. A number nobody ever held has no account: nothing is withheld.
 */
export function presentAccountView(
  view: NumberAccountView,
  holding: { held: boolean; everHeld: boolean },
  mayVerify: boolean,
) {
  const { held } = holding
  const withheld =
    view.kind === 'holder'
      ? WITHHELD_FROM_HOLDER
      : view.kind === 'restricted' && holding.everHeld
        ? WITHHELD_WHEN_RESTRICTED
        : []
  return {
    view: view.kind,
    held,
    customer_session:
      view.kind === 'holder'
        ? { id: view.customerSession.id, expires_at: view.customerSession.expiresAt.toISOString() }
        : null,
    withheld,
    verify_customer: view.kind === 'restricted' && held && mayVerify,
    message:
      view.kind !== 'restricted' || withheld.length === 0
        ? null
        : !held
          ? 'Nobody holds this number now; its former holders’ details are not shown to your role.'
          : mayVerify
            ? 'Verify the customer (a code sent to the number, or their ID document) to see the account details.'
            : 'The holder’s account details are not shown to your role.',
  }
}
