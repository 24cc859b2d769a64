import { useQueryClient } from '@tanstack/react-query'
import type { ReactNode } from 'react'
import { can } from '../access'
import { api } from '../api'
import { fmtTime, TZ_LABEL } from '../format'
import { navigate, useLocation } from '../router'
import { useMeta } from '../session'
import type { Me } from '../types'
import { Link } from './Link'
import { LookupBox } from './LookupBox'

const NAV = [
  { to: '/', label: 'Dashboard', id: 'dashboard', area: null },
  { to: '/numbers', label: 'Numbers', id: 'numbers', area: 'numbers' },
  { to: '/recycling', label: 'Recycling', id: 'recycling', area: 'recycling' },
  { to: '/requests', label: 'Requests', id: 'requests', area: 'requests' },
  { to: '/cases', label: 'Cases', id: 'cases', area: 'cases' },
  { to: '/alerts', label: 'Alerts', id: 'alerts', area: 'alerts' },
  { to: '/audit', label: 'Audit log', id: 'audit', area: 'audit' },
  { to: '/reports/monthly', label: 'Monthly report', id: 'monthly-report', area: 'reports' },
  { to: '/reports/disconnections', label: 'Disconnections', id: 'reports', area: 'reports' },
  { to: '/partner-access', label: 'Partner access', id: 'partner-access', area: 'partnerAccess' },
  { to: '/phone', label: 'Phone (demo)', id: 'phone', area: 'phone' },
  { to: '/partner', label: 'Partner (demo)', id: 'partner', area: 'phone' },
  { to: '/inventory', label: 'Inventory', id: 'inventory', area: 'inventory' },
  { to: '/admin', label: 'Administration', id: 'admin', area: 'staff' },
] as const

export function Layout({ me, children }: { me: Me; children: ReactNode }) {
  const { path } = useLocation()
  const meta = useMeta()
  const qc = useQueryClient()
  const roles = me.staff.roles

  async function signOut() {
    try {
      await api('/api/v1/auth/sign-out', { method: 'POST', noRedirect: true })
    } catch {
      // The session may already be gone; sign-in is where we go either way.
    }
    qc.clear()
    navigate('/sign-in', { replace: true })
  }

  const active = (to: string) => (to === '/' ? path === '/' : path === to || path.startsWith(`${to}/`))

  return (
    <div className="shell">
      <nav className="sidenav" aria-label="Main">
        <div className="brand">
          num<span>guard</span>
        </div>
        <ul>
          {NAV.filter((n) => n.area === null || can(roles, n.area))
            // The phone reads the embedded SMSC, which only demo mode runs.
            // The demo partner and its sink exist in demo mode only too.
            .filter((n) => (n.id !== 'phone' && n.id !== 'partner') || meta.data?.mode === 'demo')
            .map((n) => (
              <li key={n.id}>
                <Link to={n.to} className={active(n.to) ? 'active' : undefined} data-testid={`nav-${n.id}`}>
                  {n.label}
                </Link>
              </li>
            ))}
          <li>
            <a href="/docs" target="_blank" rel="noreferrer" data-testid="nav-docs">
              API docs ↗
            </a>
          </li>
        </ul>
        <div className="sidenav-foot">
          {meta.data && (
            <span className={`mode mode-${meta.data.mode}`} data-testid="mode">
              {meta.data.mode}
            </span>
          )}
          {meta.data && <span className="version">v{meta.data.version}</span>}
        </div>
      </nav>
      <div className="main">
        <header className="topbar">
          {can(roles, 'lookup') ? <LookupBox /> : <div />}
          <div className="who">
            {meta.data && (
              <span className="clock" title={`numguard clock, ${TZ_LABEL}`} data-testid="header-clock">
                clock {fmtTime(meta.data.now)}
              </span>
            )}
            <span className="user" data-testid="current-user">
              {me.staff.display_name} <small>({roles.join(', ') || 'no roles'})</small>
            </span>
            <button type="button" className="btn ghost small" onClick={signOut} data-testid="sign-out">
              Sign out
            </button>
          </div>
        </header>
        <main className="content">{children}</main>
      </div>
    </div>
  )
}
