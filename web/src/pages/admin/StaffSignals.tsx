import { useQuery } from '@tanstack/react-query'
import { api, seg } from '../../api'
import { QueryView } from '../../components/Status'
import { fmtTime, label } from '../../format'

interface Leaf {
  index: number
  link: string
}
interface Figure {
  count: number
  leaves: Leaf[]
  ratio?: number
  peer_median?: number
  pairs?: { requester_id: string; approver_id: string; requests: number }[]
}
interface Signals {
  since: string
  until: string
  score: number
  signals: Record<string, Figure>
}

/** At most this many leaf links per figure; the rest are counted (the API answers them all). */
const SHOWN = 12

/**
 * A staff member's risk signals over every number in the last 180 days (GET /api/v1/staff/:id/signals, src/analysis):
 * each figure with links to the leaves behind it, each leaf fetched with its inclusion proof.
 */
export function StaffSignals({ id, username }: { id: string; username: string }) {
  const q = useQuery({
    queryKey: ['admin', 'staff-signals', id],
    queryFn: ({ signal }) => api<Signals>(`/api/v1/staff/${seg(id)}/signals?days=180`, { signal }),
  })
  return (
    <section className="card" data-testid="staff-signals" data-username={username}>
      <h2>Risk signals of {username}</h2>
      <QueryView q={q} what="risk signals">
        {(s) => (
          <>
            <p className="muted">
              Score <strong data-testid="staff-signals-score">{s.score}</strong> · {fmtTime(s.since)} to{' '}
              {fmtTime(s.until)}
            </p>
            <table className="table">
              <tbody>
                {Object.entries(s.signals).map(([name, f]) => (
                  <tr key={name} data-testid="staff-signal" data-signal={name}>
                    <td>{label(name)}</td>
                    <td className="mono">
                      {f.count}
                      {f.ratio !== undefined && ` (×${f.ratio} of the median ${f.peer_median})`}
                    </td>
                    <td>
                      {f.leaves.slice(0, SHOWN).map((l) => (
                        <a key={l.index} className="mono" href={l.link} target="_blank" rel="noreferrer">
                          #{l.index}{' '}
                        </a>
                      ))}
                      {f.leaves.length > SHOWN && <span className="hint">+{f.leaves.length - SHOWN} more</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </QueryView>
    </section>
  )
}
