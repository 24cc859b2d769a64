import { Empty, QueryView } from '../../components/Status'
import { fmtTime, label } from '../../format'
import { useMachineClients } from './adminTypes'
import { ClientForm } from './ClientForm'

/** Machine clients and their scopes; an admin also registers new ones. */
export function ClientsPanel({ manage }: { manage: boolean }) {
  const q = useMachineClients()
  return (
    <div className="panel-stack">
      {manage && <ClientForm />}
      <section className="card">
        <h2>Machine clients</h2>
        <QueryView q={q} what="machine clients">
          {(p) =>
            p.items.length === 0 ? (
              <Empty title="No machine clients">Systems such as charging or provisioning sign in as one.</Empty>
            ) : (
              <div className="table-wrap">
                <table className="table" data-testid="admin-clients-table">
                  <thead>
                    <tr>
                      <th>Client id</th>
                      <th>Name</th>
                      <th>Scopes</th>
                      <th>Status</th>
                      <th>Created</th>
                    </tr>
                  </thead>
                  <tbody>
                    {p.items.map((c) => (
                      <tr key={c.id} data-testid="admin-client-row">
                        <td className="mono">{c.id}</td>
                        <td>{c.name}</td>
                        <td>
                          {c.scopes.map((s) => (
                            <span key={s} className="pill mono">
                              {s}
                            </span>
                          ))}
                        </td>
                        <td>
                          <span className={`badge status-${c.status}`}>{label(c.status)}</span>
                        </td>
                        <td className="nowrap">{fmtTime(c.created_at)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </QueryView>
      </section>
    </div>
  )
}
