import { useStaffList } from '../admin/adminTypes'

/**
 * Names staff ids for the case views (cases give ids: opened_by, owner_id, placed_by…). Whoever reads cases may read
 * staff accounts (view_staff covers compliance officers and auditors); an id not found stays an id.
 */
export function useStaffNames(): (id: string | null | undefined) => string {
  const q = useStaffList()
  const byId = new Map((q.data?.items ?? []).map((s) => [s.id, s]))
  return (id) => {
    if (!id) return '—'
    const s = byId.get(id)
    return s ? `${s.display_name || s.username}${s.shop_id ? ` (${s.shop_id})` : ''}` : `${id.slice(0, 8)}…`
  }
}
