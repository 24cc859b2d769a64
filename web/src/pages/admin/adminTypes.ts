// Shapes of the administration API (src/staff/admin-routes.ts, src/staff/administration.ts) and the lists the
// forms offer; keep ROLES in step with src/domain/roles.ts and SCOPES with MACHINE_SCOPES.
import { useQuery } from '@tanstack/react-query'
import { api } from '../../api'
import type { Page, Shop } from '../../types'

export interface StaffAccount {
  id: string
  username: string
  display_name: string
  roles: string[]
  shop_id: string | null
  status: string
  mfa_enrolled?: boolean
  suspended_at?: string | null
  suspension_reason?: string | null
  /** Until then this account approves nothing (7 days after a role grant or credential reset). */
  approver_cooling_until?: string | null
  /** What the caller may do about this account: the server's own predicates (src/access/policies.ts). */
  abilities?: { suspend: boolean; request_role_grant: boolean; request_credential_reset: boolean }
  /** POST /api/v1/staff: the role_grant request filed with the account. */
  role_grant_request?: { id: string; status: string; assigned_to: string | null } | null
}

export interface MachineClient {
  id: string
  name: string
  scopes: string[]
  status: string
  created_at: string
}

/** POST /api/v1/machine-clients answers the client with its secret, this once. */
export interface CreatedMachineClient extends MachineClient {
  client_secret?: string
  secret?: string
}

export const ROLES = [
  { id: 'agent', hint: 'sells numbers at a shop' },
  { id: 'supervisor', hint: 'oversees a shop, sees alerts' },
  { id: 'inventory_manager', hint: 'imports ranges and SIMs' },
  { id: 'compliance_officer', hint: 'alerts, audit, staff (read)' },
  { id: 'auditor', hint: 'reads everything, changes nothing' },
  { id: 'admin', hint: 'staff, shops, machine clients only' },
] as const

/** Roles that work at a shop: an account holding one needs a shop. */
export const SHOP_ROLES = ['agent', 'supervisor']

export const SCOPES = [
  { id: 'activity:ingest', hint: 'send top-up, payment and usage events (charging system)' },
  { id: 'provisioning', hint: 'consume and acknowledge bar / unbar / SIM-change events (HLR/HSS)' },
  { id: 'number-recycling:check', hint: 'ask whether a number changed hands since a date (CAMARA)' },
  { id: 'sim-swap:check', hint: 'ask whether a number changed SIM within the last hours (CAMARA)' },
  { id: 'sim-swap:retrieve-date', hint: 'ask when a number last changed SIM (CAMARA)' },
  { id: 'sim-swap', hint: 'both SIM Swap operations (CAMARA legacy scope)' },
] as const

export const adminKeys = {
  staff: ['admin', 'staff'] as const,
  clients: ['admin', 'machine-clients'] as const,
  shops: ['shops'] as const,
}

export function useStaffList() {
  return useQuery({
    queryKey: adminKeys.staff,
    queryFn: ({ signal }) => api<Page<StaffAccount>>('/api/v1/staff', { signal }),
  })
}

export function useShops() {
  return useQuery({ queryKey: adminKeys.shops, queryFn: ({ signal }) => api<Page<Shop>>('/api/v1/shops', { signal }) })
}

export function useMachineClients() {
  return useQuery({
    queryKey: adminKeys.clients,
    queryFn: ({ signal }) => api<Page<MachineClient>>('/api/v1/machine-clients', { signal }),
  })
}
