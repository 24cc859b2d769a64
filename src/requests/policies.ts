// Who may decide a request, as small predicates over plain facts (deny by default). The same predicate runs when
// the system assigns an approver, when the approver decides, and again when the request executes.
import { REQUEST_TABLE, type RequestKind } from '../domain/requests.ts'
import { lastGrantOrReset } from '../domain/roles.ts'
import type { RequestRecord, StaffFacts } from './queries.ts'

export type Ineligibility = 'own_request' | 'wrong_role' | 'suspended' | 'same_shop' | 'cooling_period' | 'not_assignee'

export const INELIGIBILITY_MESSAGES: Record<Ineligibility, string> = {
  own_request: 'Nobody approves their own request',
  wrong_role: 'This kind of request is approved by another role',
  suspended: 'A suspended staff member approves nothing',
  same_shop: 'This kind of request is approved by a supervisor of another shop than the requester’s',
  cooling_period: 'A new or reset approver cannot approve anything for 7 days after a role grant or credential reset',
  not_assignee: 'This request is assigned to another approver: only the assignee decides it',
}

/** Why `approver` may not decide `request` now, or null when they may. */
export function approverIneligibility(
  request: Pick<RequestRecord, 'kind' | 'requested_by' | 'assigned_to'>,
  approver: StaffFacts,
  requester: Pick<StaffFacts, 'shop_id'>,
  now: Date,
  options: { checkAssignee: boolean },
): Ineligibility | null {
  const rule = REQUEST_TABLE[request.kind as RequestKind]
  if (approver.id === request.requested_by) return 'own_request'
  if (!rule.approverRole || !approver.roles.includes(rule.approverRole)) return 'wrong_role'
  if (approver.status !== 'active') return 'suspended'
  if (rule.approverOtherShop && approver.shop_id === requester.shop_id) return 'same_shop'
  const cooling = rule.newApproverCoolingDays * 86_400_000
  // Counted from the approver's latest role grant or credential reset (staff.roles_granted_at, credentials_reset_at).
  const since = lastGrantOrReset(approver)
  if (cooling > 0 && since !== null && now.getTime() - since.getTime() < cooling) return 'cooling_period'
  if (options.checkAssignee && request.assigned_to !== null && request.assigned_to !== approver.id)
    return 'not_assignee'
  return null
}

/** The console mirrors these; the server decides again on every call. */
export interface RequestAbilities {
  approve: boolean
  reject: boolean
  execute: boolean
}
