import { can } from '../../access'
import { qs } from '../../api'
import { navigate, useLocation } from '../../router'
import type { Me } from '../../types'
import { ClientsPanel } from './ClientsPanel'
import { ShopsPanel } from './ShopsPanel'
import { StaffPanel } from './StaffPanel'

const TABS = [
  { id: 'staff', label: 'Staff' },
  { id: 'shops', label: 'Shops' },
  { id: 'clients', label: 'Machine clients' },
] as const
type Tab = (typeof TABS)[number]['id']

/** Staff accounts, shops and machine clients: an admin creates them; compliance officers and auditors read. */
export function AdminPage({ me }: { me: Me }) {
  const { query } = useLocation()
  const manage = can(me.staff.roles, 'manageStaff')
  const tab: Tab = TABS.find((t) => t.id === query.get('tab'))?.id ?? 'staff'
  const go = (t: Tab) => navigate(`/admin${qs({ tab: t === 'staff' ? undefined : t })}`, { replace: true })
  return (
    <div className="page" data-testid="page-admin">
      <h1>Administration</h1>
      <p className="muted">
        {manage
          ? 'Staff accounts, shops and machine clients. Roles and credential resets are requests a compliance officer approves.'
          : 'Staff accounts, shops and machine clients, read-only: only an admin creates them.'}
      </p>
      <div className="tabs" role="tablist" aria-label="Administration">
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`admin-tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls="admin-panel"
            onClick={() => go(t.id)}
            data-testid={`admin-tab-${t.id}`}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id="admin-panel" aria-labelledby={`admin-tab-${tab}`}>
        {tab === 'staff' && (
          <StaffPanel
            manage={manage}
            requests={manage || can(me.staff.roles, 'suspendStaff')}
            signals={can(me.staff.roles, 'audit')}
          />
        )}
        {tab === 'shops' && <ShopsPanel manage={manage} />}
        {tab === 'clients' && <ClientsPanel manage={manage} />}
      </div>
    </div>
  )
}
