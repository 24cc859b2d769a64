// What a person's decision about a custody's cycle acts on, locked in the order every writer follows (the number,
// then its recycling row), and refused unless a cycle is running that the sweep has set up.
import { authorize, type StaffActor } from '../access/index.ts'
import type { CommandContext } from '../audit/index.ts'
import { ConflictError, NotFoundError } from '../domain/errors.ts'
import type { Permission } from '../domain/roles.ts'
import { cycleIsCurrent } from './decision-policies.ts'
import { custodyHolder, latestCustodyId, lockNumberRow, lockStateRow, policyParams } from './queries.ts'
import type { CycleContext } from './steps.ts'

export async function loadDecisionContext(
  ctx: CommandContext,
  msisdn: string,
  permission: Permission,
): Promise<{ c: CycleContext; staff: StaffActor; numberState: string }> {
  // The route checked this already; a command called from elsewhere (CLI, tests) checks it again.
  const staff = authorize(ctx.actor, permission)
  const number = await lockNumberRow(ctx.tx, msisdn)
  if (!number) throw new NotFoundError('number', msisdn)
  const custodyId = await latestCustodyId(ctx.tx, msisdn)
  const row = custodyId ? await lockStateRow(ctx.tx, custodyId) : undefined
  const holder = custodyId ? await custodyHolder(ctx.tx, custodyId) : undefined
  const running =
    row &&
    holder &&
    holder.ended_at === null &&
    row.account_type === 'prepaid' &&
    ['active', 'suspended'].includes(number.state)
  if (!running || !row || !holder) {
    throw new ConflictError('not_in_cycle', `${msisdn} has no inactivity cycle running: there is nothing to decide`, {
      msisdn,
      number_state: number.state,
      stage: row?.stage ?? null,
    })
  }
  if (!cycleIsCurrent(row)) {
    throw new ConflictError(
      'cycle_restarted',
      `${msisdn}'s cycle has moved on (a qualifying event or a decision started a new one): look again shortly`,
      { msisdn, cycle_no: row.cycle_no, seen_cycle_no: row.seen_cycle_no },
    )
  }
  const policy = await policyParams(ctx.tx, row.policy_version)
  return { c: { row, holder, policy, policyVersion: row.policy_version }, staff, numberState: number.state }
}
