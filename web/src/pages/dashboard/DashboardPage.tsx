import { can } from '../../access'
import { Link } from '../../components/Link'
import type { Me } from '../../types'
import { ClockCard } from './ClockCard'
import { RecentAlerts } from './RecentAlerts'
import { StatsCard } from './StatsCard'

export function DashboardPage({ me }: { me: Me }) {
  const roles = me.staff.roles
  return (
    <div className="page" data-testid="page-dashboard">
      <h1>Dashboard</h1>
      <p className="muted">
        Welcome, {me.staff.display_name}.
        {me.staff.shop_id && (
          <>
            {' '}
            Shop <code>{me.staff.shop_id}</code>.
          </>
        )}
      </p>
      <div className="grid two">
        {can(roles, 'numbers') && <StatsCard />}
        {can(roles, 'manageStaff') && (
          <section className="card" data-testid="admin-card">
            <h2>Administration</h2>
            <p className="muted">Staff accounts, shops and machine clients. Every change is audited.</p>
            <div className="actions">
              <Link to="/admin" className="btn primary">
                Staff
              </Link>
              <Link to="/admin?tab=shops" className="btn">
                Shops
              </Link>
              <Link to="/admin?tab=clients" className="btn">
                Machine clients
              </Link>
            </div>
          </section>
        )}
        <ClockCard roles={roles} />
      </div>
      {can(roles, 'alerts') && <RecentAlerts />}
    </div>
  )
}
