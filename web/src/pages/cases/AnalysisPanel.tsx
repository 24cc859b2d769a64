import { useQuery } from '@tanstack/react-query'
import { api, seg } from '../../api'
import { Empty, QueryView } from '../../components/Status'
import { fmtTime, label } from '../../format'
import { type CaseAnalysis, caseKeys, type Figure } from './caseTypes'

/** At most this many leaf links per figure; the rest are counted (the API answers them all). */
const SHOWN = 8

export function useCaseAnalysis(caseId: string) {
  return useQuery({
    queryKey: [...caseKeys.one(caseId), 'analysis'],
    queryFn: ({ signal }) => api<CaseAnalysis>(`/api/v1/cases/${seg(caseId)}/analysis?days=180`, { signal }),
  })
}

function FigureCell({ f }: { f: Figure }) {
  if (f.count === 0 && !(f.ratio && f.ratio > 0)) return <span className="muted">0</span>
  return (
    <>
      <strong>{f.count}</strong>
      {f.ratio !== undefined && (
        <span className="muted">
          {' '}
          ×{f.ratio} of the median {f.peer_median}
        </span>
      )}
      <span className="leaf-links">
        {' '}
        {f.leaves.slice(0, SHOWN).map((l) => (
          <a key={l.index} className="mono" href={l.link} target="_blank" rel="noreferrer" data-testid="analysis-leaf">
            #{l.index}
          </a>
        ))}
        {f.leaves.length > SHOWN && <span className="hint">+{f.leaves.length - SHOWN} more</span>}
      </span>
    </>
  )
}

/**
 * Internal analysis (GET /api/v1/cases/:id/analysis): the staff who touched the case's numbers in the last 180 days,
 * ranked by risk, each signal with the leaves behind it (each link fetches the leaf with its inclusion proof).
 */
export function AnalysisPanel({ caseId }: { caseId: string }) {
  const q = useCaseAnalysis(caseId)
  return (
    <section className="card" data-testid="case-analysis">
      <h2>Internal analysis</h2>
      <QueryView q={q} what="the analysis">
        {(a) =>
          a.staff.length === 0 ? (
            <Empty title="Nobody touched these numbers">No staff action on them since {fmtTime(a.since)}.</Empty>
          ) : (
            <>
              <p className="muted">
                Staff who acted on {a.msisdns.join(', ')} from {fmtTime(a.since)} to {fmtTime(a.until)}, highest risk
                first.
              </p>
              <div className="table-wrap">
                <table className="table">
                  <thead>
                    <tr>
                      <th>#</th>
                      <th>Staff member</th>
                      <th>Score</th>
                      {Object.keys(a.staff[0].signals).map((s) => (
                        <th key={s}>{label(s)}</th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {a.staff.map((s, i) => (
                      <tr
                        key={s.staff.id}
                        className={i === 0 && s.score > 0 ? 'rank-first' : undefined}
                        data-testid="analysis-row"
                        data-username={s.staff.username}
                      >
                        <td>{i + 1}</td>
                        <td>
                          <strong>{s.staff.display_name || s.staff.username}</strong>
                          <div className="muted">
                            {s.staff.roles.map(label).join(', ')}
                            {s.staff.shop_id && ` · ${s.staff.shop_id}`}
                            {s.staff.status !== 'active' && ` · ${label(s.staff.status)}`}
                          </div>
                        </td>
                        <td className="num" data-testid="analysis-score">
                          {s.score}
                        </td>
                        {Object.entries(s.signals).map(([name, f]) => (
                          <td key={name} data-signal={name}>
                            <FigureCell f={f} />
                          </td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )
        }
      </QueryView>
    </section>
  )
}
