import { useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { api, seg } from '../../api'
import { ShortId } from '../../components/ShortId'
import { Empty, QueryView } from '../../components/Status'
import { fmtTime, label } from '../../format'
import { ProofBadge } from './Badges'
import { type CaseFile, caseKeys } from './caseTypes'

/**
 * The case file (GET /api/v1/cases/:id/file): each number's history and the case's own events from the audit log —
 * who did what, when, from which shop and session, on whose approval — each leaf's inclusion proof checked on the
 * server against the latest signed checkpoint. A leaf after that checkpoint awaits the next one; a failed proof shows.
 */
/** The SMSC round trips of each text (submitting, submitted): steps of a notice whose queued and evidenced leaves stay. */
export const isDeliveryStep = (action: string): boolean => /^sms\.(part|notice)_(submitting|submitted)$/.test(action)

export function CaseFileTimeline({ caseId }: { caseId: string }) {
  const [allSteps, setAllSteps] = useState(false)
  const q = useQuery({
    queryKey: [...caseKeys.one(caseId), 'file'],
    queryFn: ({ signal }) => api<CaseFile>(`/api/v1/cases/${seg(caseId)}/file`, { signal }),
  })
  return (
    <section className="card" data-testid="case-file">
      <h2>Case file</h2>
      <QueryView q={q} what="the case file">
        {(f) => {
          // One number (the usual complaint): its column would repeat it on every row.
          const manyNumbers = new Set(f.entries.map((e) => e.msisdn).filter(Boolean)).size > 1
          return (
            <>
              <p className="muted" data-testid="case-file-counts">
                {f.checkpoint
                  ? `Checked against the checkpoint of ${f.checkpoint.size} leaves. `
                  : 'No signed checkpoint yet. '}
                {f.counts.verified} verified · {f.counts.awaiting_checkpoint} awaiting the next checkpoint ·{' '}
                <span className={f.counts.failed > 0 ? 'badge proof-failed' : undefined}>{f.counts.failed} failed</span>
              </p>
              <label className="check">
                <input
                  type="checkbox"
                  checked={allSteps}
                  onChange={(e) => setAllSteps(e.target.checked)}
                  data-testid="case-file-all-steps"
                />{' '}
                Show each text’s SMSC submissions ({f.entries.filter((e) => isDeliveryStep(e.action)).length} leaves)
              </label>
              {f.entries.length === 0 ? (
                <Empty title="Nothing in the log yet" />
              ) : (
                <div className="table-wrap">
                  <table className="table case-file">
                    <thead>
                      <tr>
                        <th>Leaf</th>
                        <th>When</th>
                        <th>Action</th>
                        {manyNumbers && <th>Number</th>}
                        <th>Who</th>
                        <th>Shop</th>
                        <th>Session</th>
                        <th>Approved by</th>
                        <th>Proof</th>
                      </tr>
                    </thead>
                    <tbody>
                      {f.entries
                        .filter((e) => allSteps || !isDeliveryStep(e.action))
                        .map((e) => (
                          <tr key={e.index} data-testid="case-file-entry" data-action={e.action} data-proof={e.proof}>
                            <td>
                              <a className="mono" href={e.link} target="_blank" rel="noreferrer">
                                #{e.index}
                              </a>
                            </td>
                            <td className="nowrap">{fmtTime(e.at)}</td>
                            <td className="c-action" data-testid="case-file-action">
                              <strong>{label(e.action)}</strong>
                              {e.request_id && (
                                <div className="muted">
                                  request <ShortId value={e.request_id} />
                                </div>
                              )}
                            </td>
                            {manyNumbers && <td className="mono">{e.msisdn ?? '—'}</td>}
                            <td className="c-who">
                              {e.username ??
                                (e.staff_id ? <ShortId value={e.staff_id} /> : <span className="muted">system</span>)}
                            </td>
                            <td>{e.shop_id ?? '—'}</td>
                            <td>{e.session_id ? <ShortId value={e.session_id} /> : '—'}</td>
                            <td>
                              {e.approved_by.length === 0
                                ? '—'
                                : e.approved_by
                                    .map((a) => `${a.username}${a.shop_id ? ` (${a.shop_id})` : ''}`)
                                    .join(', ')}
                            </td>
                            <td>
                              <ProofBadge proof={e.proof} />
                            </td>
                          </tr>
                        ))}
                    </tbody>
                  </table>
                </div>
              )}
            </>
          )
        }}
      </QueryView>
    </section>
  )
}
