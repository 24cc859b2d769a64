import { seg } from '../../api'
import { Link } from '../../components/Link'
import { Empty } from '../../components/Status'
import { fmtTime, label } from '../../format'
import type { NumberDetail } from '../../types'

export function BindingsTable({ bindings }: { bindings: NumberDetail['sim_bindings'] }) {
  if (bindings.length === 0) return <Empty title="No SIM bindings">A SIM is bound to the number when it is sold.</Empty>
  return (
    <div className="table-wrap">
      <table className="table" data-testid="bindings-table">
        <thead>
          <tr>
            <th>ICCID</th>
            <th>From</th>
            <th>To</th>
            <th>End reason</th>
          </tr>
        </thead>
        <tbody>
          {bindings.map((b) => (
            <tr key={b.id}>
              <td className="mono nowrap">
                <Link to={`/sims/${seg(b.iccid)}`}>{b.iccid}</Link>
              </td>
              <td className="nowrap">{fmtTime(b.started_at)}</td>
              <td className="nowrap">{b.ended_at ? fmtTime(b.ended_at) : <strong>current</strong>}</td>
              <td>{label(b.end_reason)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
