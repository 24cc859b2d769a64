import { Empty, QueryView } from '../../components/Status'
import { label } from '../../format'
import { useStaffList } from './adminTypes'
import { StaffForm } from './StaffForm'

/** Staff accounts; an admin also gets the form to create one. */
export function StaffPanel({ manage }: { manage: boolean }) {
  const q = useStaffList()
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
                          <span className={`badge status-${s.status}`}>{label(s.status)}</span>
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
      {manage && <StaffForm />}
    </div>
  )
}
