import { can } from '../../access'
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
        <ClockCard />
      </div>
      {can(roles, 'alerts') && <RecentAlerts />}
    </div>
  )
}
