import type { ReactNode } from 'react'
import type { Area } from './access'
import { AdminPage } from './pages/admin/AdminPage'
import { AlertsPage } from './pages/alerts/AlertsPage'
import { AuditPage } from './pages/audit/AuditPage'
import { CasePage } from './pages/cases/CasePage'
import { CasesPage } from './pages/cases/CasesPage'
import { DashboardPage } from './pages/dashboard/DashboardPage'
import { InventoryPage } from './pages/inventory/InventoryPage'
import { NumberDetailPage } from './pages/number/NumberDetailPage'
import { NumbersPage } from './pages/numbers/NumbersPage'
import { PartnerAccessPage } from './pages/partner/PartnerAccessPage'
import { PartnerPage } from './pages/partner/PartnerPage'
import { PhonePage } from './pages/phone/PhonePage'
import { RecyclingPage } from './pages/recycling/RecyclingPage'
import { DisconnectionsPage } from './pages/reports/DisconnectionsPage'
import { MonthlyReportPage } from './pages/reports/MonthlyReportPage'
import { RequestsPage } from './pages/requests/RequestsPage'
import { SellPage } from './pages/sell/SellPage'
import { SimPage } from './pages/sim/SimPage'
import { SubscriberPage } from './pages/subscriber/SubscriberPage'
import type { Me } from './types'

export interface Route {
  pattern: string
  area: Area | null
  render: (params: Record<string, string>, me: Me) => ReactNode
}

/** Every page of the console after sign-in. `area` decides who may open it (see access.ts). */
export const ROUTES: Route[] = [
  { pattern: '/', area: null, render: (_, me) => <DashboardPage me={me} /> },
  { pattern: '/numbers', area: 'numbers', render: () => <NumbersPage /> },
  { pattern: '/numbers/:msisdn', area: 'numbers', render: (p) => <NumberDetailPage msisdn={p.msisdn} /> },
  { pattern: '/numbers/:msisdn/sell', area: 'sell', render: (p, me) => <SellPage msisdn={p.msisdn} me={me} /> },
  { pattern: '/sims/:iccid', area: 'numbers', render: (p) => <SimPage iccid={p.iccid} /> },
  { pattern: '/subscribers/:id', area: 'lookup', render: (p) => <SubscriberPage id={p.id} /> },
  { pattern: '/alerts', area: 'alerts', render: () => <AlertsPage /> },
  { pattern: '/audit', area: 'audit', render: () => <AuditPage /> },
  { pattern: '/inventory', area: 'inventory', render: () => <InventoryPage /> },
  { pattern: '/admin', area: 'staff', render: (_, me) => <AdminPage me={me} /> },
  { pattern: '/cases', area: 'cases', render: () => <CasesPage /> },
  { pattern: '/cases/:id', area: 'cases', render: (p, me) => <CasePage id={p.id} me={me} /> },
  { pattern: '/requests', area: 'requests', render: (_, me) => <RequestsPage me={me} /> },
  { pattern: '/recycling', area: 'recycling', render: (_, me) => <RecyclingPage roles={me.staff.roles} /> },
  { pattern: '/reports/monthly', area: 'reports', render: () => <MonthlyReportPage /> },
  {
    pattern: '/reports/disconnections',
    area: 'reports',
    render: (_, me) => <DisconnectionsPage roles={me.staff.roles} />,
  },
  { pattern: '/partner-access', area: 'partnerAccess', render: () => <PartnerAccessPage /> },
  { pattern: '/partner', area: 'phone', render: () => <PartnerPage /> },
  { pattern: '/phone', area: 'phone', render: () => <PhonePage /> },
  { pattern: '/phone/:msisdn', area: 'phone', render: (p) => <PhonePage msisdn={p.msisdn} /> },
]
