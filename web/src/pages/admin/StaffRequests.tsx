import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { api, seg } from '../../api'
import { Link } from '../../components/Link'
import { ErrorBox, QueryView } from '../../components/Status'
import { fmtTime, label } from '../../format'
import type { Page } from '../../types'
import type { RequestView } from '../requests/requestTypes'
import { adminKeys } from './adminTypes'

const KINDS = ['role_grant', 'credential_reset'] as const

/**
 * Role grants and credential resets: filed by an admin, approved by a compliance officer in the requests inbox,
 * executed by the admin here (a credential reset shows the new password once).
 */
export function StaffRequests() {
  const qc = useQueryClient()
  const [password, setPassword] = useState<{ username: string; value: string } | null>(null)
  const q = useQuery({
    queryKey: ['admin', 'staff-requests'],
    queryFn: async ({ signal }) => {
      const pages = await Promise.all(
        KINDS.map((k) => api<Page<RequestView>>(`/api/v1/requests?kind=${k}&limit=50`, { signal })),
      )
      return { items: pages.flatMap((p) => p.items).sort((a, b) => b.requested_at.localeCompare(a.requested_at)) }
    },
  })
  const execute = useMutation({
    mutationFn: async (r: RequestView) => {
      if (r.kind !== 'credential_reset') return api(`/api/v1/requests/${seg(r.id)}/execute`, { method: 'POST' })
      const out = await api<{ temporary_password: string }>(`/api/v1/staff/credential-resets/${seg(r.id)}/execute`, {
        method: 'POST',
      })
      setPassword({ username: String(r.payload?.username ?? ''), value: out.temporary_password })
    },
    onSettled: () => {
      qc.invalidateQueries({ queryKey: ['admin', 'staff-requests'] })
      qc.invalidateQueries({ queryKey: adminKeys.staff })
    },
  })
  return (
    <section className="card" data-testid="staff-requests">
      <h2>Role grants and credential resets</h2>
      <p className="muted">
        Approved by a compliance officer in <Link to="/requests">Requests</Link>, then executed by the admin who asked.
      </p>
      {password && (
        <div className="secret-box" role="alert" data-testid="staff-temporary-password">
          <p>
            New password of <strong>{password.username}</strong>, shown this once: hand it over in person. They enrol
            their authenticator again at the next sign-in.
          </p>
          <code className="secret-value">{password.value}</code>
          <button type="button" className="btn ghost" onClick={() => setPassword(null)}>
            Handed over — hide it
          </button>
        </div>
      )}
      {execute.error !== null && <ErrorBox error={execute.error} title="Not executed" />}
      <QueryView q={q} what="staff requests">
        {(p) =>
          p.items.length === 0 ? (
            <p className="muted">None yet.</p>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>What</th>
                  <th>For</th>
                  <th>Status</th>
                  <th>Approver</th>
                  <th>Asked</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {p.items.map((r) => (
                  <tr key={r.id} data-testid="staff-request-row" data-status={r.status}>
                    <td>
                      {r.kind_label}
                      {r.kind === 'role_grant' && Array.isArray(r.payload?.roles) && (
                        <span className="muted">
                          {' '}
                          — {(r.payload?.roles as string[] | undefined)?.map(label).join(', ')}
                        </span>
                      )}
                    </td>
                    <td className="mono">{String(r.payload?.username ?? '')}</td>
                    <td>
                      <span className={`badge status-${r.status}`}>{label(r.status)}</span>
                    </td>
                    <td>{r.assigned_to?.username ?? '—'}</td>
                    <td>{fmtTime(r.requested_at)}</td>
                    <td>
                      {r.abilities.execute && (
                        <button
                          type="button"
                          className="btn small primary"
                          disabled={execute.isPending}
                          onClick={() => execute.mutate(r)}
                          data-testid="staff-request-execute"
                        >
                          Execute
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </QueryView>
    </section>
  )
}
