import { useState } from 'react'
import { Empty, QueryView } from '../../components/Status'
import { fmtTime, label } from '../../format'
import { useStaffList } from './adminTypes'
import { StaffActions } from './StaffActions'
import { StaffForm } from './StaffForm'
import { StaffRequests } from './StaffRequests'
import { StaffSignals } from './StaffSignals'

/**
 * Staff accounts with what the caller may do about each (the server's abilities); an admin also gets the form to
 * create one and the role grants and credential resets to execute once approved. Those who read the audit log open
 * a member's risk signals (src/analysis).
 */
export function StaffPanel({ manage, requests, signals }: { manage: boolean; requests: boolean; signals?: boolean }) {
  const q = useStaffList()
  const [shown, setShown] = useState<{ id: string; username: string } | null>(null)
  return (
    <div className="panel-stack">
      <section className="card">
        <h2>Staff accounts</h2>
        <QueryView q={q} what="staff accounts">
          {(p) =>
            p.items.length === 0 ? (
              <Empty title="No staff accounts">Create the first one with the form below.</Empty>
            ) : (
              <div className="table-wrap">
                <table className="table" data-testid="admin-staff-table">
                  <thead>
                    <tr>
                      <th>Username</th>
                      <th>Name</th>
                      <th>Roles</th>
                      <th>Shop</th>
                      <th>Status</th>
                      <th>MFA</th>
                      <th />
                    </tr>
                  </thead>
                  <tbody>
                    {p.items.map((s) => (
                      <tr key={s.id} data-testid="admin-staff-row" data-username={s.username}>
                        <td className="mono" title={s.id}>
                          {s.username}
                        </td>
                        <td>{s.display_name}</td>
                        <td>
                          {s.roles.map((r) => (
                            <span key={r} className="pill role">
                              {label(r)}
                            </span>
                          ))}
                        </td>
                        <td className="mono">{s.shop_id ?? '—'}</td>
                        <td>
                          <span className={`badge status-${s.status}`} title={s.suspension_reason ?? undefined}>
                            {label(s.status)}
                          </span>
                          {s.approver_cooling_until && (
                            <div className="hint" title="7 days after a role grant or credential reset">
                              approves nothing until {fmtTime(s.approver_cooling_until)}
                            </div>
                          )}
                        </td>
                        <td>{s.mfa_enrolled ? 'enrolled' : '—'}</td>
                        <td>
                          <StaffActions s={s} />
                          {signals && (
                            <button
                              type="button"
                              className="btn small"
                              onClick={() => setShown({ id: s.id, username: s.username })}
                              data-testid="staff-signals-open"
                            >
                              Signals
                            </button>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </QueryView>
      </section>
      {signals && shown && <StaffSignals key={shown.id} id={shown.id} username={shown.username} />}
      {requests && <StaffRequests />}
      {manage && <StaffForm />}
    </div>
  )
}
