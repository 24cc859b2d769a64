import { useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { api, qs } from '../../api'
import { Empty, QueryView } from '../../components/Status'
import type { Me } from '../../types'
import { RequestCard } from './RequestCard'
import type { RequestView } from './requestTypes'

const TABS = [
  { id: 'inbox', label: 'Assigned to me', query: { assigned_to_me: 'true', status: 'pending' } },
  { id: 'mine', label: 'My requests', query: { mine: 'true' } },
  { id: 'open', label: 'All pending', query: { status: 'pending' } },
  { id: 'all', label: 'All', query: {} },
] as const

/**
 * Four eyes: a supervisor's inbox of requests numguard assigned to them (never chosen by the requester), an agent's
 * own requests to execute once approved, and every request for those who oversee them.
 */
export function RequestsPage({ me }: { me: Me }) {
  const approver = me.staff.roles.includes('supervisor') || me.staff.roles.includes('compliance_officer')
  const [tab, setTab] = useState<(typeof TABS)[number]['id']>(approver ? 'inbox' : 'mine')
  const current = TABS.find((t) => t.id === tab) ?? TABS[0]
  const q = useQuery({
    queryKey: ['requests', tab],
    queryFn: ({ signal }) =>
      api<{ items: RequestView[] }>(`/api/v1/requests${qs({ ...current.query, limit: 100 })}`, { signal }),
    refetchInterval: 10_000,
  })
  return (
    <div className="page" data-testid="page-requests">
      <h1>Requests</h1>
      <p className="muted">
        Sensitive changes need a second person: the approver is assigned by numguard, must hold the approving role (of
        another shop where the rules say so), and approves the exact payload hash that is executed.
      </p>
      <div className="tabs" role="tablist">
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            aria-selected={t.id === tab}
            onClick={() => setTab(t.id)}
            data-testid={`requests-tab-${t.id}`}
          >
            {t.label}
          </button>
        ))}
      </div>
      <QueryView q={q} what="requests">
        {(data) =>
          data.items.length === 0 ? (
            <Empty title="No requests here">
              {tab === 'inbox' ? 'Nothing waits for your decision.' : 'Requests appear here as they are made.'}
            </Empty>
          ) : (
            <div className="panel-stack" data-testid="requests-list">
              {data.items.map((r) => (
                <RequestCard key={r.id} r={r} />
              ))}
            </div>
          )
        }
      </QueryView>
    </div>
  )
}
