// Who may file a change on a held number (issue 9 item 9): only an agent who authenticated its current holder — a
// customer session of theirs for that holder (src/customers), or the holder's ID document checked in the shop as
// part of the filing — and not more than a few times a day on one number, since every filing texts the holder.
import type { StaffActor } from '../access/index.ts'
import type { CommandContext } from '../audit/index.ts'
import { openSessionFor } from '../customers/index.ts'
import { DomainError } from '../domain/errors.ts'
import type { RequestKind } from '../domain/requests.ts'
import type { Holding } from './holding.ts'

/** Filings one agent may make on one number within FILING_WINDOW_HOURS (each one reaches the holder's phone). */
export const FILINGS_PER_AGENT_AND_NUMBER = 3
export const FILING_WINDOW_HOURS = 24

/** Filing without the holder authenticated: the details name the number only, never the holder's account. */
export class HolderSessionRequiredError extends DomainError {
  constructor(msisdn: string, kind: RequestKind) {
    super(
      'customer_session_required',
      403,
      `Authenticate the holder of ${msisdn} first: open a customer session with a code sent to their number or ` +
        'their ID document (POST /api/v1/customer-sessions), then file the change in that session',
      { msisdn, kind },
    )
  }
}

export class FilingLimitError extends DomainError {
  constructor(msisdn: string, limit: number, retryAfterSeconds: number) {
    super(
      'filing_limit_reached',
      429,
      `You already filed ${limit} changes on ${msisdn} in the last ${FILING_WINDOW_HOURS} hours: ask a colleague ` +
        'of another shop or a supervisor to look at this number',
      { msisdn, limit, window_hours: FILING_WINDOW_HOURS, retry_after_seconds: retryAfterSeconds },
    )
  }
}

/**
 * Refuses the filing unless `agent` authenticated the current holder (a customer session in this staff session, or
 * `holderIdChecked`: the holder's document already verified in this filing), then unless the agent's filings on
 * this number in the window reach the limit. Runs under lockHolding, so parallel filings on one number count in turn.
 */
export async function refuseUnauthenticatedFiling(
  ctx: CommandContext,
  agent: StaffActor,
  holding: Pick<Holding, 'msisdn' | 'subscriber_id'>,
  kind: RequestKind,
  options: { holderIdChecked: boolean },
): Promise<void> {
  const attempt = { action: `request_${kind}`, staff_id: agent.staffId, username: agent.username }
  if (!options.holderIdChecked) {
    const session = await openSessionFor(
      ctx.tx,
      { staffId: agent.staffId, staffSessionId: agent.sessionId, subscriberId: holding.subscriber_id },
      ctx.now,
    )
    if (!session) {
      throw new HolderSessionRequiredError(holding.msisdn, kind).withAlert({
        kind: 'customer_session_required',
        severity: 'risk',
        msisdn: holding.msisdn,
        attempt: { ...attempt, reason: 'no_customer_session' },
      })
    }
  }
  const since = new Date(ctx.now.getTime() - FILING_WINDOW_HOURS * 3_600_000)
  const filed = await ctx.tx
    .selectFrom('requests')
    .select('requested_at')
    .where('msisdn', '=', holding.msisdn)
    .where('requested_by', '=', agent.staffId)
    .where('requested_at', '>', since)
    .orderBy('requested_at')
    .execute()
  if (filed.length < FILINGS_PER_AGENT_AND_NUMBER) return
  // The window frees a filing when the oldest one counted in it leaves.
  const frees = new Date(filed[0].requested_at).getTime() + FILING_WINDOW_HOURS * 3_600_000
  const retry = Math.max(1, Math.ceil((frees - ctx.now.getTime()) / 1000))
  throw new FilingLimitError(holding.msisdn, FILINGS_PER_AGENT_AND_NUMBER, retry).withAlert({
    kind: 'filing_limit_reached',
    severity: 'warning',
    msisdn: holding.msisdn,
    attempt: { ...attempt, filed_in_window: filed.length, limit: FILINGS_PER_AGENT_AND_NUMBER },
  })
}
