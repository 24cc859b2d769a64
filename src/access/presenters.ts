// Staff accounts as administrators see them: never a password hash or a TOTP secret; with the caller's abilities.
import type { Actor } from '../domain/actor.ts'
import { approverCoolingUntil } from '../domain/roles.ts'
import { staffAbilities } from './policies.ts'
import { presentStaff } from './sessions.ts'

export interface StaffAdminRow {
  id: string
  username: string
  display_name: string
  roles: string[]
  shop_id: string | null
  status: string
  created_at: Date | string
  mfa_enrolled_at: Date | string | null
  roles_granted_at: Date | string | null
  credentials_reset_at: Date | string | null
  suspended_at: Date | string | null
  suspension_reason: string | null
}

export const STAFF_ADMIN_COLUMNS = [
  'id',
  'username',
  'display_name',
  'roles',
  'shop_id',
  'status',
  'created_at',
  'mfa_enrolled_at',
  'roles_granted_at',
  'credentials_reset_at',
  'suspended_at',
  'suspension_reason',
] as const

export function presentStaffForAdmin(s: StaffAdminRow, actor: Actor | undefined, now: Date) {
  const cooling = approverCoolingUntil(s)
  return {
    ...presentStaff(s),
    created_at: s.created_at,
    suspended_at: s.suspended_at,
    suspension_reason: s.suspension_reason,
    /** Until then this staff member approves nothing (7 days after a role grant or credential reset). */
    approver_cooling_until: cooling && cooling > now ? cooling : null,
    abilities: staffAbilities(actor, s),
  }
}
